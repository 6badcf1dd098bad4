/**
 * Stage: every file is decompressed, hashed and written beside its target under
 * a hidden temporary name, with its owner and mode; links likewise. Nothing in
 * the image is replaced yet, so a blob that fails verification (or a full disk)
 * leaves the image as it was: `unstage` removes what was staged.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, chown, lchown, link, mkdir, rm, rmdir, symlink } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { DecompressStream } from 'zstd-napi';
import { ZpkgError } from '../core/errors.js';
import { blobMissing, noSpace } from './failures.js';
import { tempName } from './journal.js';
import { crashPoint } from './crash-point.js';
import { stageOne, type StageJob, type StageOutcome } from './stage-worker.js';
import type { Changeset, PutOp } from './types.js';

/** Blobs above this size stream through decompression instead of being held in memory. */
const STREAM_THRESHOLD = 64 * 1024 * 1024;

export interface Staged {
  /** dest image path → staged absolute path. */
  temps: Map<string, string>;
  /** Directories created, parents first. */
  createdDirs: string[];
  bytes: number;
}

export interface StageOptions {
  txid: string;
  onFile?: (bytes: number) => void;
  /** Set owners (root only; elsewhere files stay owned by the caller). */
  chown: boolean;
}

function tempPath(root: string, dest: string, txid: string): string {
  return join(root, tempName(dest, txid));
}

function corrupt(op: PutOp, actual: string, size: number): ZpkgError {
  const a = op.action as { digest: string; size: number; path: string };
  return new ZpkgError('E_DIGEST_MISMATCH', `blob ${a.digest} for \`${a.path}\` (${op.package}) is corrupt: it decompresses to ${size} bytes hashing to ${actual}`, {
    hint: 'the repository is damaged; nothing was changed. Check it with `zpkg repo verify`',
    details: { digest: a.digest },
  });
}

/** Blobs above STREAM_THRESHOLD: streamed through decompression on the main thread, bounded memory. */
async function stageLarge(op: PutOp, tmp: string, options: StageOptions): Promise<number> {
  const a = op.action as { digest: string; size: number; path: string };
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  try {
    await pipeline(createReadStream(op.blob!), new DecompressStream(), tap, createWriteStream(tmp, { mode: op.mode, flags: 'wx' }));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && (err as NodeJS.ErrnoException).path === op.blob) throw missing(op);
    throw err;
  }
  const actual = `sha256:${hash.digest('hex')}`;
  if (actual !== a.digest || size !== a.size) throw corrupt(op, actual, size);
  if (options.chown && (op.uid !== 0 || op.gid !== 0)) await chown(tmp, op.uid, op.gid);
  if (op.mode & 0o7000 || (options.chown && (op.uid !== 0 || op.gid !== 0))) await chmod(tmp, op.mode);
  return a.size;
}

function missing(op: PutOp): ZpkgError {
  const a = op.action as { digest: string; path: string };
  return blobMissing(a.digest, a.path, op.package);
}

function failure(op: PutOp, outcome: Exclude<StageOutcome, { ok: true }>): Error {
  switch (outcome.kind) {
    case 'missing':
      return missing(op);
    case 'corrupt':
      return corrupt(op, outcome.actual, outcome.size);
    case 'io': {
      if (outcome.code === 'ENOSPC') return noSpaceAt(op.dest);
      const err = new Error(outcome.message) as NodeJS.ErrnoException;
      err.code = outcome.code;
      err.syscall = 'stage';
      err.path = op.dest;
      return err;
    }
  }
}

function noSpaceAt(path: string): ZpkgError {
  return noSpace(`while writing \`${path}\``);
}

/** Below this many files, workers cost more than they save. */
const INLINE_LIMIT = 256;
const BATCH_FILES = 64;
const BATCH_BYTES = 4 * 1024 * 1024;

/**
 * Runs staging jobs: inline for a few, else in worker threads (both cores
 * decompress and hash while others write). Stops at the first failure.
 */
async function runJobs(jobs: StageJob[], onDone: (i: number) => void): Promise<{ index: number; outcome: Exclude<StageOutcome, { ok: true }> } | undefined> {
  if (jobs.length < INLINE_LIMIT) {
    for (let i = 0; i < jobs.length; i++) {
      const r = stageOne(jobs[i]!);
      if (!r.ok) return { index: i, outcome: r };
      onDone(i);
    }
    return undefined;
  }
  const batches: number[][] = [];
  let cur: number[] = [];
  let bytes = 0;
  jobs.forEach((job, i) => {
    cur.push(i);
    bytes += job.size;
    if (cur.length >= BATCH_FILES || bytes >= BATCH_BYTES) {
      batches.push(cur);
      cur = [];
      bytes = 0;
    }
  });
  if (cur.length) batches.push(cur);
  const count = Math.min(batches.length, Math.max(2, availableParallelism() + 1));
  const workers = Array.from({ length: count }, () => new Worker(new URL('./stage-worker.js', import.meta.url)));
  let next = 0;
  let failed: { index: number; outcome: Exclude<StageOutcome, { ok: true }> } | undefined;
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const send = (): void => {
              if (failed || next >= batches.length) return resolve();
              const batch = batches[next++]!;
              w.once('message', (out: StageOutcome[]) => {
                out.forEach((r, k) => {
                  if (r.ok) onDone(batch[k]!);
                  else failed ??= { index: batch[k]!, outcome: r };
                });
                send();
              });
              w.postMessage(batch.map((i) => jobs[i]!));
            };
            w.once('error', reject);
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return failed;
}

export async function stage(root: string, cs: Changeset, options: StageOptions): Promise<Staged> {
  const staged: Staged = { temps: new Map(), createdDirs: [], bytes: 0 };
  try {
    for (const d of [...cs.dirs].filter((d) => d.create).sort((x, y) => x.path.split('/').length - y.path.split('/').length)) {
      const abs = join(root, d.path);
      try {
        await mkdir(abs, { mode: d.mode });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
      staged.createdDirs.push(abs);
      if (options.chown) await chown(abs, d.uid, d.gid);
      await chmod(abs, d.mode);
    }
    const files = cs.put.filter((p) => p.action.type === 'file');
    const small = files.filter((op) => (op.action as { size: number }).size <= STREAM_THRESHOLD);
    const jobs: StageJob[] = small.map((op) => {
      const a = op.action as { digest: string; size: number };
      const tmp = tempPath(root, op.dest, options.txid);
      staged.temps.set(op.dest, tmp);
      return { blob: op.blob!, digest: a.digest, size: a.size, tmp, mode: op.mode, uid: op.uid, gid: op.gid, chown: options.chown };
    });
    const failed = await runJobs(jobs, (i) => {
      crashPoint('stage');
      staged.bytes += jobs[i]!.size;
      options.onFile?.(jobs[i]!.size);
    });
    if (failed) throw failure(small[failed.index]!, failed.outcome);
    for (const op of files.filter((o) => (o.action as { size: number }).size > STREAM_THRESHOLD)) {
      const tmp = tempPath(root, op.dest, options.txid);
      staged.temps.set(op.dest, tmp);
      const n = await stageLarge(op, tmp, options);
      staged.bytes += n;
      options.onFile?.(n);
    }
    for (const op of cs.put) {
      if (op.action.type === 'file') continue;
      const tmp = tempPath(root, op.dest, options.txid);
      if (op.action.type === 'link') {
        await symlink(op.action.target, tmp);
        staged.temps.set(op.dest, tmp);
        if (options.chown && (op.uid !== 0 || op.gid !== 0)) await lchown(tmp, op.uid, op.gid);
      } else {
        const target = staged.temps.get(op.action.target);
        if (!target) throw new ZpkgError('E_MANIFEST_INVALID', `hardlink \`${op.action.path}\` (${op.package}): target \`${op.action.target}\` is not staged`);
        await link(target, tmp);
        staged.temps.set(op.dest, tmp);
      }
      options.onFile?.(0);
    }
  } catch (err) {
    await unstage(staged);
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw noSpaceAt((err as NodeJS.ErrnoException).path ?? root);
    throw err;
  }
  return staged;
}

/** Removes staged temporaries and directories this transaction created. */
export async function unstage(staged: Staged): Promise<void> {
  await Promise.all([...staged.temps.values()].map((t) => rm(t, { force: true })));
  for (const dir of [...staged.createdDirs].reverse()) await rmdir(dir).catch(() => undefined);
}
