/**
 * Flists that lie, and stores that hold the wrong bytes: each is refused with
 * a typed error that names the block, inode or row and the reason, and the
 * repository is left exactly as it was. Flists are made by zpkg (with its
 * `zpkg` tag) and by the rfs model (plain, as from the hub), then changed
 * with sqlite3 or by editing the store's files.
 */
import { execFileSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBLAKE2b } from 'hash-wasm';
import { compressSync } from 'snappy';
import { beforeAll, describe, expect, it } from 'vitest';
import { rfsModel, sqlite, sqliteExec } from './helpers/flists.js';
import { randomBytes } from 'node:crypto';
import { ok, tempDir, writePackage, zpkg } from './helpers/zpkg.js';

const BLOCK = 512 * 1024;
let work: string;
let repo: string;
let rootBefore: Buffer;
let tagged: { fl: string; store: string };
let plain: { fl: string; store: string };
let n = 0;

/** A fresh copy of an flist and its store to tamper with. */
function copy(of: { fl: string; store: string }): { fl: string; store: string } {
  n += 1;
  const dir = join(work, `case-${n}`);
  mkdirSync(dir);
  const fl = join(dir, 'pkg-1.0.fl');
  copyFileSync(of.fl, fl);
  const store = join(dir, 'store');
  cpSync(of.store, store, { recursive: true });
  return { fl, store };
}

/** Imports with the copy's store; expects a refusal with `code` whose message matches, and an unchanged repository. */
function refused(c: { fl: string; store: string }, code: string, message: RegExp, extra: string[] = []): any {
  const r = zpkg(['--json', 'import-flist', c.fl, '--store', `dir://${c.store}`, '--repo', repo, ...extra]);
  expect(r.json?.error, r.stdout + r.stderr).toMatchObject({ code, message: expect.stringMatching(message) });
  expect(r.status).toBe(1);
  expect(readFileSync(join(repo, 'root.json'))).toEqual(rootBefore);
  return r.json.error;
}

const blockFile = (store: string, hex: string): string => join(store, hex.slice(0, 2), hex);
const blocksOf = (fl: string, name: string): { id: string; key: string }[] =>
  sqlite(fl, `SELECT lower(hex(b.id)) AS id, lower(hex(b.key)) AS key FROM block b JOIN inode i ON i.ino = b.ino WHERE i.name = '${name}' ORDER BY b.rowid`);

beforeAll(() => {
  work = tempDir('zpkg-flist-tamper-');
  const src = join(work, 'src');
  writePackage(src, { name: 'pkg', version: '1.0' }, {
    'data/multi': { content: randomBytes(2 * BLOCK + 100) },
    'data/one': { content: randomBytes(BLOCK) },
    'data/other': { content: randomBytes(BLOCK) },
    'data/small': 'a small file\n',
    'data/empty': '',
    'etc/link': { link: '../data/small' },
  });
  const pub = join(work, 'pub');
  ok(['repo', 'create', pub]);
  ok(['build', src, '--repo', pub]);
  tagged = { fl: join(work, 'tagged.fl'), store: join(work, 'tagged-store') };
  ok(['export-flist', 'pkg', '--repo', pub, '--store', tagged.store, '-o', tagged.fl]);
  plain = { fl: join(work, 'plain.fl'), store: join(work, 'plain-store') };
  rfsModel(['pack', join(src, 'root'), plain.fl, plain.store]);
  repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  rootBefore = readFileSync(join(repo, 'root.json'));
  // The untouched flists import (into a throwaway repository): every refusal below is the tampering's.
  const scratch = join(work, 'scratch');
  ok(['repo', 'create', scratch]);
  ok(['import-flist', tagged.fl, '--repo', scratch]);
  ok(['import-flist', plain.fl, '--name', 'pkg', '--version', '2.0', '--repo', scratch]);
}, 600_000);

describe('a store holding the wrong bytes', () => {
  it('a block with one byte changed: its bytes no longer hash to its id', () => {
    const c = copy(tagged);
    const { id } = blocksOf(c.fl, 'multi')[1]!;
    const f = blockFile(c.store, id);
    const bytes = readFileSync(f);
    bytes[100] ^= 1;
    writeFileSync(f, bytes);
    const e = refused(c, 'E_DIGEST_MISMATCH', new RegExp(`block ${id} \\(.*data/multi, block 2 of 3\\): the stored bytes hash to [0-9a-f]{64}, not to the block's id`));
    expect(e.block).toBe(id); // details: the block, for scripts
  });

  it('a block swapped for another block', () => {
    const c = copy(tagged);
    const a = blocksOf(c.fl, 'one')[0]!.id;
    const b = blocksOf(c.fl, 'other')[0]!.id;
    copyFileSync(blockFile(c.store, b), blockFile(c.store, a));
    refused(c, 'E_DIGEST_MISMATCH', new RegExp(`block ${a} .*not to the block's id`));
  });

  it("a block whose bytes decrypt under the row's key but whose plain bytes do not hash to it (a check rfs itself skips)", async () => {
    const c = copy(plain);
    const key = randomBytes(32); // not blake2b(plain): the store lies about what the key opens
    const cipher = createCipheriv('aes-256-gcm', key, key.subarray(0, 12));
    const stored = Buffer.concat([cipher.update(compressSync(Buffer.from('a small file\n'))), cipher.final(), cipher.getAuthTag()]);
    const h = await createBLAKE2b(256);
    h.update(stored);
    const id = h.digest();
    mkdirSync(join(c.store, id.slice(0, 2)), { recursive: true });
    writeFileSync(blockFile(c.store, id), stored);
    sqliteExec(c.fl, `UPDATE block SET id = X'${id}', key = X'${key.toString('hex')}' WHERE ino = (SELECT ino FROM inode WHERE name = 'small')`);
    refused(c, 'E_DIGEST_MISMATCH', new RegExp(`block ${id} .*data/small.*its plain bytes hash to [0-9a-f]{64}, not to the block's key`), ['--name', 'pkg', '--version', '2.0']);
  });
});

describe('an flist that lies about its blocks', () => {
  it('a block row naming an id no store holds', () => {
    const c = copy(tagged);
    const ghost = 'ab'.repeat(32);
    sqliteExec(c.fl, `UPDATE block SET id = X'${ghost}' WHERE rowid = (SELECT b.rowid FROM block b JOIN inode i ON i.ino = b.ino WHERE i.name = 'small')`);
    const e = refused(c, 'E_BLOCK_MISSING', new RegExp(`block ${ghost} \\(.*data/small, block 1 of 1\\) is missing: dir://.* does not hold it`));
    expect(e.block).toBe(ghost);
  });

  it("a block row with another block's key: it does not decrypt", () => {
    const c = copy(tagged);
    const other = blocksOf(c.fl, 'other')[0]!.key;
    sqliteExec(c.fl, `UPDATE block SET key = X'${other}' WHERE ino = (SELECT ino FROM inode WHERE name = 'one')`);
    refused(c, 'E_DIGEST_MISMATCH', /does not decrypt with its key/);
  });

  it("a block row swapped for another file's block: the file's size stops the decoder, or the zpkg tag's digest catches it", () => {
    // A 512 KiB block as the last block of a file that has 100 bytes left: the decoder stops at the file's size.
    const p = copy(plain);
    const big = blocksOf(p.fl, 'one')[0]!;
    sqliteExec(p.fl, `UPDATE block SET id = X'${big.id}', key = X'${big.key}' WHERE rowid = (SELECT max(b.rowid) FROM block b JOIN inode i ON i.ino = b.ino WHERE i.name = 'multi')`);
    refused(p, 'E_FLIST_INVALID', new RegExp(`block ${big.id} \\(.*data/multi, block 3 of 3\\) holds ${BLOCK} bytes, more than the 100 its file has left`), ['--name', 'pkg', '--version', '2.0']);
    // As the only block of a 13-byte file it cannot even be read: no block of that file can take so many stored bytes.
    const q = copy(plain);
    sqliteExec(q.fl, `UPDATE block SET id = X'${big.id}', key = X'${big.key}' WHERE ino = (SELECT ino FROM inode WHERE name = 'small')`);
    refused(q, 'E_DIGEST_MISMATCH', new RegExp(`holds \\d+ bytes for block ${big.id}, more than a block of its file can take \\(64\\)`), ['--name', 'pkg', '--version', '2.0']);
    const t = copy(tagged);
    const one = blocksOf(t.fl, 'one')[0]!;
    const two = blocksOf(t.fl, 'other')[0]!;
    sqliteExec(t.fl, `UPDATE block SET id = X'${two.id}', key = X'${two.key}' WHERE ino = (SELECT ino FROM inode WHERE name = 'one'); UPDATE block SET id = X'${one.id}', key = X'${one.key}' WHERE ino = (SELECT ino FROM inode WHERE name = 'other')`);
    refused(t, 'E_FLIST_INVALID', /its `zpkg` tag does not describe its tree: `data\/one` holds other content than the manifest says/);
  });

  it('a file declaring more bytes than its blocks hold, and one declaring bytes but holding no block', () => {
    const c = copy(plain);
    sqliteExec(c.fl, "UPDATE inode SET size = size + 1 WHERE name = 'multi'");
    refused(c, 'E_FLIST_INVALID', new RegExp(`data/multi\` declares ${2 * BLOCK + 101} bytes but its 3 blocks hold ${2 * BLOCK + 100}`), ['--name', 'pkg', '--version', '2.0']);
    const d = copy(plain);
    sqliteExec(d.fl, "DELETE FROM block WHERE ino = (SELECT ino FROM inode WHERE name = 'small')");
    refused(d, 'E_FLIST_INVALID', /data\/small` declares 13 bytes but has no blocks/, ['--name', 'pkg', '--version', '2.0']);
  });

  it('block rows that are not 32-byte blobs, or that belong to a directory', () => {
    const c = copy(plain);
    sqliteExec(c.fl, "UPDATE block SET id = lower(hex(id)) WHERE rowid = 1");
    refused(c, 'E_FLIST_INVALID', /`block` row 1 .*id and key must be 32-byte blobs/, ['--name', 'pkg', '--version', '2.0']);
    const d = copy(plain);
    sqliteExec(d.fl, "INSERT INTO block (ino, id, key) SELECT (SELECT ino FROM inode WHERE name = 'data'), id, key FROM block LIMIT 1");
    refused(d, 'E_FLIST_INVALID', /gives a block to `data` \(inode \d+\), a dir, not a regular file/, ['--name', 'pkg', '--version', '2.0']);
  });
});

describe('an flist whose tree is not one', () => {
  it('an extra row for a regular file', () => {
    const c = copy(plain);
    sqliteExec(c.fl, "INSERT INTO extra (ino, data) SELECT ino, 'target' FROM inode WHERE name = 'small'");
    refused(c, 'E_FLIST_INVALID', /inode \d+ \(`data\/small`\) is a file but has an `extra` row/, ['--name', 'pkg', '--version', '2.0']);
  });

  it('a symlink without its target', () => {
    const c = copy(plain);
    sqliteExec(c.fl, "DELETE FROM extra WHERE ino = (SELECT ino FROM inode WHERE name = 'link')");
    refused(c, 'E_FLIST_INVALID', /symlink `etc\/link` \(inode \d+\) has no target/, ['--name', 'pkg', '--version', '2.0']);
  });

  it('an inode whose parents loop', () => {
    const c = copy(plain);
    // data's parent becomes its own child `multi`… which is a file; make a directory loop instead: etc ↔ data.
    sqliteExec(c.fl, "UPDATE inode SET parent = (SELECT ino FROM inode WHERE name = 'etc') WHERE name = 'data'; UPDATE inode SET parent = (SELECT ino FROM inode WHERE name = 'data') WHERE name = 'etc'");
    refused(c, 'E_FLIST_INVALID', /is not connected to the root: its parents loop \(\d+ → \d+ → \d+\)/, ['--name', 'pkg', '--version', '2.0']);
    const d = copy(plain);
    sqliteExec(d.fl, "UPDATE inode SET parent = ino WHERE name = 'data'");
    refused(d, 'E_FLIST_INVALID', /its parents loop/, ['--name', 'pkg', '--version', '2.0']);
  });

  it('names that climb out or are absolute', () => {
    const c = copy(plain);
    sqliteExec(c.fl, "UPDATE inode SET name = '..' WHERE name = 'etc'");
    refused(c, 'E_PATH_UNSAFE', /inode \d+ \(`\.\.`\): the name is `\.\.`/, ['--name', 'pkg', '--version', '2.0']);
    const d = copy(plain);
    sqliteExec(d.fl, "UPDATE inode SET name = '/etc/shadow' WHERE name = 'small'");
    refused(d, 'E_PATH_UNSAFE', /the name is absolute/, ['--name', 'pkg', '--version', '2.0']);
    const e = copy(plain);
    sqliteExec(e.fl, "UPDATE inode SET name = 'a/b' WHERE name = 'small'");
    refused(e, 'E_PATH_UNSAFE', /the name holds a `\/`/, ['--name', 'pkg', '--version', '2.0']);
  });

  it('two entries of one name in one directory; a parent that is not a directory; no single root', () => {
    const c = copy(plain);
    sqliteExec(c.fl, "UPDATE inode SET name = 'multi' WHERE name = 'one'");
    refused(c, 'E_FLIST_INVALID', /inodes \d+ and \d+ are both named `multi`/, ['--name', 'pkg', '--version', '2.0']);
    const d = copy(plain);
    sqliteExec(d.fl, "UPDATE inode SET parent = (SELECT ino FROM inode WHERE name = 'small') WHERE name = 'empty'");
    refused(d, 'E_FLIST_INVALID', /its parent inode \d+ is a file, not a directory/, ['--name', 'pkg', '--version', '2.0']);
    const e = copy(plain);
    sqliteExec(e.fl, "UPDATE inode SET parent = 0 WHERE name = 'etc'");
    refused(e, 'E_FLIST_INVALID', /no single root/, ['--name', 'pkg', '--version', '2.0']);
  });

  it('a device, a fifo and a socket: a package cannot hold them', () => {
    for (const [mode, kind] of [[0o020644, 'char-device'], [0o060644, 'block-device'], [0o010644, 'fifo'], [0o140644, 'socket']] as const) {
      const c = copy(plain);
      sqliteExec(c.fl, `UPDATE inode SET mode = ${mode}, rdev = 259 WHERE name = 'empty'`);
      refused(c, 'E_FLIST_INVALID', new RegExp(`\`data/empty\` \\(inode \\d+\\) is a ${kind}; a package holds only files, directories and links`), ['--name', 'pkg', '--version', '2.0']);
    }
  });

  it('a zpkg tag that does not describe the tree', () => {
    const c = copy(tagged);
    sqliteExec(c.fl, "UPDATE inode SET mode = 33261 WHERE name = 'small'");
    refused(c, 'E_FLIST_INVALID', /its `zpkg` tag does not describe its tree: `data\/small` has mode 0644 in the manifest but 0755 in the tree/);
    const d = copy(tagged);
    sqliteExec(d.fl, "UPDATE tag SET value = 'not json' WHERE key = 'zpkg'");
    refused(d, 'E_FLIST_INVALID', /its `zpkg` tag is not JSON/);
  });
});

describe('routes and stores', () => {
  it('a block no route covers', () => {
    const c = copy(tagged);
    const first = blocksOf(c.fl, 'small')[0]!.id.slice(0, 2);
    const b = parseInt(first, 16);
    // A route for every byte but that one.
    sqliteExec(c.fl, `DELETE FROM route; ${b > 0 ? `INSERT INTO route VALUES (0, ${b - 1}, 'dir://${c.store}');` : ''} ${b < 255 ? `INSERT INTO route VALUES (${b + 1}, 255, 'dir://${c.store}');` : ''}`);
    const r = zpkg(['--json', 'import-flist', c.fl, '--repo', repo]);
    expect(r.json.error).toMatchObject({ code: 'E_FLIST_INVALID', message: expect.stringMatching(new RegExp(`no route of .* covers its first byte 0x${first}`)) });
    expect(readFileSync(join(repo, 'root.json'))).toEqual(rootBefore);
  });

  it('a route no store answers: a zdb that is not there', () => {
    const c = copy(tagged);
    const r = zpkg(['--json', 'import-flist', c.fl, '--repo', repo, '--store', 'zdb://127.0.0.1:1/ns']);
    expect(r.json.error).toMatchObject({ code: 'E_REMOTE_UNREACHABLE', message: expect.stringMatching(/no store of its route answers: zdb:\/\/127\.0\.0\.1:1\/ns: cannot connect to 127\.0\.0\.1:1/) });
    expect(readFileSync(join(repo, 'root.json'))).toEqual(rootBefore);
  });

  it('a store URL zpkg does not know, or a read-only store to export into', () => {
    const c = copy(tagged);
    expect(zpkg(['--json', 'import-flist', c.fl, '--store', 'server://hub/api']).json.error).toMatchObject({ code: 'E_URL_INVALID', message: expect.stringMatching(/`server` scheme is not a store zpkg knows/) });
    expect(zpkg(['--json', 'import-flist', c.fl, '--store', 's3://bucket-without-port/x']).json.error).toMatchObject({ code: 'E_URL_INVALID', message: expect.stringMatching(/needs HOST:PORT/) });
    expect(zpkg(['--json', 'export-flist', 'pkg', '--repo', join(work, 'pub'), '--store', 'http://127.0.0.1:1/', '-o', join(work, 'x.fl')]).json.error.code).toBe('E_URL_INVALID');
    expect(zpkg(['--json', 'export-flist', 'pkg', '--repo', join(work, 'pub'), '--store', `00-7f=${c.store}`, '-o', join(work, 'x.fl')]).json.error).toMatchObject({ code: 'E_INPUT_INVALID', message: expect.stringMatching(/leave 128 of the 256/) });
  });
});

describe('files that are no flist', () => {
  it('gzip (an old 0-flist archive), text, and an SQLite database without rfs tables', () => {
    const gz = join(work, 'old-1.0.flist');
    writeFileSync(gz, execFileSync('gzip', ['-c'], { input: 'not a tar' }));
    expect(zpkg(['--json', 'import-flist', gz]).json.error).toMatchObject({ code: 'E_FLIST_INVALID', message: expect.stringMatching(/is a gzip archive, not an rfs v2 flist/) });
    const txt = join(work, 'text-1.0.fl');
    writeFileSync(txt, 'hello');
    expect(zpkg(['--json', 'import-flist', txt]).json.error).toMatchObject({ code: 'E_FLIST_INVALID', message: expect.stringMatching(/not an SQLite database/) });
    const db = join(work, 'db-1.0.fl');
    execFileSync('sqlite3', [db, 'CREATE TABLE t (x)']);
    expect(zpkg(['--json', 'import-flist', db]).json.error).toMatchObject({ code: 'E_FLIST_INVALID', message: expect.stringMatching(/no `inode` table/) });
    expect(zpkg(['--json', 'import-flist', join(work, 'absent-1.0.fl')]).json.error.code).toBe('E_NOT_FOUND');
    expect(readdirSync(join(repo))).toContain('root.json');
  });
});
