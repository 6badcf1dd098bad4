/**
 * `verify` through its worker path (issue 12): every path is lstat'ed, read
 * and hashed in a check worker (src/fs/check-worker.ts), and each kind of
 * damage is found there and worded as verify always has — and exactly the
 * same on the calling thread, where the command checks an image this small
 * (src/fs/check-work.ts). The same damaged tree is also checked by a
 * PathChecker with workers and without: both must find exactly the same
 * differences.
 */
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PathChecker } from '../src/fs/check-paths.js';
import { threadBudget } from '../src/fs/threads.js';
import { EARLY_WEIGHT, PER_FILE } from '../src/txn/verify.js';
import { checkBatch, sha256File, type PathExpect } from '../src/fs/path-check.js';
import { ok, tempDir, writePackage, zpkg, TRUST, type TreeEntry } from './helpers/zpkg.js';
import { verifyOn } from './helpers/verify.js';

const LONG = 10 * 60_000;
const FILES = 100;
const content = (i: number): string => `file ${String(i).padStart(3, '0')}\n`.repeat(40);

let root: string;

/** Each damage, the path it hits and the problem verify must name (digests as D). */
const DAMAGE: [string, string, () => void, string][] = [];
const damage = (what: string, path: string, act: () => void, problem: string): void => void DAMAGE.push([what, path, act, problem]);

beforeAll(() => {
  const work = tempDir('zpkg-verify-workers-');
  const repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  const files: Record<string, TreeEntry> = { 'etc/many.conf': 'a=1\n', 'opt/many/link': { link: 'f000' }, 'opt/many/gone-link': { link: 'f001' }, 'opt/many/sub/keep': 'kept\n' };
  for (let i = 0; i < FILES; i++) files[`opt/many/f${String(i).padStart(3, '0')}`] = { content: content(i), mode: 0o644 };
  const src = writePackage(join(work, 'src'), { name: 'many', version: '1', config: ['etc/many.conf'] }, files);
  linkSync(join(src, 'root/opt/many/f050'), join(src, 'root/opt/many/hard'));
  ok(['build', src, '--repo', repo]);
  root = join(work, 'img');
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  ok(['--root', root, 'install', 'many']);

  const at = (p: string): string => join(root, p);
  damage('missing', 'opt/many/f002', () => unlinkSync(at('opt/many/f002')), 'missing');
  damage('wrong size', 'opt/many/f003', () => writeFileSync(at('opt/many/f003'), 'short\n'), `size is 6, expected ${content(3).length}`);
  damage('wrong digest, same size', 'opt/many/f004', () => writeFileSync(at('opt/many/f004'), content(904)), 'content differs (digest D, expected D)');
  damage('wrong mode', 'opt/many/f005', () => chmodSync(at('opt/many/f005'), 0o600), 'mode is 0600, expected 0644');
  damage('wrong owner', 'opt/many/f006', () => chownSync(at('opt/many/f006'), 4321, 0), 'owner is uid 4321, expected 0');
  damage('wrong group', 'opt/many/f007', () => chownSync(at('opt/many/f007'), 0, 4321), 'group is gid 4321, expected 0');
  damage('a link with a wrong target', 'opt/many/link', () => {
    unlinkSync(at('opt/many/link'));
    symlinkSync('f009', at('opt/many/link'));
  }, 'link target is `f009`, expected `f000`');
  damage('a link replaced by a file', 'opt/many/gone-link', () => {
    unlinkSync(at('opt/many/gone-link'));
    writeFileSync(at('opt/many/gone-link'), content(1));
  }, 'is no longer a symlink');
  damage('a file replaced by a directory', 'opt/many/f010', () => {
    unlinkSync(at('opt/many/f010'));
    mkdirSync(at('opt/many/f010'));
  }, 'is no longer a regular file');
  damage('a file replaced by a FIFO', 'opt/many/f011', () => {
    unlinkSync(at('opt/many/f011'));
    execFileSync('mkfifo', [at('opt/many/f011')]);
  }, 'is no longer a regular file');
  // A link to a file of the right content: only a check that never follows links sees it.
  damage('a file replaced by a symlink to the same content', 'opt/many/f012', () => {
    writeFileSync(at('opt/many/copy-of-12'), readFileSync(at('opt/many/f012')));
    unlinkSync(at('opt/many/f012'));
    symlinkSync('copy-of-12', at('opt/many/f012'));
  }, 'is no longer a regular file');
  // The hardlink's own path now holds other bytes of the same size; its target is intact.
  damage('a hardlink whose path holds other content', 'opt/many/hard', () => {
    unlinkSync(at('opt/many/hard'));
    writeFileSync(at('opt/many/hard'), content(950));
  }, 'content differs (digest D, expected D)');
  damage('a directory with a wrong mode', 'opt/many/sub', () => chmodSync(at('opt/many/sub'), 0o700), 'mode is 0700, expected 0755');
});

const shown = (problems: { path: string; problem: string }[]): [string, string][] => problems.map((p) => [p.path, p.problem.replace(/sha256:\w+/g, 'D')]);

describe('verify on the worker path', () => {
  it(`a clean install of ${FILES} files verifies clean on workers, on the calling thread, and through the command (which checks them on its thread)`, async () => {
    for (const v of [await verifyOn(root, 'workers'), await verifyOn(root, 'thread'), ok(['--root', root, '--json', 'verify']).json]) {
      expect(v.problems).toEqual([]);
      // The files, etc/many.conf, opt/many/sub/keep, two links, the hardlink, and the dirs etc, opt, opt/many, opt/many/sub.
      expect(v.paths).toBe(FILES + 9);
    }
    expect((await verifyOn(root, 'workers')).readers).toEqual({ workers: threadBudget(), fromDisk: false });
    expect(ok(['--root', root, '--json', 'verify']).json.readers).toBeUndefined();
  }, LONG);

  it('names every damaged path with the problem verify has always named, and a changed config file apart: on workers and on the calling thread alike', async () => {
    for (const [, , act] of DAMAGE) act();
    writeFileSync(join(root, 'etc/many.conf'), 'a=2\n');
    const want = DAMAGE.map(([, path, , problem]) => [path, problem] as [string, string]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const r of [await verifyOn(root, 'workers'), await verifyOn(root, 'thread')]) {
      expect(shown(r.problems)).toEqual(want);
      expect(shown(r.changedConfig)).toEqual([['etc/many.conf', 'content differs (digest D, expected D)']]);
    }
    const cli = zpkg(['--root', root, '--json', 'verify']);
    expect(cli.status).toBe(1);
    expect(shown(cli.json.problems)).toEqual(want);
  }, LONG);
});

describe('early checks posted as the state is read', () => {
  // Enough files that the state's records go to the workers in several tasks (EARLY_WEIGHT each).
  const WIDE = Math.ceil((2.5 * EARLY_WEIGHT) / PER_FILE);
  const name = (i: number): string => `opt/wide/w${String(i).padStart(4, '0')}`;

  it(`a package of ${WIDE} files (several early tasks): damage in the first, a middle and the last task is found, nothing else, on workers and on the calling thread`, async () => {
    expect(WIDE * PER_FILE).toBeGreaterThan(2 * EARLY_WEIGHT);
    const work = tempDir('zpkg-verify-wide-');
    const repo = join(work, 'repo');
    ok(['repo', 'create', repo]);
    const files: Record<string, TreeEntry> = {};
    for (let i = 0; i < WIDE; i++) files[name(i)] = { content: content(i), mode: 0o644 };
    ok(['build', writePackage(join(work, 'src'), { name: 'wide', version: '1' }, files), '--repo', repo]);
    const img = join(work, 'img');
    ok(['--root', img, 'remote', 'add', 'main', repo, ...TRUST]);
    ok(['--root', img, 'install', 'wide']);
    expect((await verifyOn(img, 'workers', ['wide'])).problems).toEqual([]);

    const mid = Math.floor(WIDE / 2);
    writeFileSync(join(img, name(0)), content(900));
    unlinkSync(join(img, name(mid)));
    chmodSync(join(img, name(WIDE - 1)), 0o600);
    for (const r of [await verifyOn(img, 'workers', ['wide']), await verifyOn(img, 'thread', ['wide'])]) {
      expect(shown(r.problems)).toEqual([
        [name(0), 'content differs (digest D, expected D)'],
        [name(mid), 'missing'],
        [name(WIDE - 1), 'mode is 0600, expected 0644'],
      ]);
    }
  }, LONG);
});

describe('PathChecker: the workers and the calling thread find the same differences', () => {
  it('every kind of difference, on both paths', async () => {
    const dir = tempDir('zpkg-check-paths-');
    const expects: PathExpect[] = [];
    const sha = (s: string): string => `sha256:${execFileSync('sha256sum', { input: s }).toString().split(' ')[0]}`;
    const N = 74;
    for (let i = 0; i < N; i++) {
      writeFileSync(join(dir, `f${i}`), content(i));
      expects.push({ path: join(dir, `f${i}`), kind: 'file', size: content(i).length, digest: sha(content(i)), mode: 0o644, uid: 0, gid: 0 });
      chmodSync(join(dir, `f${i}`), 0o644);
    }
    symlinkSync('f0', join(dir, 'l'));
    expects.push({ path: join(dir, 'l'), kind: 'link', target: 'f0', uid: 0, gid: 0 });
    mkdirSync(join(dir, 'd'), { mode: 0o755 });
    chmodSync(join(dir, 'd'), 0o755);
    expects.push({ path: join(dir, 'd'), kind: 'dir', mode: 0o755 });
    expects.push({ path: join(dir, 'nothing'), kind: 'any' });

    unlinkSync(join(dir, 'f1'));
    writeFileSync(join(dir, 'f2'), 'x');
    writeFileSync(join(dir, 'f3'), content(903));
    chmodSync(join(dir, 'f4'), 0o755);
    chownSync(join(dir, 'f5'), 7, 8);
    rmSync(join(dir, 'f6'));
    execFileSync('mkfifo', [join(dir, 'f6')]);
    renameSync(join(dir, 'f7'), join(dir, 'f7.real'));
    symlinkSync('f7.real', join(dir, 'f7'));
    unlinkSync(join(dir, 'l'));
    symlinkSync('f9', join(dir, 'l'));
    chmodSync(join(dir, 'd'), 0o700);
    expect(lstatSync(join(dir, 'f7')).isSymbolicLink()).toBe(true);

    const want = {
      1: { missing: true },
      2: { size: 1 },
      3: { digest: sha(content(903)) },
      4: { mode: 0o755 },
      5: { uid: 7, gid: 8 },
      6: { kind: 'fifo' },
      7: { kind: 'link' },
      [N]: { target: 'f9' },
      [N + 1]: { mode: 0o700 },
      [N + 2]: { missing: true },
    };
    for (const workers of [2, 0]) {
      const checker = new PathChecker(workers);
      expect(checker.workers).toBe(workers);
      let checked = 0;
      try {
        expect(Object.fromEntries(await checker.check(expects, (n) => (checked += n)))).toEqual(want);
      } finally {
        await checker.close();
      }
      expect(checked).toBe(expects.length);
    }
  }, LONG);
});

describe('checkBatch: files opened before they are read', () => {
  it(`a batch of more files than are held open at once finds damage on both sides of each group, and leaves no descriptor open`, () => {
    const dir = tempDir('zpkg-check-batch-');
    const sha = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;
    const expects: PathExpect[] = [];
    const N = 300;
    for (let i = 0; i < N; i++) {
      writeFileSync(join(dir, `f${i}`), content(i));
      chmodSync(join(dir, `f${i}`), 0o644);
      expects.push({ path: join(dir, `f${i}`), kind: 'file', size: content(i).length, digest: sha(content(i)), mode: 0o644 });
    }
    // Empty files, a file where a socket stands (it cannot be opened) and one where a directory stands (it can).
    writeFileSync(join(dir, 'empty'), '');
    expects.push({ path: join(dir, 'empty'), kind: 'file', size: 0, digest: sha(''), mode: 0o644 });
    chmodSync(join(dir, 'empty'), 0o644);
    execFileSync('python3', ['-c', `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(join(dir, 'sock'))})`]);
    expects.push({ path: join(dir, 'sock'), kind: 'file', size: 1, digest: sha('x'), mode: 0o644 });
    mkdirSync(join(dir, 'adir'));
    expects.push({ path: join(dir, 'adir'), kind: 'file', size: 1, digest: sha('x'), mode: 0o644 });
    const damaged = [0, 63, 64, 65, 128, 200, N - 1];
    const other = (i: number): string => content(i).replace('file', 'File');
    for (const i of damaged) writeFileSync(join(dir, `f${i}`), other(i));
    // The wrong size is known from fstat: that file is closed unread.
    writeFileSync(join(dir, 'f10'), 'short\n');
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const before = fds();
    const found = new Map(checkBatch(expects, Buffer.alloc(1000)));
    expect(fds()).toBe(before);
    expect([...found.keys()].sort((a, b) => a - b)).toEqual([...damaged, 10, N + 1, N + 2].sort((a, b) => a - b));
    expect(found.get(10)).toEqual({ size: 6 });
    for (const i of damaged) expect(found.get(i)).toEqual({ digest: sha(other(i)) });
    expect(found.get(N + 1)).toEqual({ kind: 'socket' });
    expect(found.get(N + 2)).toEqual({ kind: 'dir' });
  });
});

describe('checkBatch: nothing under a dev directory is opened before it is known to be a regular file', () => {
  it('a FIFO where a file of dev/ belongs is found by lstat: a writer waiting for a reader goes on waiting', async () => {
    const dir = tempDir('zpkg-check-dev-');
    mkdirSync(join(dir, 'dev'));
    const fifo = join(dir, 'dev/watchdog');
    execFileSync('mkfifo', [fifo]);
    // Blocks in open(O_WRONLY) until something opens the FIFO for reading.
    const writer = spawn('sh', ['-c', 'echo x > "$0"', fifo], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const found = checkBatch([{ path: fifo, kind: 'file', size: 1, digest: `sha256:${'0'.repeat(64)}`, mode: 0o644 }]);
      expect(found).toEqual([[0, { kind: 'fifo' }]]);
      // Had the check opened it, the writer would have been let through and ended (written, or SIGPIPE).
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect([writer.exitCode, writer.signalCode]).toEqual([null, null]);
    } finally {
      writer.kill('SIGKILL');
    }
  });
});

describe("verify when the state's file rows and the manifest disagree", () => {
  it('checks against the manifest: an early check made from a damaged row is not taken', async () => {
    const { default: Database } = await import('better-sqlite3');
    const work = tempDir('zpkg-verify-rows-');
    const repo = join(work, 'repo');
    ok(['repo', 'create', repo]);
    const files: Record<string, TreeEntry> = {};
    for (let i = 0; i < FILES; i++) files[`opt/rows/f${String(i).padStart(3, '0')}`] = { content: content(i), mode: 0o644 };
    ok(['build', writePackage(join(work, 'src'), { name: 'rows', version: '1' }, files), '--repo', repo]);
    const img = join(work, 'img');
    ok(['--root', img, 'remote', 'add', 'main', repo, ...TRUST]);
    ok(['--root', img, 'install', 'rows']);
    const sha = (s: string): string => `sha256:${execFileSync('sha256sum', { input: s }).toString().split(' ')[0]}`;
    // f020: other bytes on disk, and a row that records exactly them (so a check made from the row finds nothing).
    writeFileSync(join(img, 'opt/rows/f020'), content(920));
    // f021 and f022: intact on disk, rows that record another size and another mode.
    const db = new Database(join(img, 'var/lib/zpkg/state.db'));
    db.prepare('UPDATE files SET digest = ? WHERE path = ?').run(sha(content(920)), 'opt/rows/f020');
    db.prepare('UPDATE files SET size = 1 WHERE path = ?').run('opt/rows/f021');
    db.prepare('UPDATE files SET mode = ? WHERE path = ?').run(0o600, 'opt/rows/f022');
    db.close();
    const r = zpkg(['--root', img, '--json', 'verify']);
    expect(r.status).toBe(1);
    expect(shown(r.json.problems)).toEqual([['opt/rows/f020', 'content differs (digest D, expected D)']]);
    expect(r.json.problems[0].problem).toContain(`expected ${sha(content(20))}`);
  }, LONG);
});

describe('verify when the state and the manifest sort paths apart', () => {
  // SQLite orders the rows by UTF-8 bytes (U+FF01 before U+1F600), a manifest by UTF-16 units (U+1F600's surrogates before U+FF01).
  it('finds every row whatever the order: damage to both names is reported', () => {
    const work = tempDir('zpkg-verify-order-');
    const repo = join(work, 'repo');
    ok(['repo', 'create', repo]);
    const names = ['opt/order/\u{1F600}', 'opt/order/\uFF01', 'opt/order/z'];
    const files: Record<string, TreeEntry> = {};
    for (let i = 0; i < FILES; i++) files[`opt/order/f${String(i).padStart(3, '0')}`] = { content: content(i), mode: 0o644 };
    names.forEach((n, i) => (files[n] = { content: content(500 + i), mode: 0o644 }));
    ok(['build', writePackage(join(work, 'src'), { name: 'order', version: '1' }, files), '--repo', repo]);
    const img = join(work, 'img');
    ok(['--root', img, 'remote', 'add', 'main', repo, ...TRUST]);
    ok(['--root', img, 'install', 'order']);
    expect(ok(['--root', img, '--json', 'verify']).json.problems).toEqual([]);
    writeFileSync(join(img, names[0]!), content(900));
    writeFileSync(join(img, names[1]!), content(901));
    chmodSync(join(img, names[2]!), 0o600);
    const r = zpkg(['--root', img, '--json', 'verify']);
    expect(r.status).toBe(1);
    // Reported in the manifest's order.
    expect(shown(r.json.problems)).toEqual([
      [names[2], 'mode is 0600, expected 0644'],
      [names[0], 'content differs (digest D, expected D)'],
      [names[1], 'content differs (digest D, expected D)'],
    ]);
  }, LONG);
});

describe('sha256File: the bytes hashed stop at the declared size plus one', () => {
  const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const dir = (): string => tempDir('zpkg-sha256-file-');
  // A small buffer makes every case below span several reads.
  const buf = Buffer.alloc(1000);

  it('a file of exactly the declared size, shorter than one read, one read long, and of many reads', () => {
    const d = dir();
    for (const size of [0, 1, 999, 1000, 1001, 4000, 4321]) {
      const bytes = randomBytes(size);
      writeFileSync(join(d, `f${size}`), bytes);
      expect(sha256File(join(d, `f${size}`), size, buf), `size ${size}`).toBe(sha(bytes));
    }
  });

  it('a file longer than declared hashes its declared size and one byte more (never the declared bytes alone)', () => {
    const d = dir();
    for (const size of [0, 999, 1000, 3999]) {
      const bytes = randomBytes(size + 500);
      writeFileSync(join(d, 'f'), bytes);
      expect(sha256File(join(d, 'f'), size, buf), `size ${size}`).toBe(sha(bytes.subarray(0, size + 1)));
    }
  });

  it('a file shorter than declared hashes what it holds', () => {
    const d = dir();
    const bytes = randomBytes(2500);
    writeFileSync(join(d, 'f'), bytes);
    expect(sha256File(join(d, 'f'), 4000, buf)).toBe(sha(bytes));
  });
});
