/**
 * A path-checking worker (fs/workers.ts): one batch of `PathExpect`s in, the
 * findings of the paths that differ out (path-check.ts `checkBatch`), with
 * synchronous syscalls through one reused read buffer.
 */
import { checkBatch, type PathExpect, type PathFinding } from './path-check.js';
import { serve, workerUrl } from './workers.js';

export interface CheckTask {
  batch: PathExpect[];
  /** The image's real root: a path under a directory resolving outside it is not read. */
  realRoot?: string;
}

export interface CheckAnswer {
  findings: [number, PathFinding][];
}

/** This worker's URL for a WorkerPool. */
export function checkWorkerUrl(): URL {
  return workerUrl(import.meta.url, 'check-worker');
}

const buf = Buffer.allocUnsafe(1 << 20);

serve<CheckTask, CheckAnswer>((task) => ({ value: { findings: checkBatch(task.batch, buf, task.realRoot) } }));
