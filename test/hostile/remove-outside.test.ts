/**
 * A removal or an upgrade deletes nothing outside the image. When a directory
 * of installed paths has been replaced by a link leading out of the image,
 * the paths under it are the host's now: their records go, the disk is left
 * alone, and each is named in a warning. Before, `remove` renamed and
 * deleted the host's files through the link. And a directory the image holds
 * as a link inside it (a merged /usr: `bin` → `usr/bin`) is not removed when
 * its last owner goes: before, rmdir failed with ENOTDIR after the commit,
 * leaving the transaction to `recover`.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ok, snapshot, tempDir, TRUST, writePackage } from '../helpers/zpkg.js';

function world(): { work: string; repo: string; root: string; build: (recipe: Record<string, unknown>, files: Record<string, string>) => void } {
  const work = tempDir('zpkg-remove-outside-');
  const repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  let n = 0;
  const build = (recipe: Record<string, unknown>, files: Record<string, string>): void => {
    ok(['build', writePackage(join(work, `src-${n++}`), recipe, files), '--repo', repo]);
  };
  const root = join(work, 'img');
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  return { work, repo, root, build };
}

/** The host directory `host` holds what the image's `opt/app` held; the image holds an absolute link to it instead. */
function linkOut(work: string, root: string): string {
  const host = join(work, 'host-dir');
  renameSync(join(root, 'opt/app'), host);
  symlinkSync(host, join(root, 'opt/app'));
  return host;
}

describe('nothing outside the image is deleted', () => {
  it('remove: paths under a link leading out are left alone and named; their records go', () => {
    const { work, root, build } = world();
    build({ name: 'app', version: '1' }, { 'opt/app/run': 'run\n', 'opt/app/lib/x.so': 'x\n', 'usr/bin/app': 'app\n' });
    ok(['--root', root, 'install', 'app']);
    const host = linkOut(work, root);
    const hostBefore = snapshot(host);
    const r = ok(['--root', root, 'remove', 'app']);
    expect(r.stderr).toContain('warning: left `opt/app/run` alone: it lies under `opt/app`, a symlink that leads out of the image (zpkg never deletes outside it); its record goes\n');
    expect(r.stderr).toContain('warning: left `opt/app/lib/x.so` alone');
    expect(snapshot(host)).toEqual(hostBefore);
    expect(readFileSync(join(host, 'run'), 'utf8')).toBe('run\n');
    // The image's own path went; the link the administrator put there stays.
    expect(existsSync(join(root, 'usr/bin/app'))).toBe(false);
    expect(readlinkSync(join(root, 'opt/app'))).toBe(host);
    expect(ok(['--root', root, '--json', 'list']).json.packages).toEqual([]);
    expect(ok(['--root', root, 'recover', '-n']).stdout).toBe('nothing to recover\n');
    const json = ok(['--root', root, '--json', 'history', '2']).json;
    expect(json.changes.remove).toEqual([{ name: 'app', version: '1' }]);
  });

  it('update: a path the new version drops is left alone under a link leading out', () => {
    const { work, root, build } = world();
    build({ name: 'app', version: '1' }, { 'opt/app/old': 'old\n', 'usr/bin/app': 'app 1\n' });
    build({ name: 'app', version: '2' }, { 'usr/bin/app': 'app 2\n' });
    ok(['--root', root, 'install', 'app=1']);
    const host = linkOut(work, root);
    const r = ok(['--root', root, '--json', 'update']);
    expect(r.json.upgrade).toEqual([{ name: 'app', from: '1', to: '2' }]);
    expect(r.json.warnings).toContain('left `opt/app/old` alone: it lies under `opt/app`, a symlink that leads out of the image (zpkg never deletes outside it); its record goes');
    expect(readFileSync(join(host, 'old'), 'utf8')).toBe('old\n');
    expect(readFileSync(join(root, 'usr/bin/app'), 'utf8')).toBe('app 2\n');
  });

  it('a merged /usr: a package directory the image holds as a link inside it is kept when its last owner goes', () => {
    const { root, build } = world();
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    symlinkSync('usr/bin', join(root, 'bin'));
    // Debian's packages still ship /bin: here `bin/tool` lands in usr/bin through the image's link.
    build({ name: 'tool', version: '1' }, { 'bin/tool': 'tool\n' });
    ok(['--root', root, 'install', 'tool']);
    expect(readFileSync(join(root, 'usr/bin/tool'), 'utf8')).toBe('tool\n');
    ok(['--root', root, 'verify']);
    const r = ok(['--root', root, '--json', 'remove', 'tool']);
    expect(r.json.files.removed).toBe(1);
    expect(lstatSync(join(root, 'bin')).isSymbolicLink()).toBe(true);
    expect(existsSync(join(root, 'usr/bin/tool'))).toBe(false);
    expect(ok(['--root', root, 'recover', '-n']).stdout).toBe('nothing to recover\n');
    // And again: installing over the link works the same the second time.
    writeFileSync(join(root, 'usr/bin/other'), 'not a package file\n');
    ok(['--root', root, 'install', 'tool']);
    ok(['--root', root, 'remove', 'tool']);
    expect(readFileSync(join(root, 'usr/bin/other'), 'utf8')).toBe('not a package file\n');
  });
});
