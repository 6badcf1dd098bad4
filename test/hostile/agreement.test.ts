// Hostile corpus, issue 16 §5: the catalog and the manifest agree on relations; hardlinks to a kept config file and
// `fix` of a missing hardlink; a 250-byte file name; `import-deb` leaves no temporary directory when it fails;
// owner and group names the image lacks fall back to the archive's numeric ids, with a warning.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAtom, parseClause } from '../../src/core/relation.js';
import { fetchDebs } from '../helpers/debs.js';
import { craft } from '../helpers/packs.js';
import { expectRefused, fileAction, hostileImage, hostileWorld, manifestOf, type HostileWorld } from '../helpers/hostile.js';
import { ok, zpkg } from '../helpers/zpkg.js';

let world: HostileWorld;
const body = (s: string): Buffer => Buffer.from(`${s}\n`);
const LONG = 'n'.repeat(250);
const TOO_LONG = 'n'.repeat(256);

async function pkg(name: string, files: Record<string, string>, extra: Record<string, unknown> = {}, more: Record<string, unknown>[] = [], entry?: Parameters<typeof craft>[3]): Promise<void> {
  const actions = [...Object.entries(files).map(([p, c]) => fileAction(p, body(c), p.startsWith('etc/') ? { config: true } : {})), ...more];
  await craft(world.repo, manifestOf(name, actions, extra), Object.values(files).map(body), entry);
}

beforeAll(async () => {
  world = hostileWorld('zpkg-hostile-agreement-');
  await pkg('libx', { 'usr/lib/libx': 'x' });
  // Catalogs that disagree with their manifests.
  await pkg('hidden-dep', { 'usr/bin/hd': 'hd' }, { depends: ['ghost (>= 9)'] }, [], (e) => ({ ...e, depends: [] }));
  await pkg('extra-dep', { 'usr/bin/ed': 'ed' }, {}, [], (e) => ({ ...e, depends: [parseClause('libx')] }));
  await pkg('fake-provides', { 'usr/bin/fp': 'fp' }, {}, [], (e) => ({ ...e, provides: [parseAtom('mail-transport-agent')] }));
  await pkg('hidden-conflicts', { 'usr/bin/hc': 'hc' }, { conflicts: ['libx'] }, [], (e) => ({ ...e, conflicts: [] }));
  await pkg('hidden-replaces', { 'usr/lib/libx': 'taken' }, { replaces: ['libx'] }, [], (e) => ({ ...e, replaces: [] }));
  await pkg('agrees', { 'usr/bin/ag': 'ag' }, { depends: ['libx'], provides: ['agreeing'] });
  await pkg('drift', { 'usr/bin/drift': 'drift 1' });
  await craft(world.repo, manifestOf('drift', [fileAction('usr/bin/drift', body('drift 2'))], { version: '2.0', depends: ['ghost'] }), [body('drift 2')], (e) => ({ ...e, depends: [] }));
  // A config file with a hardlink to it, in two versions.
  const hard = { type: 'hardlink', path: 'etc/conf.d/alias.conf', target: 'etc/conf.d/main.conf' };
  await pkg('conf', { 'etc/conf.d/main.conf': 'setting=1', 'usr/share/conf/readme': 'readme' }, {}, [hard]);
  await craft(world.repo, manifestOf('conf', [fileAction('etc/conf.d/main.conf', body('setting=2'), { config: true }), fileAction('usr/share/conf/readme', body('readme 2')), hard], { version: '2.0' }), [body('setting=2'), body('readme 2')]);
  await pkg('same-conf', { 'etc/same/main.conf': 'same', 'usr/share/same/readme': 'r1' }, {}, [{ type: 'hardlink', path: 'etc/same/alias.conf', target: 'etc/same/main.conf' }]);
  await craft(world.repo, manifestOf('same-conf', [fileAction('etc/same/main.conf', body('same'), { config: true }), fileAction('usr/share/same/readme', body('r2')), { type: 'hardlink', path: 'etc/same/alias.conf', target: 'etc/same/main.conf' }], { version: '2.0' }), [body('same'), body('r2')]);
  await pkg('hardfix', { 'usr/lib/hardfix/a': 'a' }, {}, [{ type: 'hardlink', path: 'usr/lib/hardfix/b', target: 'usr/lib/hardfix/a' }]);
  // Long names.
  await pkg('long-name', { [`usr/share/long/${LONG}`]: 'long 1' });
  await craft(world.repo, manifestOf('long-name', [fileAction(`usr/share/long/${LONG}`, body('long 2'))], { version: '2.0' }), [body('long 2')]);
  await pkg('too-long', { 'usr/share/toolong/ok': 'ok', [`usr/share/toolong/${TOO_LONG}`]: 'too long' });
  // Accounts the image lacks.
  const staffDir = { type: 'dir', path: 'var/local', mode: '2775', owner: 'root', group: 'staff', gid: 50 };
  await craft(world.repo, manifestOf('staff-numeric', [staffDir, fileAction('var/local/note', body('note'), { owner: 'daemon-x', group: 'staff', uid: 4242, gid: 50 })]), [body('note')]);
  await craft(world.repo, manifestOf('staff-named', [{ type: 'dir', path: 'var/local', mode: '2775', owner: 'root', group: 'staff' }]), []);
  await craft(world.repo, manifestOf('bad-id', [{ type: 'dir', path: 'var/bad', mode: '0755', owner: 'root', group: 'staff', gid: -1 }]), []);
  await craft(world.repo, manifestOf('awk-stub', [], { provides: ['awk'] }), []);
}, 300_000);

let images = 0;
const image = (): string => hostileImage(world, `img-${images++}`);
const rows = (root: string, sql: string): unknown[] => {
  const db = new Database(join(root, 'var/lib/zpkg/state.db'), { readonly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
};

describe('the catalog and the manifest agree on relations', () => {
  const cases: [string, RegExp][] = [
    ['hidden-dep', /catalog and the manifest of hidden-dep 1\.0 disagree on `depends`: the catalog says nothing, the manifest `ghost \(>= 9\)`/],
    ['extra-dep', /disagree on `depends`: the catalog says `libx`, the manifest nothing/],
    ['fake-provides', /disagree on `provides`/],
    ['hidden-conflicts', /disagree on `conflicts`/],
    ['hidden-replaces', /disagree on `replaces`/],
  ];
  for (const [name, message] of cases) {
    it(`${name} is refused before anything lands`, () => {
      expectRefused(world, image(), ['install', name], { code: 'E_REPO_INVALID', message });
    });
  }

  it('an update to a version whose manifest adds a dependency the catalog hides is refused; the installed version stays', () => {
    const root = image();
    ok(['--root', root, 'install', 'drift=1.0']);
    expectRefused(world, root, ['update'], { code: 'E_REPO_INVALID', message: /drift 2\.0 disagree on `depends`/ });
    // And removal is still possible: the recorded relations are what the catalog said.
    ok(['--root', root, 'remove', 'drift']);
  });

  it('a package whose catalog entry and manifest agree installs, and its relations are recorded', () => {
    const root = image();
    ok(['--root', root, 'install', 'agrees']);
    expect(ok(['--root', root, '--json', 'info', 'agrees']).stdout).toMatch(/libx/);
    ok(['--root', root, 'remove', 'agrees']);
  });
});

describe('hardlinks to config files, and fix of a missing hardlink', () => {
  it('an upgrade that leaves the new config as .zpkg-new keeps the hardlink on the administrator\'s file', () => {
    const root = image();
    ok(['--root', root, 'install', 'conf=1.0']);
    writeFileSync(join(root, 'etc/conf.d/main.conf'), 'setting=mine\n');
    const r = ok(['--root', root, '--json', 'update']);
    expect(r.json.newConfig).toEqual(['etc/conf.d/main.conf']);
    expect(readFileSync(join(root, 'etc/conf.d/main.conf.zpkg-new'), 'utf8')).toBe('setting=2\n');
    expect(statSync(join(root, 'etc/conf.d/alias.conf')).ino).toBe(statSync(join(root, 'etc/conf.d/main.conf')).ino);
    expect(readFileSync(join(root, 'usr/share/conf/readme'), 'utf8')).toBe('readme 2\n');
  });

  it('an upgrade that keeps a changed config file (same packaged content) keeps the hardlink on it', () => {
    const root = image();
    ok(['--root', root, 'install', 'same-conf=1.0']);
    writeFileSync(join(root, 'etc/same/main.conf'), 'mine\n');
    const r = ok(['--root', root, '--json', 'update']);
    expect(r.json.keptConfig).toEqual(['etc/same/main.conf']);
    expect(statSync(join(root, 'etc/same/alias.conf')).ino).toBe(statSync(join(root, 'etc/same/main.conf')).ino);
  });

  it('fix puts a missing hardlink back as a link to its intact target', () => {
    const root = image();
    ok(['--root', root, 'install', 'hardfix']);
    rmSync(join(root, 'usr/lib/hardfix/b'));
    expect(zpkg(['--root', root, 'verify']).status).not.toBe(0);
    const r = ok(['--root', root, '--json', 'fix']);
    expect(r.json.repaired.map((p: { path: string }) => p.path)).toEqual(['usr/lib/hardfix/b']);
    expect(statSync(join(root, 'usr/lib/hardfix/b')).ino).toBe(statSync(join(root, 'usr/lib/hardfix/a')).ino);
    ok(['--root', root, 'verify']);
  });

  it('fix of a hardlink whose target is gone too writes both', () => {
    const root = image();
    ok(['--root', root, 'install', 'hardfix']);
    rmSync(join(root, 'usr/lib/hardfix/a'));
    rmSync(join(root, 'usr/lib/hardfix/b'));
    ok(['--root', root, 'fix']);
    expect(statSync(join(root, 'usr/lib/hardfix/b')).ino).toBe(statSync(join(root, 'usr/lib/hardfix/a')).ino);
    ok(['--root', root, 'verify']);
  });
});

describe('file names at the limit', () => {
  it('a 250-byte name installs, upgrades (its backup and temporary fit) and goes', () => {
    const root = image();
    ok(['--root', root, 'install', 'long-name=1.0']);
    ok(['--root', root, 'update']);
    expect(readFileSync(join(root, 'usr/share/long', LONG), 'utf8')).toBe('long 2\n');
    ok(['--root', root, 'verify']);
    ok(['--root', root, 'remove', 'long-name']);
    expect(existsSync(join(root, 'usr/share/long'))).toBe(false);
  });

  it('a 256-byte name is refused by name, before any directory is made', () => {
    expectRefused(world, image(), ['install', 'too-long'], { code: 'E_MANIFEST_INVALID', message: /`usr\/share\/toolong\/n+`, whose name `n{32}…` is 256 bytes: file names are at most 255 bytes/ });
  });
});

describe('owner and group names the image lacks', () => {
  it('fall back to the numeric ids the archive carries, with a warning, and the ids are recorded', () => {
    const root = image();
    const r = ok(['--root', root, '--json', 'install', 'staff-numeric']);
    expect(r.stderr).toMatch(/group `staff` does not exist in the image; the archive's numeric id 50 is used/);
    expect(r.stderr).toMatch(/user `daemon-x` does not exist in the image; the archive's numeric id 4242 is used/);
    expect(r.json.warnings.join('\n')).toMatch(/group `staff`/);
    expect(rows(root, "SELECT uid, gid FROM files WHERE path = 'var/local/note'")).toEqual([{ uid: 4242, gid: 50 }]);
    expect(rows(root, "SELECT gid FROM dirs WHERE path = 'var/local'")).toEqual([{ gid: 50 }]);
    ok(['--root', root, 'remove', 'staff-numeric']);
  });

  it('without a numeric id an unknown group is still refused by name', () => {
    expectRefused(world, image(), ['install', 'staff-named'], { code: 'E_MANIFEST_INVALID', message: /group `staff` does not exist in the image/ });
  });

  it('a numeric id out of range is refused', () => {
    expectRefused(world, image(), ['install', 'bad-id'], { code: 'E_MANIFEST_INVALID', message: /`gid` must be an integer id/ });
  });

  it('real Debian base-files installs into an image without base-passwd (var/local is root:staff)', () => {
    const [deb] = fetchDebs(['base-files']);
    ok(['import-deb', deb!, '--repo', world.repo]);
    const root = image();
    const r = ok(['--root', root, '--json', 'install', 'base-files', 'awk-stub']);
    expect(r.stderr).toMatch(/group `staff` does not exist in the image; the archive's numeric id 50 is used/);
    expect(rows(root, "SELECT gid FROM dirs WHERE path = 'var/local'")).toEqual([{ gid: 50 }]);
    expect(existsSync(join(root, 'etc/os-release'))).toBe(true);
  });
});

describe('import-deb leaves no temporary directory behind', () => {
  it('when a .deb is refused, damaged, or cannot be published', () => {
    const work = join(world.work, 'import');
    const tmp = join(work, 'tmp');
    mkdirSync(join(work, 'tree/DEBIAN'), { recursive: true });
    mkdirSync(join(work, 'tree/usr/share/big'), { recursive: true });
    mkdirSync(tmp);
    writeFileSync(join(work, 'tree/DEBIAN/control'), 'Package: bigdeb\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: test\n');
    writeFileSync(join(work, 'tree/usr/share/big/data'), randomBytes(4 << 20));
    const good = join(work, 'good.deb');
    execFileSync('dpkg-deb', ['-Zxz', '--build', join(work, 'tree'), good], { stdio: 'ignore' });
    writeFileSync(join(work, 'truncated.deb'), readFileSync(good).subarray(0, 2 << 20));
    execFileSync('mkfifo', [join(work, 'tree/usr/share/big/fifo')]);
    const fifo = join(work, 'fifo.deb');
    execFileSync('dpkg-deb', ['-Zxz', '--build', join(work, 'tree'), fifo], { stdio: 'ignore' });
    const env = { TMPDIR: tmp };
    for (const deb of [join(work, 'truncated.deb'), fifo]) {
      const r = zpkg(['--json', 'import-deb', good, deb, '--repo', world.repo], { env });
      expect(r.status).not.toBe(0);
      expect(['E_ARCHIVE_INVALID', 'E_INPUT_INVALID', 'E_MANIFEST_INVALID']).toContain(r.json.error.code);
      expect(readdirSync(tmp)).toEqual([]);
    }
    ok(['import-deb', good, '--repo', world.repo], { env });
    writeFileSync(join(work, 'tree/usr/share/big/data'), randomBytes(4 << 20));
    rmSync(join(work, 'tree/usr/share/big/fifo'));
    const other = join(work, 'other.deb');
    execFileSync('dpkg-deb', ['-Zxz', '--build', join(work, 'tree'), other], { stdio: 'ignore' });
    expect(zpkg(['--json', 'import-deb', other, '--repo', world.repo], { env }).json.error.code).toBe('E_PACKAGE_EXISTS');
    expect(readdirSync(tmp)).toEqual([]);
    expect(readdirSync(world.repo).filter((n) => n.startsWith('.zpkg-tmp')).flatMap((n) => readdirSync(join(world.repo, n)))).toEqual([]);
  });
});
