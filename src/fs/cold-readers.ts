/**
 * How many check workers a verify starts: none for a little work from the
 * page cache (fs/check-work.ts), one per core for more, and more than cores
 * when the image's files come from a disk rather than the page cache. A disk serves
 * several readers at once better than one (here, a cold read of the bench
 * tree: 1 stream 1.65–1.88 s, 8 streams 0.97–1.06 s), so a cold verify
 * finishes sooner with readers waiting on it in parallel; a warm one only
 * pays for the extra isolates (~11 MB and a boot each; 0.15–0.5 s on the
 * bench tree). Which case this is, is judged before any task is posted:
 * the read of the first 4 KiB of a few recorded files, timed (not the open,
 * whose inode is often in a block already read), and the same read made
 * again, which the cache answers: a disk slows only the first, a machine
 * whose cores are busy both (a CI run judged a cached tree cold by the first
 * reads alone). From the page cache such a
 * read takes 4–10 µs here; after `drop_caches` 30–55 µs (this VM's disk is
 * fast; a real one is slower still). A RAM filesystem — a zos node's root —
 * always answers like the cache: never more workers than cores there.
 * `--threads` (or ZPKG_THREADS) is a limit this never exceeds.
 */
import { closeSync, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { checkWork, WORKERS_MIN_US } from './check-work.js';
import { leavesRoot, OPEN_FLAGS } from './path-check.js';
import { threadBudget, threadLimit } from './threads.js';

/** A median first read above this came from the disk (here: 4–10 µs from the page cache, 30–55 µs after `drop_caches`). */
export const COLD_READ_US = 20;
/** …and it took this many times as long as the same read made again, from the cache (a disk's: ~10×; a busy machine's: ~1×). */
export const AGAIN_RATIO = 3;
/**
 * Readers at most when reads wait on the disk; and never below the cores.
 * 8 paid on a slow disk (a cold verify of the bench tree, 2 vCPUs: 2 workers
 * 2.33–2.36 s, 4 2.12–2.15 s, 8 1.73–1.92 s) and cost on a faster one,
 * where the extra isolates' boot outweighs the parallel reads (2026-12-07,
 * medians of 4 interleaved: 2 workers 2.12 s, 4 2.06 s, 8 2.44 s;
 * `dpkg --verify` 2.12 s). 4 is never worse than 2 on either.
 */
export const COLD_READERS = 4;
/** Readers per core when reads wait on the disk (up to COLD_READERS). */
export const COLD_READERS_PER_CORE = 2;
/** Below this many files, readers for a disk would not pay for their boot (the files are not probed). */
export const COLD_MIN_FILES = 2_000;
const PROBE_BYTES = 4096;

/** One probed file: microseconds of its first read, and of the same read again right after (from the page cache, surely). */
export interface ReadTiming {
  first: number;
  again: number;
}

/**
 * The first read of each sample path, timed, and the same read again right
 * after; a path that is missing, not a regular file (lstat, then fstat of what
 * was opened), or under a directory that leads out of `realRoot` is skipped
 * (never read).
 */
export function timeFirstReads(paths: readonly string[], realRoot: string): ReadTiming[] {
  const leaves = leavesRoot(realRoot);
  const buf = Buffer.allocUnsafe(PROBE_BYTES);
  const out: ReadTiming[] = [];
  const timed = (fd: number): number => {
    const start = process.hrtime.bigint();
    readSync(fd, buf, 0, PROBE_BYTES, 0);
    return Number(process.hrtime.bigint() - start) / 1000;
  };
  for (const path of paths) {
    // Only what is a regular file now is opened: opening a device node is not harmless (a watchdog arms).
    if (leaves(dirname(path)) || !lstatSync(path, { throwIfNoEntry: false })?.isFile()) continue;
    let fd: number;
    try {
      fd = openSync(path, OPEN_FLAGS);
    } catch {
      continue;
    }
    try {
      if (!fstatSync(fd).isFile()) continue;
      const first = timed(fd);
      out.push({ first, again: timed(fd) });
    } catch {
      // unreadable: not a sample
    } finally {
      closeSync(fd);
    }
  }
  return out;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Whether timed first reads (timeFirstReads) came from the disk: their median
 * is above COLD_READ_US, and at least AGAIN_RATIO times that of the same reads
 * made again. A machine whose cores are busy slows both reads of a file alike
 * (it is not the disk then); the disk slows only the first. Fewer than 3
 * timings say nothing.
 */
export function fromDisk(timings: readonly ReadTiming[]): boolean {
  if (timings.length < 3) return false;
  return median(timings.map((t) => t.first)) > COLD_READ_US && median(timings.map((t) => t.first / Math.max(t.again, 0.001))) >= AGAIN_RATIO;
}

/**
 * Check workers for `files` files of `bytes` bytes in all (0: this thread
 * checks them). Warm files take one worker per core when they are enough
 * work for it (fs/check-work.ts: at least `minWork` µs on one thread), none
 * otherwise. Then, for at least COLD_MIN_FILES files, when reading from a disk
 * would take more readers than that, a few of them (`sample`: absolute
 * paths, asked for only then) are probed: files from a disk take
 * coldReaders, or the `--threads` limit when one was set.
 */
export function checkReaders(files: number, bytes: number, sample: () => readonly string[], realRoot: string, minWork = WORKERS_MIN_US): { readers: number; fromDisk: boolean } {
  const budget = threadBudget();
  const warm = checkWork(files, bytes) >= minWork ? budget : 0;
  const cold = threadLimit() === undefined ? coldReaders(budget) : budget;
  if (files < COLD_MIN_FILES || warm >= cold) return { readers: warm, fromDisk: false };
  return fromDisk(timeFirstReads(sample(), realRoot)) ? { readers: cold, fromDisk: true } : { readers: warm, fromDisk: false };
}

/** Check workers for files read from a disk, given the thread budget. */
export function coldReaders(budget: number): number {
  return Math.max(budget, Math.min(COLD_READERS, COLD_READERS_PER_CORE * budget));
}
