/**
 * An upgrade delivers only what changed (as IPS does): a file the installed
 * version delivers with the same content, mode and owner, and which the image
 * still holds byte for byte, is left in place — not fetched, not written. Any
 * doubt (content edited on disk, mode changed on disk or in the new version,
 * a hardlink pointing at it, a config file) and it is written as before.
 */
import { chmodSync, linkSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ok, tempDir, writePackage } from './helpers/zpkg.js';

const ino = (root: string, path: string): number => statSync(join(root, path)).ino;

function world(): { repo: string; root: string; publish: (version: string, files: Parameters<typeof writePackage>[2], extra?: Record<string, unknown>) => void } {
  const base = tempDir('zpkg-in-place-');
  const repo = join(base, 'repo');
  ok(['repo', 'create', repo]);
  const root = join(base, 'img');
  const publish = (version: string, files: Parameters<typeof writePackage>[2], extra: Record<string, unknown> = {}): void => {
    ok(['build', writePackage(join(base, `src-${version}`), { name: 'app', version, ...extra }, files), '--repo', repo]);
  };
  return { repo, root, publish };
}

const v1 = {
  'usr/share/app/same': 'the same in both versions\n',
  'usr/share/app/changes': 'version one\n',
  'usr/bin/app': { content: '#!/bin/sh\necho app\n', mode: 0o755 },
};

describe('an upgrade leaves unchanged files in place', () => {
  it('writes only the changed file; the others keep their inode; verify and rollback agree', () => {
    const { repo, root, publish } = world();
    publish('1.0', v1);
    publish('2.0', { ...v1, 'usr/share/app/changes': 'version two\n' });
    ok(['--root', root, 'remote', 'add', 'r', repo, '--insecure']);
    ok(['--root', root, 'install', 'app=1.0']);
    const before = { same: ino(root, 'usr/share/app/same'), bin: ino(root, 'usr/bin/app'), changes: ino(root, 'usr/share/app/changes') };
    const r = ok(['--root', root, '--json', 'install', 'app=2.0']).json;
    expect(r.files).toMatchObject({ written: 1, inPlace: 2 });
    expect(ino(root, 'usr/share/app/same')).toBe(before.same);
    expect(ino(root, 'usr/bin/app')).toBe(before.bin);
    expect(ino(root, 'usr/share/app/changes')).not.toBe(before.changes);
    expect(readFileSync(join(root, 'usr/share/app/changes'), 'utf8')).toBe('version two\n');
    expect(ok(['--root', root, '--json', 'verify']).json.problems).toEqual([]);
    // The rows are the new version's: removing it removes every file, kept or written.
    ok(['--root', root, 'rollback']);
    expect(readFileSync(join(root, 'usr/share/app/changes'), 'utf8')).toBe('version one\n');
    expect(ok(['--root', root, '--json', 'verify']).json.problems).toEqual([]);
    ok(['--root', root, 'remove', 'app']);
    expect(() => statSync(join(root, 'usr/share/app/same'))).toThrow();
  });

  it('the human answer says how many files were left in place', () => {
    const { repo, root, publish } = world();
    publish('1.0', v1);
    publish('2.0', { ...v1, 'usr/share/app/changes': 'version two\n' });
    ok(['--root', root, 'remote', 'add', 'r', repo, '--insecure']);
    ok(['--root', root, 'install', 'app=1.0']);
    expect(ok(['--root', root, 'install', 'app=2.0']).stdout).toMatch(/1 path written .*, 0 removed, 2 unchanged left in place/);
  });

  it('fetches no blob for a file left in place, even when the cache no longer holds it', () => {
    const { repo, root, publish } = world();
    publish('1.0', v1);
    publish('2.0', { ...v1, 'usr/share/app/changes': 'version two\n' });
    ok(['--root', root, 'remote', 'add', 'r', repo, '--insecure']);
    ok(['--root', root, 'install', 'app=1.0']);
    rmSync(join(root, 'var/lib/zpkg/cache/packs'), { recursive: true, force: true });
    const r = ok(['--root', root, '--json', 'install', 'app=2.0']).json;
    expect(r.fetched).toMatchObject({ blobs: 1, fetched: 1 });
    expect(ok(['--root', root, '--json', 'verify']).json.problems).toEqual([]);
  });

  it('a file edited on disk (same size), or whose mode changed on disk, is written again', () => {
    const { repo, root, publish } = world();
    publish('1.0', v1);
    publish('2.0', { ...v1, 'usr/share/app/changes': 'version two\n' });
    ok(['--root', root, 'remote', 'add', 'r', repo, '--insecure']);
    ok(['--root', root, 'install', 'app=1.0']);
    writeFileSync(join(root, 'usr/share/app/same'), 'THE SAME IN BOTH VERSIONS\n');
    chmodSync(join(root, 'usr/bin/app'), 0o700);
    const r = ok(['--root', root, '--json', 'install', 'app=2.0']).json;
    expect(r.files).toMatchObject({ written: 3, inPlace: 0 });
    expect(readFileSync(join(root, 'usr/share/app/same'), 'utf8')).toBe('the same in both versions\n');
    expect(statSync(join(root, 'usr/bin/app')).mode & 0o7777).toBe(0o755);
    expect(ok(['--root', root, '--json', 'verify']).json.problems).toEqual([]);
  });

  it('a file whose mode changes in the new version, a hardlink target and a config file are written', () => {
    const { repo, root, publish } = world();
    const files1 = { ...v1, 'etc/app.conf': 'x=1\n' };
    publish('1.0', files1, { config: ['etc/app.conf'] });
    const base = tempDir('zpkg-in-place-hl-');
    // Version 2: the script becomes 0700, `same` gains a hardlink `twin`, the config file is unchanged.
    const src = writePackage(join(base, 'src'), { name: 'app', version: '2.0', config: ['etc/app.conf'] }, { ...files1, 'usr/bin/app': { content: '#!/bin/sh\necho app\n', mode: 0o700 }, 'usr/share/app/changes': 'version two\n' });
    linkSync(join(src, 'root/usr/share/app/same'), join(src, 'root/usr/share/app/twin'));
    ok(['build', src, '--repo', repo]);
    ok(['--root', root, 'remote', 'add', 'r', repo, '--insecure']);
    ok(['--root', root, 'install', 'app=1.0']);
    const conf = ino(root, 'etc/app.conf');
    const r = ok(['--root', root, '--json', 'install', 'app=2.0']).json;
    // Written: changes (new content), app (new mode), same and twin (a hardlink pair), app.conf (config files
    // go through their own rules); nothing is left in place.
    expect(r.files).toMatchObject({ written: 5, inPlace: 0 });
    expect(statSync(join(root, 'usr/share/app/twin')).ino).toBe(ino(root, 'usr/share/app/same'));
    expect(statSync(join(root, 'usr/bin/app')).mode & 0o7777).toBe(0o700);
    expect(ino(root, 'etc/app.conf')).not.toBe(conf);
    expect(ok(['--root', root, '--json', 'verify']).json.problems).toEqual([]);
  });
});
