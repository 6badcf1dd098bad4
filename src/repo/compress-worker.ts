/**
 * A compression worker (fs/workers.ts): reads the files of one frame with
 * synchronous syscalls, checks each still hashes to its digest, and
 * compresses them as one zstd frame — into memory, or streamed into a file
 * for a frame too big to hold (FrameTask.out).
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import binding from 'zstd-napi/binding.js';
import { serve } from '../fs/workers.js';

export interface FrameTask {
  files: { path: string; digest: string; size: number }[];
  level: number;
  /** Stream the frame into this file instead of answering with it. */
  out?: string;
  /** A buffer of an earlier answer, handed back for reuse (see `spares`). */
  spare?: ArrayBuffer;
}

export type FrameAnswer =
  | { ok: true; stored?: ArrayBuffer; length: number; size: number }
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

function inMemory(task: FrameTask): { value: FrameAnswer; transfer?: ArrayBuffer[] } {
  const total = task.files.reduce((n, f) => n + f.size, 0);
  const content = contentBuffer(total);
  let at = 0;
  for (const f of task.files) {
    const why = readWhole(f.path, f.size, content, at);
    if (why) return { value: { ok: false, path: f.path, reason: why } };
    const actual = `sha256:${createHash('sha256').update(content.subarray(at, at + f.size)).digest('hex')}`;
    if (actual !== f.digest) return { value: { ok: false, path: f.path, reason: `it now hashes to ${actual}, not ${f.digest}` } };
    at += f.size;
  }
  const out = outputBuffer(binding.compressBound(total));
  const length = cctx.compress(new Uint8Array(out), content.subarray(0, total), task.level);
  return { value: { ok: true, stored: out, length, size: total }, transfer: [out] };
}

/** One big file, streamed: bounded memory whatever its size. */
function streamed(task: FrameTask): FrameAnswer {
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
  if (actual !== f.digest) return { ok: false, path: f.path, reason: `it now hashes to ${actual}, not ${f.digest}` };
  return { ok: true, length, size: f.size };
}

serve<FrameTask, FrameAnswer>((task) => {
  if (task.spare && spares.length < SPARES_KEPT) spares.push(task.spare);
  return task.out ? { value: streamed(task) } : inMemory(task);
});
