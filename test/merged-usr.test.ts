/**
 * A merged-/usr image (`bin` → `usr/bin`, `lib` → `usr/lib`): Debian's
 * packages still ship `/bin` and `/lib` paths, which land under /usr through
 * the image's links and are recorded as shipped. Questions asked by the name
 * on disk see through the links: `owns /usr/bin/tool` names the package that
 * recorded `bin/tool`, and `verify --unowned` does not list package files
 * under /usr as nobody's (dpkg -S has no answer there).
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ok, tempDir, TRUST, writePackage, zpkg } from './helpers/zpkg.js';

let root: string;

beforeAll(() => {
  const work = tempDir('zpkg-merged-usr-');
  const repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  ok(['build', writePackage(join(work, 'tool'), { name: 'tool', version: '1' }, { 'bin/tool': 'tool\n', 'lib/x86_64-linux-gnu/libtool.so.1': 'lib\n', 'usr/share/doc/tool/README': 'doc\n' }), '--repo', repo]);
  root = join(work, 'img');
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  mkdirSync(join(root, 'usr/lib'), { recursive: true });
  symlinkSync('usr/bin', join(root, 'bin'));
  symlinkSync('usr/lib', join(root, 'lib'));
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  ok(['--root', root, 'install', 'tool']);
});

describe('a merged /usr', () => {
  it('owns answers by the name on disk, saying the recorded one', () => {
    expect(ok(['--root', root, 'owns', '/bin/tool']).stdout).toBe('/bin/tool is owned by tool\n');
    expect(ok(['--root', root, 'owns', '/usr/bin/tool']).stdout).toBe('/usr/bin/tool is owned by tool (as /bin/tool, through the image\'s links)\n');
    expect(ok(['--root', root, '--json', 'owns', '/usr/lib/x86_64-linux-gnu/libtool.so.1']).json).toEqual({ path: 'usr/lib/x86_64-linux-gnu/libtool.so.1', type: 'file', owners: ['tool'], as: 'lib/x86_64-linux-gnu/libtool.so.1' });
    expect(ok(['--root', root, '--json', 'owns', '/usr/lib/x86_64-linux-gnu']).json).toEqual({ path: 'usr/lib/x86_64-linux-gnu', type: 'dir', owners: ['tool'], as: 'lib/x86_64-linux-gnu' });
    expect(zpkg(['--root', root, '--json', 'owns', '/usr/bin/other']).json.error.code).toBe('E_NOT_INSTALLED');
  });

  it('verify --unowned lists the links and what no package put there, not package files under /usr', () => {
    writeFileSync(join(root, 'usr/bin/stray'), 'stray\n');
    const run = zpkg(['--root', root, '--json', 'verify', '--unowned']);
    expect(run.status).toBe(1);
    const r = run.json;
    expect(r.unowned.map((u: { path: string; type: string }) => `${u.type} ${u.path}`)).toEqual(['link bin', 'link lib', 'file usr/bin/stray']);
  });
});
