/**
 * A staging worker: for each frame of a batch, reads the stored bytes,
 * decompresses, hashes and writes every blob in it to the temporary name of
 * each path that takes it, with owner and mode — one pass over each byte,
 * with plain synchronous syscalls and fixed buffers (repo/frame-decoder.ts),
 * so memory is bounded whatever the size of the package. A blob is checked
 * against its digest and size as its last byte is written; the batch stops
 * at the first failure and says which blob. Runs in a worker thread (or
 * inline for a few files).
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, fchmodSync, fchownSync, openSync, writeSync } from 'node:fs';
import { serve } from '../fs/workers.js';
import { fileSource, FrameDecoder, FrameError } from '../repo/frame-decoder.js';
import type { FrameRef } from '../repo/pack-format.js';
import { stagedFile, StagingNames } from './side-names.js';

export interface StageOut {
  /** The image path: the file is written under its temporary name (side-names.ts). */
  dest: string;
  mode: number;
  uid: number;
  gid: number;
}

export interface StageBlob {
  digest: string;
  offset: number;
  size: number;
  outs: StageOut[];
}

/** One stored frame and the blobs to take from it. */
export interface StageJob {
  file: string;
  frame: FrameRef;
  blobs: StageBlob[];
}

export interface StageBatch {
  jobs: StageJob[];
  chown: boolean;
  /** The image root, the transaction and its new trees: with each out's dest, the name to write (side-names.ts `StagingNames`). */
  root: string;
  txid: string;
  trees: string[];
}

export type StageFailure =
  | { kind: 'missing'; job: number; digest: string }
  | { kind: 'corrupt'; job: number; digest: string; actual: string; reason?: string }
  | { kind: 'io'; job: number; digest: string; message: string; code?: string };

export interface StageAnswer {
  /** Jobs done, in order (paths written: the sum of their outs). */
  done: number;
  failure?: StageFailure;
}

const decoder = new FrameDecoder();

function writeAll(fd: number, piece: Buffer): void {
  let off = 0;
  while (off < piece.length) off += writeSync(fd, piece, off, piece.length - off);
}

interface Open {
  fds: number[];
  hash: Hash;
  written: number;
}

/** Stages one frame's blobs; throws the failure. */
function stageJob(job: StageJob, index: number, batch: StageBatch, names: StagingNames): void {
  const chown = batch.chown;
  let fd: number;
  try {
    fd = openSync(job.file, 'r');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw { kind: 'missing', job: index, digest: job.blobs[0]!.digest } satisfies StageFailure;
    throw { kind: 'io', job: index, digest: job.blobs[0]!.digest, message: e.message, code: e.code } satisfies StageFailure;
  }
  const open = new Map<StageBlob, Open>();
  let current: StageBlob = job.blobs[0]!;
  try {
    decoder.split(fileSource(fd), job.frame, job.blobs, {
      start: (b) => {
        current = b;
        open.set(b, { fds: b.outs.map((o) => openSync(stagedFile(batch.root, o.dest, names), 'wx', o.mode)), hash: createHash('sha256'), written: 0 });
      },
      data: (b, piece) => {
        const o = open.get(b)!;
        o.hash.update(piece);
        o.written += piece.length;
        for (const out of o.fds) writeAll(out, piece);
      },
      end: (b) => {
        const o = open.get(b)!;
        open.delete(b);
        try {
          const actual = `sha256:${o.hash.digest('hex')}`;
          if (actual !== b.digest || o.written !== b.size) throw { kind: 'corrupt', job: index, digest: b.digest, actual } satisfies StageFailure;
          b.outs.forEach((out, k) => {
            const foreign = out.uid !== 0 || out.gid !== 0;
            if (chown && foreign) fchownSync(o.fds[k]!, out.uid, out.gid);
            // open() already applied the mode (the umask is 0 while staging); chown clears setuid/setgid.
            if (out.mode & 0o7000 || (chown && foreign)) fchmodSync(o.fds[k]!, out.mode);
          });
        } finally {
          for (const f of o.fds) closeSync(f);
        }
      },
    });
  } catch (err) {
    for (const o of open.values()) for (const f of o.fds) closeSync(f);
    if (err instanceof FrameError) throw { kind: 'corrupt', job: index, digest: current.digest, actual: '(undecodable)', reason: err.message } satisfies StageFailure;
    if ((err as StageFailure).kind) throw err;
    const e = err as NodeJS.ErrnoException;
    throw { kind: 'io', job: index, digest: current.digest, message: e.message, code: e.code } satisfies StageFailure;
  } finally {
    closeSync(fd);
  }
}

/** Stages a batch in order, stopping at the first failure. */
export function stageBatch(batch: StageBatch): StageAnswer {
  const names = new StagingNames(batch.txid, batch.trees);
  for (let i = 0; i < batch.jobs.length; i++) {
    try {
      stageJob(batch.jobs[i]!, i, batch, names);
    } catch (failure) {
      return { done: i, failure: failure as StageFailure };
    }
  }
  return { done: batch.jobs.length };
}

serve<StageBatch, StageAnswer>((batch) => ({ value: stageBatch(batch) }));
