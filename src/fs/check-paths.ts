/**
 * Checks many installed paths on every core: the paths go to check workers
 * (check-worker.ts) in batches of BATCH, each answered with the findings of
 * the paths that differ; with fewer than `minFiles` contents to hash, starting
 * workers would cost more than it saves, and the paths are checked on this
 * thread. Paths are batched in the order given: the caller sorts them (by
 * path, so a batch is mostly one directory).
 */
import { availableParallelism } from 'node:os';
import { checkWorkerUrl, type CheckAnswer, type CheckTask } from './check-worker.js';
import { checkBatch, type PathExpect, type PathFinding } from './path-check.js';
import { WorkerPool } from './workers.js';

/** Paths per worker task: large enough that messages cost little, small enough that both workers stay busy to the end. */
export const BATCH = 256;
/** Below this many files to hash, the paths are checked on the calling thread. */
export const MIN_FILES = 64;

export interface CheckOptions {
  /** Called with how many paths were just checked (progress). */
  onChecked?: (n: number) => void;
  minFiles?: number;
}

/** The finding of each path that differs, by its index in `paths`. */
export async function checkPaths(paths: readonly PathExpect[], options: CheckOptions = {}): Promise<Map<number, PathFinding>> {
  const found = new Map<number, PathFinding>();
  const files = paths.reduce((n, e) => n + (e.kind === 'file' ? 1 : 0), 0);
  if (files < (options.minFiles ?? MIN_FILES)) {
    for (let at = 0; at < paths.length; at += BATCH) {
      const batch = paths.slice(at, at + BATCH);
      for (const [i, f] of checkBatch(batch)) found.set(at + i, f);
      options.onChecked?.(batch.length);
    }
    return found;
  }
  const pool = new WorkerPool<CheckTask, CheckAnswer>(checkWorkerUrl(), Math.max(1, Math.min(availableParallelism(), Math.ceil(paths.length / BATCH))));
  try {
    const tasks: Promise<void>[] = [];
    for (let at = 0; at < paths.length; at += BATCH) {
      const batch = paths.slice(at, at + BATCH);
      tasks.push(
        pool.run({ batch }).then((a) => {
          for (const [i, f] of a.findings) found.set(at + i, f);
          options.onChecked?.(batch.length);
        }),
      );
    }
    // Every task settles before the pool closes; the first failure (a worker that died) is the answer.
    const failed = (await Promise.allSettled(tasks)).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    await pool.close();
  }
  return found;
}
