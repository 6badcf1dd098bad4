/**
 * A hashing worker (fs/workers.ts): the sha256 and the first HEAD bytes of
 * each file of a batch, read with synchronous syscalls through one reused
 * buffer — what a build needs of every file it packs, and `verify` of every
 * installed file, on every core.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { HEAD } from './head.js';
import { serve, workerUrl } from './workers.js';

export interface HashTask {
  paths: string[];
}

export interface HashAnswer {
  /** `sha256:<hex>`, or an error message starting with `!`. */
  digests: string[];
  sizes: number[];
  /** HEAD bytes per file (fewer when the file is shorter: see sizes). */
  heads: ArrayBuffer;
}

const buf = Buffer.allocUnsafe(1 << 20);

export function hashFile(path: string, head: Buffer): { digest: string; size: number } {
  const fd = openSync(path, 'r');
  try {
    const h = createHash('sha256');
    let size = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, size);
      if (n === 0) break;
      if (size < HEAD) buf.copy(head, size, 0, Math.min(n, HEAD - size));
      h.update(buf.subarray(0, n));
      size += n;
    }
    return { digest: `sha256:${h.digest('hex')}`, size };
  } finally {
    closeSync(fd);
  }
}

/** This worker's URL for a WorkerPool (resolved here, whichever folder the pool is made in). */
export function hashWorkerUrl(): URL {
  return workerUrl(import.meta.url, 'hash-worker');
}

serve<HashTask, HashAnswer>((task) => {
  const heads = new ArrayBuffer(task.paths.length * HEAD);
  const digests: string[] = [];
  const sizes: number[] = [];
  task.paths.forEach((p, i) => {
    try {
      const r = hashFile(p, Buffer.from(heads, i * HEAD, HEAD));
      digests.push(r.digest);
      sizes.push(r.size);
    } catch (err) {
      digests.push(`!${(err as Error).message}`);
      sizes.push(0);
    }
  });
  return { value: { digests, sizes, heads }, transfer: [heads] };
});
