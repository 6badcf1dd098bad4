/**
 * Broken states (issue 16 §4): an empty, truncated, garbled or gutted
 * state.db, or an image that cannot be written, gets its own typed code
 * (E_STATE_CORRUPT, E_IMAGE_READONLY) and a hint — never E_INTERNAL or a
 * stack trace — changes nothing, and `list` and `verify` keep working from
 * the backup zpkg writes beside state.db at every commit (or, on a read-only
 * image, from the state as it is).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { craft } from '../helpers/packs.js';
import { expectRefused, fileAction, hostileImage, hostileWorld, manifestOf } from '../helpers/hostile.js';
import { BIN, ok, snapshot, TEST_KEY, zpkg, type Run } from '../helpers/zpkg.js';

const world = hostileWorld('zpkg-hostile-state-');
const files: Record<string, Buffer> = { alpha: Buffer.from('alpha\n'), beta: Buffer.from('beta\n'), gamma: Buffer.from('gamma\n') };
const ready = (async () => {
  for (const [name, content] of Object.entries(files)) await craft(world.repo, manifestOf(name, [fileAction(`usr/share/${name}`, content)]), [content]);
})();

let count = 0;
let installedTemplate: string | undefined;
/**
 * An image with alpha and beta installed (two commits), so state.db and its backup both exist: a copy of one
 * zpkg made, as each case damages its own.
 */
async function installed(): Promise<{ root: string; db: string; backup: string }> {
  await ready;
  if (installedTemplate === undefined) {
    const template = hostileImage(world, 'img-installed');
    ok(['--root', template, 'install', 'alpha']);
    ok(['--root', template, 'install', 'beta']);
    installedTemplate = template;
  }
  const root = join(world.work, `img-${++count}`);
  cpSync(installedTemplate, root, { recursive: true, verbatimSymlinks: true });
  const db = join(root, 'var/lib/zpkg/state.db');
  return { root, db, backup: `${db}.backup` };
}

/** Asserts a typed refusal with no stack trace that leaves the image tree, state.db, its backup and the sentinel as they were. */
function expectStateRefused(root: string, args: string[], code: string, message?: RegExp): Run {
  const dbFiles = (): (string | null)[] => ['state.db', 'state.db.backup'].map((f) => (existsSync(join(root, 'var/lib/zpkg', f)) && statSync(join(root, 'var/lib/zpkg', f)).isFile() ? readFileSync(join(root, 'var/lib/zpkg', f)).toString('base64') : null));
  const before = { tree: snapshot(root, (rel) => rel.startsWith('var/lib/zpkg')), db: dbFiles(), sentinel: snapshot(world.sentinel) };
  const r = zpkg(['--root', root, '--json', ...args], { timeoutMs: 60_000 });
  const context = `zpkg ${args.join(' ')}\nstatus ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
  expect(r.status, context).not.toBe(0);
  expect(r.json?.error?.code, context).toBe(code);
  expect(r.json?.error?.hint, context).toBeTruthy();
  if (message) expect(r.json.error.message, context).toMatch(message);
  expect(r.stderr, context).not.toMatch(/\n\s+at .*:\d+:\d+/);
  expect({ tree: snapshot(root, (rel) => rel.startsWith('var/lib/zpkg')), db: dbFiles(), sentinel: snapshot(world.sentinel) }, context).toEqual(before);
  return r;
}

/** `zpkg list --json` reads alpha and beta (from the backup) and warns that it did. */
function expectListFromBackup(root: string): void {
  const r = ok(['--root', root, '--json', 'list']);
  expect(r.json.packages.map((p: { name: string }) => p.name)).toEqual(['alpha', 'beta']);
  expect(r.stderr).toMatch(/backup/);
  const v = ok(['--root', root, '--json', 'verify']);
  expect(v.json).toMatchObject({ packages: 2, problems: [] });
}

const damage: [string, (db: string) => void][] = [
  ['garbage', (db) => writeFileSync(db, Buffer.alloc(8192, 0x41))],
  ['empty (0 bytes)', (db) => writeFileSync(db, '')],
  ['truncated to half', (db) => truncateSync(db, Math.floor(readFileSync(db).length / 2))],
  ['truncated inside the header', (db) => truncateSync(db, 50)],
  ['a valid SQLite file without zpkg\'s tables', (db) => {
    rmSync(db);
    const d = new Database(db);
    d.exec('CREATE TABLE other (x)');
    d.close();
  }],
  ['the meta table dropped', (db) => {
    const d = new Database(db);
    d.exec('DROP TABLE meta');
    d.close();
  }],
  ['a page in the middle garbled', (db) => {
    const d = new Database(db);
    d.pragma('wal_checkpoint(TRUNCATE)');
    const pageSize = d.pragma('page_size', { simple: true }) as number;
    d.close();
    const bytes = readFileSync(db);
    bytes.fill(0x5a, pageSize * 2, pageSize * 3);
    writeFileSync(db, bytes);
  }],
  ['a directory', (db) => {
    rmSync(db);
    mkdirSync(db);
  }],
];

describe('state.db backup at each commit', () => {
  it('every commit rewrites state.db.backup, a consistent SQLite copy with the same packages', async () => {
    const { root, backup } = await installed();
    const d = new Database(backup, { readonly: true });
    expect(d.prepare('SELECT name FROM packages ORDER BY name').pluck().all()).toEqual(['alpha', 'beta']);
    expect(d.pragma('integrity_check', { simple: true })).toBe('ok');
    d.close();
    ok(['--root', root, 'remove', 'beta']);
    const after = new Database(backup, { readonly: true });
    expect(after.prepare('SELECT name FROM packages').pluck().all()).toEqual(['alpha']);
    after.close();
  });

  it('what a backup killed midway leaves (its temporary copy and journal) is removed by recovery', async () => {
    const { root, backup } = await installed();
    for (const t of [`${backup}.zpkg-tmp`, `${backup}.zpkg-tmp-journal`]) writeFileSync(t, 'half a database');
    ok(['--root', root, 'recover']);
    expect(existsSync(`${backup}.zpkg-tmp`)).toBe(false);
    expect(existsSync(`${backup}.zpkg-tmp-journal`)).toBe(false);
    expect(existsSync(backup)).toBe(true);
  });
});

describe('a damaged state.db: changing commands refuse with E_STATE_CORRUPT, list and verify read the backup', () => {
  for (const [what, harm] of damage) {
    it(`${what}: install refuses, nothing changes`, async () => {
      const { root, db } = await installed();
      harm(db);
      rmSync(`${db}-wal`, { force: true });
      rmSync(`${db}-shm`, { force: true });
      const r = expectStateRefused(root, ['install', 'gamma'], 'E_STATE_CORRUPT', /state\.db/);
      expect(r.json.error.hint).toMatch(/state\.db\.backup/);
      expectListFromBackup(root);
    });
  }

  for (const command of [['remove', 'alpha'], ['recover'], ['update'], ['hold', 'alpha']]) {
    it(`garbage state.db: \`${command.join(' ')}\` refuses with E_STATE_CORRUPT`, async () => {
      const { root, db } = await installed();
      writeFileSync(db, Buffer.alloc(4096, 0x00));
      rmSync(`${db}-wal`, { force: true });
      expectStateRefused(root, command, 'E_STATE_CORRUPT');
    });
  }

  it('garbage state.db and no backup: list refuses with E_STATE_CORRUPT and a hint that says there is no backup', async () => {
    const { root, db, backup } = await installed();
    writeFileSync(db, Buffer.alloc(4096, 0x41));
    rmSync(backup);
    const r = expectStateRefused(root, ['list'], 'E_STATE_CORRUPT');
    expect(r.json.error.hint).toMatch(/no backup/);
  });

  it('both state.db and its backup garbled: list refuses with E_STATE_CORRUPT naming the backup', async () => {
    const { root, db, backup } = await installed();
    writeFileSync(db, Buffer.alloc(4096, 0x41));
    writeFileSync(backup, Buffer.alloc(4096, 0x42));
    expectStateRefused(root, ['list'], 'E_STATE_CORRUPT', /backup/);
  });

  it('the hint\'s restore works: after copying the backup back, install goes on', async () => {
    const { root, db, backup } = await installed();
    writeFileSync(db, Buffer.alloc(4096, 0x41));
    rmSync(`${db}-wal`, { force: true });
    rmSync(`${db}-shm`, { force: true });
    copyFileSync(backup, db);
    ok(['--root', root, 'install', 'gamma']);
    expect(ok(['--root', root, '--json', 'list']).json.packages.map((p: { name: string }) => p.name)).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('an empty state.db with no backup (a creation that was interrupted) is started again', async () => {
    await ready;
    const root = hostileImage(world, `img-${++count}`, {
      setup: (r) => {
        mkdirSync(join(r, 'var/lib/zpkg'), { recursive: true });
        writeFileSync(join(r, 'var/lib/zpkg/state.db'), '');
      },
    });
    ok(['--root', root, 'install', 'alpha']);
    expect(ok(['--root', root, '--json', 'list']).json.packages.map((p: { name: string }) => p.name)).toEqual(['alpha']);
  });
});

/** Runs zpkg with the image bind-mounted read-only, in a private mount namespace (needs root; nothing is mounted on the host). */
function zpkgReadOnly(root: string, args: string[]): Run {
  const script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"';
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'ro', root, process.execPath, BIN, '--root', root, '--json', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ZPKG_REPO_KEY: TEST_KEY },
    timeout: 60_000,
  });
  let json: any;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return { status: r.status ?? -1, signal: r.signal, stdout: r.stdout, stderr: r.stderr, json };
}

const canMount = spawnSync('unshare', ['--mount', 'true']).status === 0;

describe.skipIf(!canMount)('a read-only image', () => {
  for (const command of [['install', 'gamma'], ['remove', 'alpha'], ['hold', 'alpha']]) {
    it(`\`${command.join(' ')}\` refuses with E_IMAGE_READONLY and a hint, no stack trace`, async () => {
      const { root } = await installed();
      const before = snapshot(root);
      const r = zpkgReadOnly(root, command);
      const context = `status ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
      expect(r.status, context).not.toBe(0);
      expect(r.json?.error?.code, context).toBe('E_IMAGE_READONLY');
      expect(r.json.error.hint, context).toMatch(/read-only/);
      expect(r.stderr, context).not.toMatch(/\n\s+at .*:\d+:\d+/);
      expect(snapshot(root)).toEqual(before);
    });
  }

  it('list and verify still read it', async () => {
    const { root } = await installed();
    const l = zpkgReadOnly(root, ['list']);
    expect(l.status, l.stderr).toBe(0);
    expect(l.json.packages.map((p: { name: string }) => p.name)).toEqual(['alpha', 'beta']);
    const v = zpkgReadOnly(root, ['verify']);
    expect(v.status, v.stderr).toBe(0);
    expect(v.json).toMatchObject({ packages: 2, problems: [] });
  });
});

describe('structures of the wrong shape get a typed error, never a crash', () => {
  for (const type of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
    it(`an action of type \`${type}\` (an inherited key of every object) is refused with E_MANIFEST_INVALID`, async () => {
      await ready;
      const name = `inherit-${type.replace(/_/g, '').toLowerCase()}`;
      await craft(world.repo, manifestOf(name, [{ type, path: 'etc/x', owner: 'root', group: 'root' }]), []);
      const root = hostileImage(world, `img-${++count}`);
      expectRefused(world, root, ['install', name], { code: 'E_MANIFEST_INVALID', message: /unknown type/ });
    });
  }

  const journalCases: [string, unknown][] = [
    ['an array', []],
    ['puts not a list', { format: 1, txid: 'abc', command: 'x', startedAt: '', puts: 'everything', deletes: [], createdDirs: [], removedDirs: [], changedDirs: [] }],
    ['a put without dest', { format: 1, txid: 'abc', command: 'x', startedAt: '', puts: [{ existed: true }], deletes: [], createdDirs: [], removedDirs: [], changedDirs: [] }],
    ['a delete leaving the image', { format: 1, txid: 'abc', command: 'x', startedAt: '', puts: [], deletes: ['../../sentinel/secret'], createdDirs: [], removedDirs: [], changedDirs: [] }],
    ['an absolute created dir', { format: 1, txid: 'abc', command: 'x', startedAt: '', puts: [], deletes: [], createdDirs: ['/etc'], removedDirs: [], changedDirs: [] }],
    ['a txid with a slash', { format: 1, txid: '../x', command: 'x', startedAt: '', puts: [], deletes: [], createdDirs: [], removedDirs: [], changedDirs: [] }],
    ['a removed dir with a string mode', { format: 1, txid: 'abc', command: 'x', startedAt: '', puts: [], deletes: [], createdDirs: [], removedDirs: [{ path: 'x', mode: '0755', uid: 0, gid: 0 }], changedDirs: [] }],
    // A journal's format says whether it has new trees (txn/journal.ts): a zpkg from before trees must refuse those it cannot recover.
    ['format 1 listing new trees', { format: 1, txid: 'abc', command: 'x', startedAt: '', puts: [{ dest: 'opt/a', existed: false }], deletes: [], createdDirs: ['opt'], removedDirs: [], changedDirs: [], trees: ['opt'] }],
    ['format 2 listing no new tree', { format: 2, txid: 'abc', command: 'x', startedAt: '', puts: [], deletes: [], createdDirs: [], removedDirs: [], changedDirs: [] }],
    ['format 3', { format: 3, txid: 'abc', command: 'x', startedAt: '', puts: [], deletes: [], createdDirs: [], removedDirs: [], changedDirs: [], trees: ['opt'] }],
  ];
  for (const [what, journal] of journalCases) {
    it(`a journal that is ${what}: recover refuses with E_IMAGE_INVALID, nothing outside the image is touched`, async () => {
      const { root } = await installed();
      mkdirSync(join(root, 'var/lib/zpkg/journal'), { recursive: true });
      writeFileSync(join(root, 'var/lib/zpkg/journal/abc.json'), JSON.stringify(journal));
      expectStateRefused(root, ['recover'], 'E_IMAGE_INVALID', /journal/);
    });
  }
});

describe('a format-1 catalog of the wrong shape is refused when decoded (before it is cached)', async () => {
  const { decodeCatalog } = await import('../../src/repo/catalog-codec.js');
  const { compress } = await import('../../src/repo/compress.js');
  const { isZpkgError } = await import('../../src/core/errors.js');
  const entry = { name: 'a', version: '1.0', arch: 'all', summary: '', depends: [], conflicts: [], provides: [], replaces: [], size: 1, installedSize: 1 };
  const cases: [string, unknown][] = [
    ['a numeric summary', { ...entry, summary: 42 }],
    ['depends not a list', { ...entry, depends: 'libc6' }],
    ['a depends item that is an object', { ...entry, depends: [{ name: 'libc6' }] }],
    ['a negative size', { ...entry, size: -1 }],
    ['a fractional installedSize', { ...entry, installedSize: 1.5 }],
    ['a manifest that is not a digest', { ...entry, manifest: 'sha256:zz' }],
    ['a null entry', null],
    ['a name that is a number', { ...entry, name: 7 }],
    ['a relation that does not parse', { ...entry, depends: ['a (>> '] }],
  ];
  for (const [what, bad] of cases) {
    it(`${what}: E_REPO_INVALID naming the entry`, () => {
      const bytes = compress(Buffer.from(JSON.stringify({ format: 1, packages: [entry, bad] })));
      let err: unknown;
      try {
        decodeCatalog(bytes, 'test-repo');
      } catch (e) {
        err = e;
      }
      expect(isZpkgError(err, 'E_REPO_INVALID'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(/test-repo: catalog entry 1/);
    });
  }
  it('the good entry alone decodes', () => {
    expect(decodeCatalog(compress(Buffer.from(JSON.stringify({ format: 1, packages: [entry] }))), 'test-repo').map((e) => e.name)).toEqual(['a']);
  });
});

describe('a pending lifecycle record of the wrong shape is dropped with a warning, never a crash', () => {
  const good = { txid: 'abc', hookMode: 'chroot', serviceManager: 'none', post: [], services: [], wasRunning: [], stopped: [], ran: [] };
  const cases: [string, unknown][] = [
    ['post not a list', { ...good, post: 'all' }],
    ['a post-hook step without digest', { ...good, post: [{ package: 'alpha', version: '1.0', phase: 'post-install', size: 1 }] }],
    ['a post-hook timeout of 2^31 s', { ...good, post: [{ package: 'alpha', version: '1.0', phase: 'post-install', digest: `sha256:${'0'.repeat(64)}`, size: 1, timeout: 2 ** 31 }] }],
    ['an unknown service manager', { ...good, serviceManager: 'constructor' }],
    ['wasRunning of the wrong shape', { ...good, wasRunning: [['x']] }],
  ];
  for (const [what, record] of cases) {
    it(`${what}: recover warns, drops it and succeeds`, async () => {
      const { root } = await installed();
      mkdirSync(join(root, 'var/lib/zpkg/lifecycle'), { recursive: true });
      writeFileSync(join(root, 'var/lib/zpkg/lifecycle/abc.json'), JSON.stringify(record));
      const r = zpkg(['--root', root, '--json', 'recover'], { timeoutMs: 60_000 });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stderr).toMatch(/dropping the unreadable pending lifecycle/);
      expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
      expect(existsSync(join(root, 'var/lib/zpkg/lifecycle/abc.json'))).toBe(false);
    });
  }
});

describe('a JSON column of state.db of the wrong shape is E_STATE_CORRUPT, not a crash', () => {
  for (const [what, sql] of [
    ['relations that are not JSON', "UPDATE packages SET relations = 'nope' WHERE name = 'alpha'"],
    ['relations whose depends is a string', `UPDATE packages SET relations = '{"depends":"libc6"}' WHERE name = 'alpha'`],
    ['history changes that are a number', "UPDATE history SET changes = '7'"],
  ] as const) {
    it(`${what}: list or history gives E_STATE_CORRUPT`, async () => {
      const { root, db } = await installed();
      const d = new Database(db);
      d.exec(sql);
      d.close();
      const command = what.startsWith('history') ? ['history'] : ['list'];
      expectStateRefused(root, command, 'E_STATE_CORRUPT', /state\.db/);
    });
  }
});

describe('verify reads file records before the state is checked, and never reports from a damaged state', () => {
  // 100 files: enough that verify checks them on worker threads, with the records posted before quick_check runs.
  const many = Array.from({ length: 100 }, (_, i) => Buffer.from(`many ${i}\n`));
  const crafted = (async () => {
    await ready;
    await craft(world.repo, manifestOf('many', many.map((c, i) => fileAction(`usr/share/many/f${String(i).padStart(3, '0')}`, c))), many);
  })();

  it('a garbled page anywhere in state.db: verify answers from the backup, or from a state quick_check finds whole, or refuses typed', async () => {
    await crafted;
    const root = hostileImage(world, 'img-pages');
    ok(['--root', root, 'install', 'alpha']);
    ok(['--root', root, 'install', 'many']);
    const db = join(root, 'var/lib/zpkg/state.db');
    const d = new Database(db);
    d.pragma('wal_checkpoint(TRUNCATE)');
    const pageSize = d.pragma('page_size', { simple: true }) as number;
    d.close();
    const pristine = readFileSync(db);
    const pages = pristine.length / pageSize;
    expect(pages).toBeGreaterThan(8);
    let fromBackup = 0;
    for (let p = 1; p < pages; p++) {
      const bytes = Buffer.from(pristine);
      bytes.fill(0x5a, pageSize * p, pageSize * (p + 1));
      writeFileSync(db, bytes);
      rmSync(`${db}-wal`, { force: true });
      rmSync(`${db}-shm`, { force: true });
      const r = zpkg(['--root', root, '--json', 'verify'], { timeoutMs: 60_000 });
      const context = `page ${p + 1} of ${pages}\nstatus ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
      expect(r.stderr, context).not.toMatch(/\n\s+at .*:\d+:\d+/);
      if (r.json?.error) {
        expect(r.json.error.code, context).toBe('E_STATE_CORRUPT');
        continue;
      }
      if (/read from the backup/.test(r.stderr)) {
        fromBackup++;
        expect(r.status, context).toBe(0);
        expect(r.json, context).toMatchObject({ packages: 2, paths: 101, problems: [] });
      } else expect([0, 1], context).toContain(r.status);
    }
    // Most pages of this state are its tables' and indexes' own: garbling them is caught, and the backup answers.
    expect(fromBackup).toBeGreaterThan(pages / 3);
    writeFileSync(db, pristine);
    expect(ok(['--root', root, '--json', 'verify']).json).toMatchObject({ packages: 2, paths: 101, problems: [] });
  });
});
