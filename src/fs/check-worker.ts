/**
 * A path-checking worker (fs/workers.ts): one packed batch of expectations
 * (expect-list.ts) in, the findings of the paths that differ out
 * (path-check.ts `checkBatch`), with synchronous syscalls through one reused
 * read buffer.
 */
import { unpackExpects, type PackedExpects } from './expect-list.js';
import { checkBatch, type PathFinding } from './path-check.js';
import { serve, workerUrl } from './workers.js';

export interface CheckTask {
  batch: PackedExpects;
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

serve<CheckTask, CheckAnswer>((task) => ({ value: { findings: checkBatch(unpackExpects(task.batch), undefined, task.realRoot) } }));
