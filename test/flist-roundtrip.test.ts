/**
 * Round trips through flists. A package with every kind of content — an empty
 * file, one byte, exactly one block (512 KiB), several blocks, 20 MB, a file
 * twice (one block stored once), a hard link, relative and absolute symlinks,
 * setuid and sticky modes, owners by name, by declared account and by number,
 * a config file, a hook and a service — is exported to a directory store and
 * to the zdb model, imported back, and gives the identical manifest. The
 * exported `.fl` has rfs's schema (sqlite3 `.schema` equals that of an flist
 * rfs made), and the rfs model (Python, written from rfs's pack/unpack)
 * unpacks it into the same tree; a tree the rfs model packs imports and
 * installs into the same tree. An installed package exports as the published
 * one does.
 */
import { chmodSync, chownSync, linkSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureFlist, rfsModel, sqlite } from './helpers/flists.js';
import { addRemote, startZdb, type Server } from './helpers/servers.js';
import { ok, snapshot, tempDir, writePackage, zpkg } from './helpers/zpkg.js';

const BLOCK = 512 * 1024;
let work: string;
let src: string;
let repo: string;
let digest: string;
const servers: Server[] = [];

/** The manifest digest of NAME in a repository. */
function published(repoDir: string, name: string): string {
  return ok(['--json', 'repo', 'list', repoDir]).json.packages.find((p: any) => p.name === name).manifest;
}

/** Every file under a directory store (blocks are ID[0:2]/ID). */
function storeFiles(store: string): string[] {
  return readdirSync(store).flatMap((d) => readdirSync(join(store, d)).map((f) => `${d}/${f}`));
}

beforeAll(() => {
  work = tempDir('zpkg-flist-rt-');
  src = join(work, 'src');
  const block = randomBytes(BLOCK);
  writePackage(
    src,
    {
      name: 'demo',
      version: '1.0-1',
      summary: 'every kind of content',
      config: ['etc/svc.conf'],
      users: [{ name: 'svc', uid: 501 }],
      groups: [{ name: 'svc', gid: 501 }],
      attributes: [
        { path: 'usr/bin/su-like', mode: '4755' },
        { path: 'srv/drop', mode: '1777' },
        { path: 'var/lib/svc', owner: 'svc', group: 'svc', mode: '0750' },
        { path: 'var/lib/svc/**', owner: 'svc', group: 'svc' },
        { path: 'data/numeric', owner: '1234', group: '1234', mode: '0600' },
        { path: 'etc/svc.conf', restart: ['svc'] },
      ],
      hooks: { 'post-install': 'hooks/post-install.sh' },
      services: [{ name: 'svc', restart: 'on-upgrade' }],
    },
    {
      'etc/empty': '',
      'etc/one': 'x',
      'etc/svc.conf': 'port = 1\n',
      'data/block': { content: block },
      'data/copy': { content: block },
      'data/several': { content: randomBytes(3 * BLOCK + 17) },
      'data/big': { content: randomBytes(20_000_000) },
      'data/numeric': 'secret',
      'usr/bin/hi': { content: '#!/bin/sh\necho hi\n', mode: 0o755 },
      'usr/bin/su-like': { content: '#!/bin/sh\nid\n', mode: 0o755 },
      'usr/bin/hello': { link: 'hi' },
      'etc/abs': { link: '/etc/one' },
      'var/lib/svc/state': 'ok',
    },
  );
  mkdirSync(join(src, 'root/srv/drop'), { recursive: true });
  linkSync(join(src, 'root/usr/bin/hi'), join(src, 'root/usr/bin/hi2'));
  mkdirSync(join(src, 'hooks'));
  writeFileSync(join(src, 'hooks/post-install.sh'), '#!/bin/sh\necho installed\n', { mode: 0o755 });
  repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  ok(['build', src, '--repo', repo]);
  digest = published(repo, 'demo');
}, 600_000);

afterAll(async () => {
  for (const s of servers) await s.stop();
});

describe('export-flist → import-flist gives the identical manifest', () => {
  it('through a directory store: same digest, rfs schema, one block per distinct 512 KiB, every action kind kept', () => {
    const store = join(work, 'store');
    const fl = join(work, 'out/demo-1.0-1.fl');
    const exported = ok(['--json', 'export-flist', 'demo', '--repo', repo, '--store', `dir://${store}`, '-o', fl]).json;
    expect(exported).toMatchObject({ name: 'demo', version: '1.0-1', manifest: digest, routes: [{ start: 0, end: 255, url: `dir://${store}` }] });

    const back = join(work, 'repo-back');
    ok(['repo', 'create', back]);
    const imported = ok(['--json', 'import-flist', fl, '--repo', back]).json;
    expect(imported.packages[0]).toMatchObject({ name: 'demo', version: '1.0-1', fromTag: true, status: 'added', manifest: digest });
    expect(published(back, 'demo')).toBe(digest);

    // The schema is rfs's: the same tables, columns and indexes as an flist rfs made.
    const rfsMade = fixtureFlist('hello', work);
    const dump = (f: string) => sqlite(f, "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name");
    expect(dump(fl)).toEqual(dump(rfsMade));

    // Blocks: 512 KiB each, the shared content stored once, every block in the store.
    const sizes = sqlite(fl, `SELECT i.name, i.size, count(b.rowid) AS blocks FROM inode i LEFT JOIN block b ON b.ino = i.ino WHERE i.mode / 4096 = 8 GROUP BY i.ino ORDER BY i.name`);
    const count = Object.fromEntries(sizes.map((r) => [r.name, r.blocks]));
    expect(count).toMatchObject({ empty: 0, one: 1, block: 1, copy: 1, several: 4, big: Math.ceil(20_000_000 / BLOCK), hi: 1, hi2: 1 });
    const distinct = sqlite(fl, 'SELECT count(DISTINCT id) AS n FROM block')[0]!.n;
    const tag = JSON.parse(sqlite(fl, "SELECT value FROM tag WHERE key = 'zpkg'")[0]!.value);
    const hookBlocks = Object.values(tag.hooks as Record<string, string[][]>).flat().length;
    expect(storeFiles(store)).toHaveLength(distinct + hookBlocks);
    expect(exported.blocksWritten).toBe(distinct + hookBlocks);
    expect(sqlite(fl, "SELECT count(DISTINCT b.id) AS n FROM block b JOIN inode i ON i.ino = b.ino WHERE i.name IN ('block', 'copy')")[0]!.n).toBe(1);

    // What the tree says, in rfs's terms.
    const row = (name: string) => sqlite(fl, `SELECT i.size, i.uid, i.gid, i.mode, CAST(e.data AS TEXT) AS target FROM inode i LEFT JOIN extra e ON e.ino = i.ino WHERE i.name = '${name}'`)[0];
    expect(row('su-like')).toMatchObject({ uid: 0, gid: 0, mode: 0o104755 });
    expect(row('drop')).toMatchObject({ mode: 0o041777 });
    expect(row('svc')).toMatchObject({ uid: 501, gid: 501, mode: 0o040750 });
    expect(row('numeric')).toMatchObject({ uid: 1234, gid: 1234, mode: 0o100600 });
    expect(row('hello')).toMatchObject({ mode: 0o120777, size: 2, target: 'hi' });
    expect(row('abs')).toMatchObject({ mode: 0o120777, target: '/etc/one' });
    expect(row('hi2')).toMatchObject({ mode: 0o100755, size: row('hi')!.size });
    expect(sqlite(fl, "SELECT name, parent FROM inode WHERE ino = 1")).toEqual([{ name: '/', parent: 0 }]);
    expect(Object.fromEntries(sqlite(fl, "SELECT key, value FROM tag WHERE key <> 'zpkg'").map((r) => [r.key, r.value]))).toEqual({ version: '1.0-1', description: 'every kind of content' });
  });

  it('the rfs model unpacks zpkg’s export into the package’s tree (contents, modes, owners, links)', () => {
    const store = join(work, 'store');
    const fl = join(work, 'out/demo-1.0-1.fl');
    const dest = join(work, 'unpacked');
    rfsModel(['unpack', fl, store, dest]);
    const image = join(work, 'img-installed');
    mkdirSync(image);
    addRemote(image, 'main', repo);
    ok(['--root', image, 'install', 'demo', '--hooks=skip']);
    // rfs's unpack keeps no directory modes and joins absolute link targets to the destination;
    // the image also holds zpkg's state and the account files the package's user was added to.
    const norm = (lines: string[], root: string) =>
      lines.filter((l) => !/^(var\/lib\/zpkg|etc\/(passwd|group|shadow|gshadow))[ /]/.test(l)).map((l) => l.replace(/^(\S+) \S+ (\S+) dir$/, '$1 $2 dir').replace(` link ${root}/`, ' link /'));
    // rfs's unpack chmods a file, then chowns it (unpack.rs: set_permissions, then fchownat):
    // Linux clears setuid on chown, so rfs itself loses the setuid bit the flist records.
    const rfsLosesSetuid = (lines: string[]) => lines.map((l) => l.replace(/^usr\/bin\/su-like 4755 /, 'usr/bin/su-like 755 '));
    expect(norm(snapshot(dest), dest)).toEqual(rfsLosesSetuid(norm(snapshot(image), image)));
    expect(snapshot(image).find((l) => l.startsWith('usr/bin/su-like '))).toMatch(/^usr\/bin\/su-like 4755 /);
    expect(readFileSync(join(dest, 'data/big')).equals(readFileSync(join(src, 'root/data/big')))).toBe(true);
  });

  it('through the zdb model: SELECT with the namespace password, EXISTS before SET, GET to read; nothing else is sent', async () => {
    const log = join(work, 'zdb.log');
    const zdb = await startZdb({ flist: { password: 'pw', public: false } }, log);
    servers.push(zdb);
    const fl = join(work, 'out/zdb.fl');
    const url = `zdb://:pw@${zdb.url}/flist`;
    const exported = ok(['--json', 'export-flist', 'demo', '--repo', repo, '--store', url, '-o', fl]).json;
    // rfs strips the password from the route it records.
    expect(exported.routes).toEqual([{ start: 0, end: 255, url: `zdb://${zdb.url}/flist` }]);
    expect(sqlite(fl, 'SELECT url FROM route')).toEqual([{ url: `zdb://${zdb.url}/flist` }]);
    const sent = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(sent[0]).toEqual({ conn: sent[0].conn, ns: 'default', cmd: 'SELECT', args: [Buffer.from('flist').toString('hex'), Buffer.from('pw').toString('hex')] });
    const rest = sent.slice(1);
    expect(new Set(rest.map((c) => c.cmd))).toEqual(new Set(['EXISTS', 'SET']));
    for (let i = 0; i < rest.length; i += 2) expect([rest[i].cmd, rest[i + 1].cmd, rest[i + 1].args[0]]).toEqual(['EXISTS', 'SET', rest[i].args[0]]);
    expect(rest.length / 2).toBe(exported.blocksWritten);

    // The namespace is private: read through the recorded route (no password), 0-db refuses.
    const back = join(work, 'repo-zdb');
    ok(['repo', 'create', back]);
    const refused = zpkg(['--json', 'import-flist', fl, '--repo', back]);
    expect(refused.json.error).toMatchObject({ code: 'E_AUTH', message: expect.stringMatching(/Namespace protected and private/) });
    writeFileSync(log, '');
    expect(ok(['--json', 'import-flist', fl, '--repo', back, '--store', url]).json.packages[0]).toMatchObject({ manifest: digest, status: 'added' });
    const reads = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(reads[0]).toMatchObject({ cmd: 'SELECT', args: [Buffer.from('flist').toString('hex'), Buffer.from('pw').toString('hex')] });
    expect(new Set(reads.slice(1).map((c) => c.cmd))).toEqual(new Set(['GET']));
    expect(published(back, 'demo')).toBe(digest);

    // A public namespace is readable without the password, read-only.
    const pub = await startZdb({ hub: { password: 'pw', public: true } });
    servers.push(pub);
    const fl2 = join(work, 'out/pub.fl');
    ok(['export-flist', 'demo', '--repo', repo, '--store', `zdb://:pw@${pub.url}/hub`, '-o', fl2]);
    expect(ok(['--json', 'import-flist', fl2]).json.packages[0].manifest).toBe(digest);
    const readOnly = zpkg(['--json', 'export-flist', 'demo', '--repo', repo, '--store', `zdb://${pub.url}/hub`, '-o', join(work, 'out/ro.fl')]);
    // Everything is there already: nothing to write, so even a read-only connection exports.
    expect(readOnly.status, readOnly.stdout).toBe(0);
    const fresh = await startZdb({ hub: { password: 'pw', public: true } });
    servers.push(fresh);
    const denied = zpkg(['--json', 'export-flist', 'demo', '--repo', repo, '--store', `zdb://${fresh.url}/hub`, '-o', join(work, 'out/denied.fl')]);
    expect(denied.json.error).toMatchObject({ code: 'E_AUTH', message: expect.stringMatching(/read-only/) });
  });

  it('an installed package exports as the published one: the same tree and blocks', () => {
    const image = join(work, 'img-installed');
    const store = join(work, 'store-installed');
    const fromImage = join(work, 'out/installed.fl');
    ok(['--root', image, 'export-flist', 'demo', '--store', store, '-o', fromImage]);
    const fromRepo = join(work, 'out/published.fl');
    ok(['export-flist', 'demo=1.0-1', '--repo', repo, '--store', store, '-o', fromRepo]);
    const rows = (f: string) => sqlite(f, 'SELECT i.*, lower(hex(b.id)) AS id FROM inode i LEFT JOIN block b ON b.ino = i.ino ORDER BY i.ino, b.rowid');
    expect(rows(fromImage)).toEqual(rows(fromRepo));
    expect(sqlite(fromImage, "SELECT value FROM tag WHERE key = 'zpkg'")).toEqual(sqlite(fromRepo, "SELECT value FROM tag WHERE key = 'zpkg'"));
    // A config file edited in the image still exports as packaged (from the image's cache).
    writeFileSync(join(image, 'etc/svc.conf'), 'port = 2\n');
    const again = join(work, 'out/installed-again.fl');
    ok(['--root', image, 'export-flist', 'demo', '--store', store, '-o', again]);
    expect(rows(again)).toEqual(rows(fromRepo));
    expect(zpkg(['--json', '--root', image, 'export-flist', 'nope', '--store', store, '-o', join(work, 'x.fl')]).json.error.code).toBe('E_NOT_INSTALLED');
  });

  it('the same file in two flists is one block in the store', () => {
    const store = join(work, 'store-shared');
    const other = join(work, 'src-other');
    writePackage(other, { name: 'other', version: '1' }, { 'data/same': { content: readFileSync(join(src, 'root/data/several')) }, 'data/own': 'own' });
    ok(['build', other, '--repo', repo]);
    const a = ok(['--json', 'export-flist', 'demo', '--repo', repo, '--store', store, '-o', join(work, 'out/a.fl')]).json;
    const before = storeFiles(store).length;
    const b = ok(['--json', 'export-flist', 'other', '--repo', repo, '--store', store, '-o', join(work, 'out/b.fl')]).json;
    expect(a.blocksWritten).toBe(before);
    expect(b.blocks).toBe(5);
    expect(b.blocksWritten).toBe(1); // only `own`: the 4 blocks of `same` are demo's
    expect(storeFiles(store)).toHaveLength(before + 1);
    const ids = (f: string, name: string) => sqlite(f, `SELECT lower(hex(b.id)) AS id FROM block b JOIN inode i ON i.ino = b.ino WHERE i.name = '${name}' ORDER BY b.rowid`);
    expect(ids(join(work, 'out/b.fl'), 'same')).toEqual(ids(join(work, 'out/a.fl'), 'several'));
  });
});

describe('a tree the rfs model packs', () => {
  it('imports and installs into the same tree: contents, modes, owners, links', () => {
    const tree = join(work, 'tree');
    mkdirSync(join(tree, 'usr/bin'), { recursive: true });
    mkdirSync(join(tree, 'var/cache/app'), { recursive: true });
    mkdirSync(join(tree, 'tmp'));
    chmodSync(join(tree, 'tmp'), 0o1777);
    writeFileSync(join(tree, 'usr/bin/app'), '#!/bin/sh\necho app\n', { mode: 0o755 });
    writeFileSync(join(tree, 'usr/bin/big'), randomBytes(3 * BLOCK + 5));
    writeFileSync(join(tree, 'empty'), '');
    symlinkSync('app', join(tree, 'usr/bin/app-link'));
    symlinkSync('/usr/bin/app', join(tree, 'abs-link'));
    writeFileSync(join(tree, 'var/cache/app/state'), 'x', { mode: 0o640 });
    chownSync(join(tree, 'var/cache/app/state'), 501, 502);
    chownSync(join(tree, 'var/cache/app'), 501, 502);
    const fl = join(work, 'hub/app-2.1.fl');
    mkdirSync(join(work, 'hub'));
    rfsModel(['pack', tree, fl, join(work, 'hub-store')]);
    const hubRepo = join(work, 'repo-hub');
    ok(['repo', 'create', hubRepo]);
    const imported = ok(['--json', 'import-flist', fl, '--repo', hubRepo]).json.packages[0];
    expect(imported).toMatchObject({ name: 'app', version: '2.1', fromTag: false, files: 4, status: 'added' });
    const image = join(work, 'img-hub');
    mkdirSync(image);
    addRemote(image, 'hub', hubRepo);
    ok(['--root', image, 'install', 'app']);
    const withoutState = (root: string) => snapshot(root).filter((l) => !/^var\/lib[ /]/.test(l));
    expect(withoutState(image)).toEqual(snapshot(tree));
  });
});
