/**
 * A compression worker (fs/workers.ts): reads the files of one frame with
 * synchronous syscalls, checks each still hashes to its digest, and
 * compresses them as one zstd frame — into memory, or streamed into a file
 * for a frame too big to hold (FrameTask.out).
 *
 * A speculative task (FrameTask.speculative) names files whose digests are
 * not known yet: a build reads its tree once, hashing and compressing in the
 * same pass. The worker answers each file's digest and first bytes, and
 * leaves out of the frame what the repository already holds (`known`), what
 * the pack has claimed from other frames by the time the file is read
 * (`claimed`), and a second copy of content already in the frame.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import binding from 'zstd-napi/binding.js';
import { HEAD } from '../fs/head.js';
import { serve } from '../fs/workers.js';
import { sharedHas } from './shared-digests.js';

export interface FrameTask {
  /** `digest`: what the file must hash to; absent only in a speculative task. */
  files: { path: string; digest?: string; size: number }[];
  level: number;
  /** Stream the frame into this file instead of answering with it. */
  out?: string;
  /** A buffer of an earlier answer, handed back for reuse (see `spares`). */
  spare?: ArrayBuffer;
  /** Digests unknown: hash each file as it is read and answer `speculated`. */
  speculative?: boolean;
  /** The raw sha256s of blobs the repository holds, sorted (speculative tasks leave them out of the frame). */
  known?: SharedArrayBuffer;
  /** The blobs the pack has claimed so far (shared-digests.ts): speculative tasks leave them out of the frame too. */
  claimed?: SharedArrayBuffer;
}

/** What a speculative task found: per file its digest (`!reason` when it could not be read as walked) and first HEAD bytes; `kept`: the files in the frame, in order. */
export interface Speculated {
  digests: string[];
  heads: ArrayBuffer;
  kept: number[];
}

export type FrameAnswer =
  | { ok: true; stored?: ArrayBuffer; length: number; size: number; speculated?: Speculated }
  | { ok: false; path: string; reason: string };

const cctx = new binding.CCtx();
const CHUNK = 4 << 20;

/*
 * Buffers are reused, never allocated per frame: on this kind of VM the first
 * write to a page of fresh memory costs tens of microseconds, and a frame's
 * content and output buffers (~1 MB each, mmap-sized) were fresh every time —
 * compressing the bench tree took 2.5–3.1 s of CPU with fresh buffers and
 * 1.8–2.2 s reusing them (zstd level 3, 280 frames). The answer's buffer is
 * transferred to the main thread, which hands it back with a later task.
 */
let content = Buffer.allocUnsafeSlow(0);
const spares: ArrayBuffer[] = [];
const SPARES_KEPT = 4;

function contentBuffer(size: number): Buffer {
  if (content.length < size) content = Buffer.allocUnsafeSlow(Math.max(size, 2 << 20));
  return content;
}

function outputBuffer(bound: number): ArrayBuffer {
  const at = spares.findIndex((b) => b.byteLength >= bound);
  return at >= 0 ? spares.splice(at, 1)[0]! : new ArrayBuffer(Math.max(bound, 2 << 20));
}

function readWhole(path: string, size: number, into: Buffer, at: number): string | undefined {
  const fd = openSync(path, 'r');
  try {
    if (fstatSync(fd).size !== size) return `it is ${fstatSync(fd).size} bytes now, not ${size}`;
    let got = 0;
    while (got < size) {
      const n = readSync(fd, into, at + got, size - got, got);
      if (n === 0) return `it ends at byte ${got}, not ${size}`;
      got += n;
    }
  } finally {
    closeSync(fd);
  }
  return undefined;
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Whether raw sha256 `key` is in `known` (sorted 32-byte entries). */
function isKnown(known: Uint8Array, key: Uint8Array): boolean {
  let lo = 0;
  let hi = known.length / 32;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = Buffer.compare(known.subarray(mid * 32, mid * 32 + 32), key);
    if (c === 0) return true;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

/** Reads, hashes and compresses in one pass; a file left out is overwritten in the content buffer by the next. */
function speculated(task: FrameTask): { value: FrameAnswer; transfer?: ArrayBuffer[] } {
  const total = task.files.reduce((n, f) => n + f.size, 0);
  const content = contentBuffer(total);
  const known = task.known ? new Uint8Array(task.known) : undefined;
  const heads = new ArrayBuffer(task.files.length * HEAD);
  const found: Speculated = { digests: [], heads, kept: [] };
  const inFrame = new Set<string>();
  let at = 0;
  task.files.forEach((f, i) => {
    let why: string | undefined;
    try {
      why = readWhole(f.path, f.size, content, at);
    } catch (err) {
      why = (err as Error).message;
    }
    if (why) {
      found.digests.push(`!${why}`);
      return;
    }
    const bytes = content.subarray(at, at + f.size);
    bytes.copy(Buffer.from(heads, i * HEAD, HEAD), 0, 0, Math.min(HEAD, f.size));
    const raw = createHash('sha256').update(bytes).digest();
    const digest = `sha256:${raw.toString('hex')}`;
    found.digests.push(digest);
    if (inFrame.has(digest) || (known && isKnown(known, raw)) || (task.claimed && sharedHas(task.claimed, raw))) return;
    inFrame.add(digest);
    found.kept.push(i);
    at += f.size;
  });
  if (found.kept.length === 0) return { value: { ok: true, length: 0, size: 0, speculated: found }, transfer: [heads] };
  const out = outputBuffer(binding.compressBound(at));
  const length = cctx.compress(new Uint8Array(out), content.subarray(0, at), task.level);
  return { value: { ok: true, stored: out, length, size: at, speculated: found }, transfer: [out, heads] };
}

function inMemory(task: FrameTask): { value: FrameAnswer; transfer?: ArrayBuffer[] } {
  const total = task.files.reduce((n, f) => n + f.size, 0);
  const content = contentBuffer(total);
  let at = 0;
  for (const f of task.files) {
    const why = readWhole(f.path, f.size, content, at);
    if (why) return { value: { ok: false, path: f.path, reason: why } };
    const actual = sha256(content.subarray(at, at + f.size));
    if (actual !== f.digest) return { value: { ok: false, path: f.path, reason: `it now hashes to ${actual}, not ${f.digest}` } };
    at += f.size;
  }
  const out = outputBuffer(binding.compressBound(total));
  const length = cctx.compress(new Uint8Array(out), content.subarray(0, total), task.level);
  return { value: { ok: true, stored: out, length, size: total }, transfer: [out] };
}

/**
 * One big file, streamed: bounded memory whatever its size. Speculative, it
 * is compressed whatever its digest turns out to be (it cannot be known
 * before the last byte), and a file that cannot be read as walked answers
 * no frame.
 */
function streamed(task: FrameTask): FrameAnswer {
  if (!task.speculative) return streamedFile(task);
  const heads = new ArrayBuffer(HEAD);
  const found: Speculated = { digests: [], heads, kept: [] };
  try {
    const r = streamedFile(task, Buffer.from(heads));
    if (!r.ok) found.digests.push(`!${r.reason}`);
    else {
      found.digests.push(r.digest!);
      found.kept.push(0);
      return { ok: true, length: r.length, size: r.size, speculated: found };
    }
  } catch (err) {
    found.digests.push(`!${(err as Error).message}`);
  }
  return { ok: true, length: 0, size: 0, speculated: found };
}

/** Streams one file into task.out; checks it against its digest, or (none given) answers the digest and fills `head`. */
function streamedFile(task: FrameTask, head?: Buffer): (FrameAnswer & { ok: false }) | { ok: true; length: number; size: number; digest?: string } {
  const f = task.files[0]!;
  const fd = openSync(f.path, 'r');
  const outFd = openSync(task.out!, 'w', 0o600);
  const input = Buffer.allocUnsafe(CHUNK);
  const output = Buffer.allocUnsafe(binding.cStreamOutSize() * 4);
  const hash = createHash('sha256');
  let length = 0;
  let read = 0;
  const flush = (n: number): void => {
    let off = 0;
    while (off < n) off += writeSync(outFd, output, off, n - off);
    length += n;
  };
  try {
    cctx.reset(binding.ResetDirective.sessionAndParameters);
    cctx.setParameter(binding.CParameter.compressionLevel, task.level);
    cctx.setPledgedSrcSize(f.size);
    for (;;) {
      const n = readSync(fd, input, 0, CHUNK, read);
      read += n;
      if (read > f.size) return { ok: false, path: f.path, reason: `it grew past ${f.size} bytes` };
      const last = n === 0;
      if (last && read !== f.size) return { ok: false, path: f.path, reason: `it ends at byte ${read}, not ${f.size}` };
      if (head && read - n < HEAD) input.copy(head, read - n, 0, Math.min(n, HEAD - (read - n)));
      hash.update(input.subarray(0, n));
      let src = input.subarray(0, n);
      for (;;) {
        const [ret, produced, consumed] = cctx.compressStream2(output, src, last ? binding.EndDirective.end : binding.EndDirective.continue);
        flush(produced);
        src = src.subarray(consumed);
        if (last ? ret === 0 : src.length === 0) break;
      }
      if (last) break;
    }
  } finally {
    closeSync(fd);
    closeSync(outFd);
    cctx.reset(binding.ResetDirective.sessionAndParameters);
  }
  const actual = `sha256:${hash.digest('hex')}`;
  if (f.digest === undefined) return { ok: true, length, size: f.size, digest: actual };
  if (actual !== f.digest) return { ok: false, path: f.path, reason: `it now hashes to ${actual}, not ${f.digest}` };
  return { ok: true, length, size: f.size };
}

/** One frame's work, on whichever thread imports this module: a worker (served below), or the caller's for a small frame (pack-build.ts). */
export function compressFrame(task: FrameTask): { value: FrameAnswer; transfer?: ArrayBuffer[] } {
  if (task.spare && spares.length < SPARES_KEPT) spares.push(task.spare);
  if (task.out) return { value: streamed(task) };
  return task.speculative ? speculated(task) : inMemory(task);
}

serve<FrameTask, FrameAnswer>(compressFrame);
