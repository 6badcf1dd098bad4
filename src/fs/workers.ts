/**
 * A small pool of worker threads running one module: the way zpkg puts both
 * cores to work on hashing, compression and decompression with synchronous
 * syscalls (a batch of files costs no thread-pool hand-offs). A task is a
 * message; answers come back as promises. A worker module calls `serve`.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, type ResourceLimits } from 'node:worker_threads';

/**
 * The URL of worker module `name` beside the module at `base` (its
 * import.meta.url). From TypeScript sources (tests run them directly) it is
 * the compiled module under dist/, which the test setup builds.
 */
export function workerUrl(base: string, name: string): URL {
  const path = fileURLToPath(base);
  if (!path.endsWith('.ts')) return new URL(`./${name}.js`, base);
  const at = path.lastIndexOf('/src/');
  return pathToFileURL(`${path.slice(0, at)}/dist/src/${path.slice(at + 5).replace(/[^/]+$/, `${name}.js`)}`);
}

interface Pending<Out> {
  resolve(value: Out): void;
  reject(err: unknown): void;
}

type Reply<Out> = { id: number; ok: true; value: Out } | { id: number; ok: false; error: { message: string; code?: string; name?: string } };

/** A failure inside a worker, with the errno code it carried (ENOSPC, ENOENT…). */
export class WorkerTaskError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

let started = 0;

/** Worker threads this process has started so far (each is a V8 isolate of its own: its count bounds memory). */
export function workersStarted(): number {
  return started;
}

/**
 * Tasks posted to one worker ahead of its answer: it starts the next the moment
 * it answers, instead of waiting until this thread — often busy with work of
 * its own (staging, writing frames) — gets round to handing one out. Measured
 * on an install of 20,000 files: the stage worker sat idle 20–40 % of the time
 * with one task at a time.
 */
export const DEPTH = 2;

export class WorkerPool<In, Out> {
  private readonly workers: Worker[] = [];
  /** Task ids posted to each worker and not yet answered, oldest first. */
  private readonly posted = new Map<Worker, number[]>();
  private readonly queue: { id: number; task: In; transfer: ArrayBuffer[] }[] = [];
  private readonly pending = new Map<number, Pending<Out>>();
  private next = 0;
  private failed: unknown;
  private held = true;

  /** `limits` bounds each worker's heap (Node's resourceLimits); a worker that exceeds them fails its task. */
  constructor(
    private readonly url: URL,
    size: number,
    private readonly limits?: ResourceLimits,
    private readonly depth = DEPTH,
  ) {
    this.grow(size);
  }

  /** Workers in the pool. */
  get size(): number {
    return this.workers.length;
  }

  /** Adds `n` workers: tasks posted from now on go to them too (the least loaded worker takes the next). */
  grow(n: number): void {
    if (this.failed) return;
    for (let i = 0; i < n; i++) {
      const w = new Worker(this.url, this.limits ? { resourceLimits: this.limits } : {});
      started++;
      if (!this.held) w.unref();
      w.on('message', (r: Reply<Out>) => this.answer(w, r));
      w.on('error', (err) => this.crash(err));
      this.workers.push(w);
      this.posted.set(w, []);
    }
    this.pump();
  }

  /** Whether the workers keep the process alive (Worker.ref/unref): a pool started ahead of need must not hold a process that fails before using it. */
  hold(on: boolean): void {
    this.held = on;
    for (const w of this.workers) {
      if (on) w.ref();
      else w.unref();
    }
  }

  /** Runs one task on the next free worker. */
  run(task: In, transfer: ArrayBuffer[] = []): Promise<Out> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.next++;
    const p = new Promise<Out>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.queue.push({ id, task, transfer });
    this.pump();
    return p;
  }

  /** Posts queued tasks to the least loaded workers, up to `depth` each. */
  private pump(): void {
    while (this.queue.length) {
      let w: Worker | undefined;
      for (const x of this.workers) if (this.posted.get(x)!.length < this.depth && (!w || this.posted.get(x)!.length < this.posted.get(w)!.length)) w = x;
      if (!w) return;
      const job = this.queue.shift()!;
      this.posted.get(w)!.push(job.id);
      w.postMessage({ id: job.id, task: job.task }, job.transfer);
    }
  }

  private answer(w: Worker, r: Reply<Out>): void {
    const ids = this.posted.get(w)!;
    const at = ids.indexOf(r.id);
    if (at >= 0) ids.splice(at, 1);
    const p = this.pending.get(r.id);
    this.pending.delete(r.id);
    if (r.ok) p?.resolve(r.value);
    else p?.reject(new WorkerTaskError(r.error.message, r.error.code));
    this.pump();
  }

  private crash(err: unknown): void {
    this.failed = err;
    for (const [, p] of this.pending) p.reject(err);
    this.pending.clear();
    this.queue.length = 0;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Inside a worker module: answers each task with `handle(task)` (synchronous; a throw becomes the task's failure). */
export function serve<In, Out>(handle: (task: In) => { value: Out; transfer?: ArrayBuffer[] }): void {
  if (isMainThread || !parentPort) return;
  const port = parentPort;
  port.on('message', ({ id, task }: { id: number; task: In }) => {
    try {
      const { value, transfer } = handle(task);
      port.postMessage({ id, ok: true, value }, transfer ?? []);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      port.postMessage({ id, ok: false, error: { message: e.message ?? String(err), code: e.code, name: e.name } });
    }
  });
}
