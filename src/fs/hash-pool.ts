/**
 * sha256 of many files on every core: each `digest(path)` joins the batch
 * being gathered, and a batch goes to a hashing worker (hash-worker.ts:
 * synchronous reads through one reused buffer) once the current tick's asks
 * are in or it holds BATCH paths. With fewer than `minFiles` files expected,
 * files are hashed on this thread: starting workers would cost more.
 */
import { availableParallelism } from 'node:os';
import { HEAD, hashFile, hashWorkerUrl, type HashAnswer, type HashTask } from './hash-worker.js';
import { WorkerPool } from './workers.js';

const BATCH = 64;

export class HashPool {
  private pool: WorkerPool<HashTask, HashAnswer> | undefined;
  private batch: { path: string; resolve: (d: string) => void; reject: (e: Error) => void }[] = [];
  private scheduled = false;
  private readonly head = Buffer.alloc(HEAD);

  constructor(expectedFiles: number, minFiles = 64) {
    if (expectedFiles >= minFiles) this.pool = new WorkerPool(hashWorkerUrl(), Math.max(1, availableParallelism()));
  }

  /** `sha256:<hex>` of the file's content; rejects with the read's error. */
  digest(path: string): Promise<string> {
    if (!this.pool) {
      try {
        return Promise.resolve(hashFile(path, this.head).digest);
      } catch (err) {
        return Promise.reject(err as Error);
      }
    }
    return new Promise((resolve, reject) => {
      this.batch.push({ path, resolve, reject });
      if (this.batch.length >= BATCH) this.send();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.send();
        });
      }
    });
  }

  private send(): void {
    const batch = this.batch;
    this.batch = [];
    if (!batch.length) return;
    this.pool!.run({ paths: batch.map((b) => b.path) }).then(
      (r) => batch.forEach((b, i) => (r.digests[i]!.startsWith('!') ? b.reject(new Error(r.digests[i]!.slice(1))) : b.resolve(r.digests[i]!))),
      (err: Error) => batch.forEach((b) => b.reject(err)),
    );
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }
}
