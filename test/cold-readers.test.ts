/**
 * verify's readers (src/fs/cold-readers.ts, src/fs/check-work.ts): none (the
 * calling thread checks) for a little work from the page cache, one per core
 * for more, more than cores only when the image's files come from the disk,
 * judged by timing the first read of a few recorded files; `--threads` stays
 * a limit. The page cache is
 * emptied for the sampled files only, without root: `dd iflag=nocache
 * count=0` asks the kernel to drop a file's clean pages (POSIX_FADV_DONTNEED,
 * GNU coreutils), after a `sync` has made them clean.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { AGAIN_RATIO, checkReaders, COLD_MIN_FILES, COLD_READ_US, COLD_READERS, coldReaders as coldReaderCount, fromDisk, timeFirstReads } from '../src/fs/cold-readers.js';
import { BYTES_PER_US, checkWork, FILE_US, WORKERS_MIN_US } from '../src/fs/check-work.js';
import { setThreadLimit, threadBudget } from '../src/fs/threads.js';
import { sampleFilePaths } from '../src/image/state.js';
import { ok, tempDir, writePackage, TRUST, type TreeEntry } from './helpers/zpkg.js';

describe('timing first reads', () => {
  it('reads only regular files inside the root: never through a directory that leads out, a link, a FIFO, a directory', () => {
    const dir = tempDir();
    const root = join(dir, 'img');
    const outside = join(dir, 'host');
    mkdirSync(join(root, 'd'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(root, 'd/file'), 'x'.repeat(8192));
    writeFileSync(join(outside, 'secret'), 'host\n');
    symlinkSync(outside, join(root, 'out'));
    symlinkSync('file', join(root, 'd/link'));
    execFileSync('mkfifo', [join(root, 'd/fifo')]);
    const paths = ['d/file', 'out/secret', 'd/link', 'd/fifo', 'd', 'd/missing'].map((p) => join(root, p));
    expect(timeFirstReads(paths, root)).toHaveLength(1);
    const [t] = timeFirstReads([join(root, 'd/file')], root);
    expect([t!.first > 0, t!.again > 0]).toEqual([true, true]);
  });

  it('the median decides: one slow read (the first of a process) does not make a cached tree cold; fewer than 3 say nothing', () => {
    const slow = COLD_READ_US * 10;
    const disk = (first: number): { first: number; again: number } => ({ first, again: 4 });
    expect(fromDisk([slow, 5, 6, 5, 4].map(disk))).toBe(false);
    expect(fromDisk([slow, slow, slow, 5, 4].map(disk))).toBe(true);
    expect(fromDisk([slow, slow].map(disk))).toBe(false);
    expect(fromDisk([])).toBe(false);
  });

  it(`a busy machine is not a disk: first reads slow, but no faster when made again (under ${AGAIN_RATIO}×), say cached`, () => {
    const slow = COLD_READ_US * 3;
    expect(fromDisk([slow, slow, slow, slow].map((first) => ({ first, again: first * 0.8 })))).toBe(false);
    expect(fromDisk([slow, slow, slow, slow].map((first) => ({ first, again: first / (AGAIN_RATIO - 1) })))).toBe(false);
    expect(fromDisk([slow, slow, slow, slow].map((first) => ({ first, again: first / AGAIN_RATIO })))).toBe(true);
  });

  it('files from a disk get two readers per core, at most 4, and never fewer than the cores', () => {
    expect([1, 2, 3, 4, 8].map(coldReaderCount)).toEqual([2, 4, 4, 4, 8]);
  });
});

describe('verify of an image on a disk', () => {
  const cores = availableParallelism();
  const coldReaders = coldReaderCount(cores);
  let root: string;
  let sample: string[];

  beforeAll(() => {
    const work = tempDir('zpkg-cold-readers-');
    const repo = join(work, 'repo');
    ok(['repo', 'create', repo]);
    const files: Record<string, TreeEntry> = {};
    for (let i = 0; i < COLD_MIN_FILES + 100; i++) files[`opt/cold/d${i % 40}/f${i}`] = `${i}\n`.repeat(1000);
    ok(['build', writePackage(join(work, 'src'), { name: 'cold', version: '1' }, files), '--repo', repo]);
    const few: Record<string, TreeEntry> = {};
    for (let i = 0; i < 100; i++) few[`opt/few/f${i}`] = `${i}\n`.repeat(1000);
    ok(['build', writePackage(join(work, 'few'), { name: 'few', version: '1' }, few), '--repo', repo]);
    root = join(work, 'img');
    ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
    ok(['--root', root, 'install', 'cold', 'few']);
    const db = new Database(join(root, 'var/lib/zpkg/state.db'), { readonly: true });
    // Every file the probe may take (sampleFilePaths takes from the first 8 per sample).
    sample = [...sampleFilePaths(db, 128), ...sampleFilePaths(db, 128, 'cold'), ...sampleFilePaths(db, 128, 'few')].map((p) => join(root, p));
    db.close();
  }, 10 * 60_000);

  const readers = (names: string[] = [], flags: string[] = []): { workers: number; fromDisk: boolean } => {
    const r = ok(['--root', root, ...flags, '--json', 'verify', ...names]).json;
    expect(r.problems).toEqual([]);
    return r.readers;
  };
  const evict = (): void => {
    execFileSync('sync');
    for (const p of sample) execFileSync('dd', [`if=${p}`, 'iflag=nocache', 'count=0', 'status=none']);
  };

  it('files in the page cache, too little work for workers: checked on the calling thread', () => {
    // Read again right before: this VM pages out what was not touched for a while (DAMON), and the install was minutes ago on a busy CI.
    for (const p of sample) readFileSync(p);
    expect(checkWork(COLD_MIN_FILES + 200, 20e6)).toBeLessThan(WORKERS_MIN_US);
    expect(readers()).toBeUndefined();
  });

  it(`files that come from the disk: up to ${COLD_READERS} workers, and the verify is as clean`, () => {
    evict();
    expect(readers()).toEqual({ workers: coldReaders, fromDisk: true });
  });

  it('a verify of named packages counts their files only: a small one in a large cold image is checked on the calling thread, without a probe', () => {
    evict();
    expect(readers(['few'])).toBeUndefined();
    evict();
    expect(readers(['cold'])).toEqual({ workers: coldReaders, fromDisk: true });
  });

  it('--threads is a limit even when the files come from the disk', () => {
    evict();
    expect(readers([], ['--threads', '2'])).toEqual({ workers: 2, fromDisk: true });
    evict();
    expect(readers([], ['--threads', '1'])).toEqual({ workers: 1, fromDisk: true });
  });
});

describe('how many readers a verify takes, before anything is read', () => {
  const noProbe = (): string[] => {
    throw new Error('probed');
  };
  const filesFor = (us: number): number => Math.ceil(us / FILE_US);

  it('workers for a little work never; one per core from WORKERS_MIN_US of one thread, by files or by bytes', () => {
    const budget = threadBudget();
    expect(checkReaders(200, 3e6, noProbe, '/')).toEqual({ readers: 0, fromDisk: false });
    expect(checkReaders(COLD_MIN_FILES - 1, 0, noProbe, '/')).toEqual({ readers: 0, fromDisk: false });
    // 20 files of 20 MB: the hashing alone is the work.
    expect(checkWork(20, 400e6)).toBeGreaterThanOrEqual(WORKERS_MIN_US);
    expect(checkReaders(20, 400e6, noProbe, '/')).toEqual({ readers: budget, fromDisk: false });
    expect(checkReaders(20, (WORKERS_MIN_US - 20 * FILE_US) * BYTES_PER_US - 1, noProbe, '/').readers).toBe(0);
    // Many small files: the files alone (and the probe only decides whether more than cores: never when cores ≥ COLD_READERS).
    const probe = (): string[] => [];
    expect(checkReaders(filesFor(WORKERS_MIN_US), 0, budget >= COLD_READERS ? noProbe : probe, '/')).toEqual({ readers: budget, fromDisk: false });
    expect(checkReaders(100, 0, noProbe, '/', 0)).toEqual({ readers: budget, fromDisk: false });
  });

  it('a few thousand files too few for workers from the cache are probed: a probe that finds nothing to time leaves them on the calling thread', () => {
    let asked = 0;
    const none = (): string[] => (asked++, []);
    expect(checkReaders(COLD_MIN_FILES, 1e6, none, '/')).toEqual({ readers: 0, fromDisk: false });
    expect(asked).toBe(1);
  });

  it('a --threads limit is the readers: never grown for a disk, and the probe is still made where it decides workers or none', () => {
    try {
      setThreadLimit(3);
      expect(checkReaders(filesFor(WORKERS_MIN_US), 0, noProbe, '/')).toEqual({ readers: 3, fromDisk: false });
      let asked = 0;
      expect(checkReaders(COLD_MIN_FILES, 0, () => (asked++, []), '/')).toEqual({ readers: 0, fromDisk: false });
      expect(asked).toBe(1);
    } finally {
      setThreadLimit(undefined);
    }
  });
});
