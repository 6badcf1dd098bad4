// Build → publish → install → verify → remove through the real binary, on real directories, as root.
import { appendFileSync, chmodSync, chownSync, existsSync, linkSync, symlinkSync, unlinkSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { ok, tempDir, writePackage, zpkg, TRUST } from './helpers/zpkg.js';

let work: string;
let repo: string;

function image(name: string): string {
  const root = join(work, name);
  mkdirSync(join(root, 'etc'), { recursive: true });
  // The image's own accounts decide owners, not the host's.
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nsvc:x:4242:4343:svc:/nonexistent:/bin/false\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nsvc:x:4343:\n');
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  return root;
}

beforeAll(() => {
  work = tempDir();
  repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  writePackage(join(work, 'src-lib'), { name: 'libfoo', version: '1.0', provides: ['foo-api (= 1)'] }, {
    'usr/lib/libfoo.so.1': 'library one\n',
    'usr/share/foo/shared.txt': 'shared dir content\n',
  });
  writePackage(join(work, 'src-app'), {
    name: 'app', version: '2.0-1', depends: ['libfoo (>= 1.0)', 'foo-api'], config: ['etc/app.conf'],
    attributes: [{ path: 'usr/bin/app', mode: '4755' }, { path: 'var/lib/app/**', owner: 'svc', group: 'svc' }, { path: 'var/lib/app', owner: 'svc', group: 'svc', mode: '0750' }],
  }, {
    'usr/bin/app': { content: '#!/bin/sh\necho app\n', mode: 0o755 },
    'usr/bin/app-alias': { link: 'app' },
    'etc/app.conf': 'setting=1\n',
    'var/lib/app/data': 'data\n',
    'usr/share/foo/app.txt': 'app content\n',
  });
  ok(['build', join(work, 'src-lib'), join(work, 'src-app'), '--repo', repo]);
});

describe('install', () => {
  it('installs a package with its dependency closure, owners, modes and links applied', () => {
    const root = image('img1');
    const r = ok(['--root', root, '--json', 'install', 'app']);
    expect(r.json.install.map((p: { name: string }) => p.name).sort()).toEqual(['app', 'libfoo']);
    const bin = statSync(join(root, 'usr/bin/app'));
    expect(bin.mode & 0o7777).toBe(0o4755);
    expect(readlinkSync(join(root, 'usr/bin/app-alias'))).toBe('app');
    const data = statSync(join(root, 'var/lib/app/data'));
    expect([data.uid, data.gid]).toEqual([4242, 4343]);
    const dir = statSync(join(root, 'var/lib/app'));
    expect([dir.uid, dir.gid, dir.mode & 0o7777]).toEqual([4242, 4343, 0o750]);
    expect(readFileSync(join(root, 'usr/lib/libfoo.so.1'), 'utf8')).toBe('library one\n');

    const db = new Database(join(root, 'var/lib/zpkg/state.db'), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const rows = db.prepare('SELECT path, package, type, uid FROM files ORDER BY path').all();
    expect(rows).toContainEqual({ path: 'var/lib/app/data', package: 'app', type: 'file', uid: 4242 });
    expect(db.prepare('SELECT name, requested FROM packages ORDER BY name').all()).toEqual([{ name: 'app', requested: 1 }, { name: 'libfoo', requested: 0 }]);
    db.close();

    expect(ok(['--root', root, 'verify']).stdout).toMatch(/2 packages, \d+ paths: ok/);
    expect(ok(['--root', root, '--json', 'owns', '/usr/share/foo/app.txt']).json.owners).toEqual(['app']);
    expect(ok(['--root', root, '--json', 'owns', 'usr/share/foo']).json.owners).toEqual(['app', 'libfoo']);
    expect(ok(['--root', root, '--json', 'contents', 'libfoo']).json.paths.map((p: { path: string }) => p.path)).toContain('usr/lib/libfoo.so.1');
    const hist = ok(['--root', root, '--json', 'history']).json.transactions;
    expect(hist).toHaveLength(1);
    expect(hist[0].status).toBe('committed');
    // No staging leftovers beside installed files.
    expect(zpkg(['--root', root, 'verify']).status).toBe(0);
  });

  it('verify reports every kind of difference, one line each, and exits 1', () => {
    const root = image('img-verify');
    ok(['--root', root, 'install', 'app']);
    writeFileSync(join(root, 'usr/lib/libfoo.so.1'), 'library 0ne\n');
    writeFileSync(join(root, 'usr/share/foo/shared.txt'), 'short\n');
    
    chmodSync(join(root, 'usr/bin/app'), 0o755);
    chownSync(join(root, 'var/lib/app/data'), 0, 4343);
    unlinkSync(join(root, 'usr/bin/app-alias'));
    symlinkSync('elsewhere', join(root, 'usr/bin/app-alias'));
    appendFileSync(join(root, 'etc/app.conf'), 'local=1\n');
    const r = zpkg(['--root', root, 'verify']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/libfoo: \/usr\/lib\/libfoo.so.1: content differs/);
    expect(r.stdout).toMatch(/libfoo: \/usr\/share\/foo\/shared.txt: size is 6, expected 19/);
    expect(r.stdout).toMatch(/app: \/usr\/bin\/app: mode is 0755, expected 4755/);
    expect(r.stdout).toMatch(/app: \/var\/lib\/app\/data: owner is uid 0, expected 4242/);
    expect(r.stdout).toMatch(/app: \/usr\/bin\/app-alias: link target is `elsewhere`, expected `app`/);
    expect(r.stdout).toMatch(/app: \/etc\/app.conf: config file changed locally/);
    expect(r.stdout).toMatch(/5 problems/);
  });

  it('removes exactly the package files, keeps shared directories and changed config files', () => {
    const root = image('img-remove');
    ok(['--root', root, 'install', 'app']);
    appendFileSync(join(root, 'etc/app.conf'), 'admin=edit\n');
    const refused = zpkg(['--root', root, '--json', 'remove', 'libfoo']);
    expect(refused.status).toBe(1);
    expect(refused.json.error.code).toBe('E_DEPENDENTS');
    expect(refused.json.error.explanation).toEqual(['app depends on `libfoo (>= 1.0)` and `foo-api`']);
    expect(refused.json.error.broken).toEqual([{ name: 'app', clause: 'libfoo (>= 1.0)' }, { name: 'app', clause: 'foo-api' }]);
    const r = ok(['--root', root, '--json', 'remove', 'app']);
    expect(r.json.keptConfig).toEqual(['etc/app.conf']);
    // libfoo came in as app's dependency: nothing keeps it now, and the removal says so (apt's "no longer required").
    expect(r.json.unneeded).toEqual([{ name: 'libfoo', version: '1.0' }]);
    expect(existsSync(join(root, 'usr/bin/app'))).toBe(false);
    expect(existsSync(join(root, 'usr/bin/app-alias'))).toBe(false);
    expect(existsSync(join(root, 'var/lib/app'))).toBe(false);
    expect(readFileSync(join(root, 'etc/app.conf'), 'utf8')).toBe('setting=1\nadmin=edit\n');
    expect(existsSync(join(root, 'usr/share/foo/shared.txt'))).toBe(true);
    expect(existsSync(join(root, 'usr/share/foo/app.txt'))).toBe(false);
    ok(['--root', root, 'remove', 'libfoo']);
    expect(existsSync(join(root, 'usr/share/foo'))).toBe(false);
    expect(existsSync(join(root, 'usr/lib'))).toBe(false);
    expect(existsSync(join(root, 'etc/passwd'))).toBe(true);
    expect(ok(['--root', root, '--json', 'list']).json.packages).toEqual([]);
  });

  it('--force removes despite dependents, --purge removes changed config files', () => {
    const root = image('img-force');
    ok(['--root', root, 'install', 'app']);
    appendFileSync(join(root, 'etc/app.conf'), 'admin=edit\n');
    ok(['--root', root, 'remove', '--force', 'libfoo']);
    expect(existsSync(join(root, 'usr/lib/libfoo.so.1'))).toBe(false);
    ok(['--root', root, 'remove', '--purge', 'app']);
    expect(existsSync(join(root, 'etc/app.conf'))).toBe(false);
  });

  it('upgrades in place, keeping an edited config file and offering the new one beside it', () => {
    const root = image('img-upgrade');
    ok(['--root', root, 'install', 'app']);
    writeFileSync(join(root, 'etc/app.conf'), 'setting=admin\n');
    writePackage(join(work, 'src-app2'), { name: 'app', version: '2.1-1', depends: ['libfoo'], config: ['etc/app.conf'] }, {
      'usr/bin/app': { content: '#!/bin/sh\necho app 2.1\n', mode: 0o755 },
      'etc/app.conf': 'setting=2\n',
    });
    ok(['build', join(work, 'src-app2'), '--repo', repo]);
    ok(['--root', root, 'refresh']);
    const r = ok(['--root', root, '--json', 'install', 'app (>= 2.1)']);
    expect(r.json.upgrade).toEqual([{ name: 'app', from: '2.0-1', to: '2.1-1' }]);
    expect(r.json.newConfig).toEqual(['etc/app.conf']);
    expect(readFileSync(join(root, 'etc/app.conf'), 'utf8')).toBe('setting=admin\n');
    expect(readFileSync(join(root, 'etc/app.conf.zpkg-new'), 'utf8')).toBe('setting=2\n');
    expect(readFileSync(join(root, 'usr/bin/app'), 'utf8')).toContain('2.1');
    // Paths the new version no longer delivers are gone; the ones it still does stay.
    expect(existsSync(join(root, 'usr/bin/app-alias'))).toBe(false);
    expect(existsSync(join(root, 'var/lib/app'))).toBe(false);
    expect(ok(['--root', root, '--json', 'list']).json.packages.find((p: { name: string }) => p.name === 'app').version).toBe('2.1-1');
    expect(lstatSync(join(root, 'usr/share/foo')).isDirectory()).toBe(true);
  });

  it('refuses a file another installed package owns, naming both and the path', () => {
    writePackage(join(work, 'src-thief'), { name: 'thief', version: '1' }, { 'usr/lib/libfoo.so.1': 'not the library\n' });
    ok(['build', join(work, 'src-thief'), '--repo', repo]);
    const root = image('img-conflict');
    ok(['--root', root, 'install', 'libfoo']);
    const r = zpkg(['--root', root, '--json', 'install', 'thief']);
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_FILE_CONFLICT');
    expect(r.json.error.message).toContain('thief 1 and installed libfoo both deliver `usr/lib/libfoo.so.1`');
    expect(readFileSync(join(root, 'usr/lib/libfoo.so.1'), 'utf8')).toBe('library one\n');
  });

  it('keeps hard links as hard links', () => {
    const src = writePackage(join(work, 'src-hard'), { name: 'hard', version: '1' }, { 'usr/bin/busy': { content: 'multi-call\n', mode: 0o755 } });
    linkSync(join(src, 'root/usr/bin/busy'), join(src, 'root/usr/bin/sh-alias'));
    ok(['build', src, '--repo', repo]);
    const root = image('img-hard');
    ok(['--root', root, 'install', 'hard']);
    const a = statSync(join(root, 'usr/bin/busy'));
    const b = statSync(join(root, 'usr/bin/sh-alias'));
    expect(b.ino).toBe(a.ino);
    expect(a.nlink).toBe(2);
    expect(ok(['--root', root, '--json', 'contents', 'hard']).json.paths).toContainEqual({ path: 'usr/bin/sh-alias', type: 'hardlink', target: 'usr/bin/busy' });
    expect(zpkg(['--root', root, 'verify']).status).toBe(0);
    ok(['--root', root, 'remove', 'hard']);
    expect(existsSync(join(root, 'usr/bin/sh-alias'))).toBe(false);
  });

  it('prints one JSON document with --json and a dry run changes nothing', () => {
    const root = image('img-dry');
    const r = ok(['--root', root, '--json', 'install', '--dry-run', 'app']);
    expect(r.json.dryRun).toBe(true);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(root, 'usr'))).toBe(false);
  });
});
