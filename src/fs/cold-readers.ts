/**
 * How many check workers a verify starts: one per core, or more when the
 * image's files come from a disk rather than the page cache. A disk serves
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
/** Below this many files, extra workers would not pay for their boot. */
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

/** Check workers for `files` files to hash, given a sample of their absolute paths (see the module comment). */
export function checkReaders(files: number, sample: readonly string[], realRoot: string): { readers: number; fromDisk: boolean } {
  const budget = threadBudget();
  if (threadLimit() !== undefined || files < COLD_MIN_FILES || budget >= COLD_READERS) return { readers: budget, fromDisk: false };
  const cold = fromDisk(timeFirstReads(sample, realRoot));
  return { readers: cold ? coldReaders(budget) : budget, fromDisk: cold };
}

/** Check workers for files read from a disk, given the thread budget. */
export function coldReaders(budget: number): number {
  return Math.max(budget, Math.min(COLD_READERS, COLD_READERS_PER_CORE * budget));
}
