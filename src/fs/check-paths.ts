/**
 * Checks many installed paths on every core: paths go to check workers
 * (check-worker.ts) in batches of BATCH, each answered with the findings of
 * the paths that differ only. The pool is started when it is made — before
 * the caller has decoded its manifests, so the workers boot meanwhile — or
 * not at all: the caller says whether the work pays for workers
 * (fs/check-work.ts, fs/cold-readers.ts); without them, paths are checked on
 * this thread.
 * Paths are batched in the order given: the caller sorts them (by path, so a
 * batch is mostly one directory). Every task is posted to a worker as soon as
 * it is asked for (no limit on tasks posted ahead): the caller's thread is
 * then free to decode manifests while the workers go through all they hold.
 */
import { statSync } from 'node:fs';
import { checkWorkerUrl, type CheckAnswer, type CheckTask } from './check-worker.js';
import { ExpectList, unpackExpects } from './expect-list.js';
import { checkBatch, type PathExpect, type PathFinding } from './path-check.js';
import { threadBudget } from './threads.js';
import { WorkerPool } from './workers.js';

/** Paths per worker task: large enough that messages cost little, small enough that both workers stay busy to the end. */
export const BATCH = 256;

function newPool(size = threadBudget()): WorkerPool<CheckTask, CheckAnswer> {
  return new WorkerPool<CheckTask, CheckAnswer>(checkWorkerUrl(), Math.max(1, size), undefined, Infinity);
}

/** Workers started ahead (startCheckWorkers) for the next PathChecker. */
let ahead: WorkerPool<CheckTask, CheckAnswer> | undefined;

/**
 * Starts the check workers now, for the next PathChecker made: they boot
 * (~0.1 s here) while the caller loads its modules and reads its state,
 * instead of after. Until a PathChecker takes them they do not keep the
 * process alive; one that needs no workers closes them.
 */
export function startCheckWorkers(): void {
  if (ahead) return;
  ahead = newPool();
  ahead.hold(false);
}

/**
 * A state.db this large records 7,500–11,000 files (190–280 bytes of it per
 * file; an empty state is 84 KiB): enough that the checks may want workers
 * (fs/check-work.ts: the bench tree's 20,000 files do, 8,000 of 15 KB do
 * not). Started ahead, they boot while the command loads; booted once the
 * files are counted, they come too late to pay: 8,000 files of 15 KB took
 * 0.72–0.77 s (1.17–1.27 s CPU) on workers started ahead, 0.77–0.79 s (1.25
 * s) on workers started then. Where the work turns out too little, those
 * started ahead are closed, at 0.1–0.3 s of CPU.
 */
export const AHEAD_STATE_BYTES = 2 << 20;

/**
 * startCheckWorkers when the state at `stateDb` looks large enough to need
 * them, and whether it did. Below that (most images a test or a recipe
 * makes), booting two isolates ahead cost a verify of a few files 0.15 s
 * and both cores; if the files do call for workers, the PathChecker starts
 * them once it has counted the files. A state that is not named or cannot be
 * stat'ed starts none: opening the image reports why.
 */
export function startCheckWorkersFor(stateDb: string | undefined): boolean {
  if (stateDb === undefined) return false;
  let size: number;
  try {
    size = statSync(stateDb).size;
  } catch {
    return false;
  }
  if (size < AHEAD_STATE_BYTES) return false;
  startCheckWorkers();
  return true;
}

export class PathChecker {
  private readonly pool: WorkerPool<CheckTask, CheckAnswer> | undefined;

  /**
   * `workers`: check workers to start (taking those started ahead, grown to
   * that many); 0 checks on this thread. `realRoot`: the image's real root;
   * paths under a directory that resolves outside it are answered `outside`,
   * never read.
   */
  constructor(workers: number, private readonly realRoot?: string) {
    const started = ahead;
    ahead = undefined;
    if (workers > 0) {
      this.pool = started ?? newPool(workers);
      this.grow(workers);
      this.pool.hold(true);
    } else void started?.close();
  }

  /**
   * The finding of each path that differs, by its index in `paths` (from
   * `from`: entries `from` to `to` of a list are checked, keyed from 0);
   * `onChecked(n)` as each batch is done (progress). `batch`: paths per
   * worker task — larger keeps the workers busy longer while the caller's
   * thread does not hand out the next (it is decoding a manifest).
   */
  async check(paths: readonly PathExpect[] | ExpectList, onChecked?: (n: number) => void, batchSize = BATCH, from = 0, to = paths.length): Promise<Map<number, PathFinding>> {
    const list = paths instanceof ExpectList ? paths : listOf(paths);
    const found = new Map<number, PathFinding>();
    const tasks: Promise<void>[] = [];
    for (let at = from; at < to; at += batchSize) {
      const batch = list.pack(at, Math.min(at + batchSize, to));
      const take = (findings: [number, PathFinding][]): void => {
        for (const [i, f] of findings) found.set(at - from + i, f);
        onChecked?.(batch.count);
      };
      if (this.pool) tasks.push(this.pool.run({ batch, realRoot: this.realRoot }, [batch.numbers.buffer as ArrayBuffer]).then((a) => take(a.findings)));
      else take(checkBatch(unpackExpects(batch), undefined, this.realRoot));
    }
    // Every task settles before the answer; the first failure (a worker that died) is the answer.
    const failed = (await Promise.allSettled(tasks)).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    return found;
  }

  /** Grows the pool to `workers` threads (never shrinks it; nothing when checks run on this thread): tasks posted from now on spread over them all. */
  grow(workers: number): void {
    if (this.pool && workers > this.pool.size) this.pool.grow(workers - this.pool.size);
  }

  /** Worker threads checking paths (0: this thread checks them). */
  get workers(): number {
    return this.pool?.size ?? 0;
  }

  /** Whether checks run on worker threads. */
  get onWorkers(): boolean {
    return this.pool !== undefined;
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }
}

function listOf(expects: readonly PathExpect[]): ExpectList {
  const list = new ExpectList();
  for (const e of expects) list.add(e);
  return list;
}
