/**
 * Decodes pack frames from a file with synchronous syscalls and fixed buffers:
 * the content comes out in pieces of at most CHUNK bytes, in order, so memory
 * stays bounded whatever the size of the blob or the package. A frame must be
 * exactly one zstd frame of exactly its declared stored length, decoding to
 * exactly its declared content size; the decoder stops as soon as either is
 * exceeded. Used in worker threads (staging, verifying) and on the main thread.
 */
import { readSync } from 'node:fs';
import binding from 'zstd-napi/binding.js';
import type { FrameRef } from './pack-format.js';

export const CHUNK = 1 << 20;

/** Why a frame does not decode as declared (the caller names the pack and turns it into its error). */
export class FrameError extends Error {}

/** Where stored frames are read from: positional reads of a file or of a buffer. */
export interface FrameSource {
  /** Copies up to `length` bytes at `position` into `into`; 0 at the end. */
  read(into: Buffer, length: number, position: number): number;
}

export function fileSource(fd: number): FrameSource {
  return { read: (into, length, position) => readSync(fd, into, 0, length, position) };
}

/** A buffer holding stored bytes that lie at file offset `base`. */
export function bufferSource(bytes: Buffer, base = 0): FrameSource {
  return {
    read: (into, length, position) => {
      const from = position - base;
      if (from < 0 || from >= bytes.length) return 0;
      return bytes.copy(into, 0, from, Math.min(bytes.length, from + length));
    },
  };
}

/** One blob of a frame: where its content starts and how long it is. */
export interface FrameBlob {
  offset: number;
  size: number;
}

/** What to do with each blob's content as a frame is decoded: begin, data in order, end. */
export interface BlobHandler<B extends FrameBlob> {
  start(blob: B): void;
  data(blob: B, piece: Buffer): void;
  end(blob: B): void;
}

export class FrameDecoder {
  private readonly dctx = new binding.DCtx();
  private readonly input = Buffer.allocUnsafe(CHUNK);
  private readonly output = Buffer.allocUnsafe(CHUNK);

  /**
   * Calls `onContent(piece, at)` for the frame's content in order (`piece` is
   * reused after the call returns). Throws FrameError when the stored bytes
   * are short, are not one zstd frame, or do not decode to `frame.size` bytes.
   */
  decode(source: FrameSource, frame: FrameRef, onContent: (piece: Buffer, at: number) => void): void {
    this.dctx.reset(binding.ResetDirective.sessionOnly);
    let readAt = frame.offset;
    const end = frame.offset + frame.length;
    let produced = 0;
    let done = false;
    while (!done) {
      const want = Math.min(CHUNK, end - readAt);
      if (want === 0) throw new FrameError(`the frame is cut short: ${frame.length} stored bytes decode to ${produced} of ${frame.size}`);
      const got = source.read(this.input, want, readAt);
      if (got === 0) throw new FrameError(`the file ends at byte ${readAt}, inside the frame (${frame.length} bytes at ${frame.offset})`);
      readAt += got;
      let input = this.input.subarray(0, got);
      for (;;) {
        let ret: number;
        let out: number;
        let used: number;
        try {
          [ret, out, used] = this.dctx.decompressStream(this.output, input);
        } catch (err) {
          throw new FrameError(`not a valid zstd frame (${(err as Error).message})`);
        }
        input = input.subarray(used);
        if (out === 0 && used === 0 && input.length > 0) throw new FrameError('the zstd decoder made no progress');
        if (out > 0) {
          if (produced + out > frame.size) throw new FrameError(`the frame decodes to more than its declared ${frame.size} bytes`);
          onContent(this.output.subarray(0, out), produced);
          produced += out;
        }
        if (ret === 0) {
          if (input.length > 0 || readAt < end) throw new FrameError(`the zstd frame ends ${input.length + end - readAt} bytes before the declared frame does`);
          done = true;
          break;
        }
        // Output full: call again with what is left; input used up: read more.
        if (out < this.output.length && input.length === 0) break;
      }
    }
    if (produced !== frame.size) throw new FrameError(`the frame decodes to ${produced} bytes, not the declared ${frame.size}`);
  }

  /**
   * Decodes a frame and hands each blob's content (non-overlapping spans of
   * the frame's content) to `handler`, in order, in pieces: memory stays
   * bounded by CHUNK whatever the blobs' sizes.
   */
  split<B extends FrameBlob>(source: FrameSource, frame: FrameRef, blobs: readonly B[], handler: BlobHandler<B>): void {
    // Spans do not overlap (the index and the map were checked), so one blob is open at a time.
    const order = [...blobs].sort((x, y) => x.offset - y.offset || x.size - y.size);
    let i = 0;
    let open: B | undefined;
    const begin = (pos: number): void => {
      while (!open && i < order.length && order[i]!.offset <= pos) {
        const b = order[i++]!;
        handler.start(b);
        if (b.size === 0) handler.end(b);
        else open = b;
      }
    };
    this.decode(source, frame, (piece, at) => {
      const end = at + piece.length;
      let pos = at;
      while (pos < end) {
        begin(pos);
        if (!open) {
          pos = i < order.length ? Math.min(end, order[i]!.offset) : end;
          continue;
        }
        const stop = Math.min(open.offset + open.size, end);
        handler.data(open, piece.subarray(pos - at, stop - at));
        pos = stop;
        if (stop === open.offset + open.size) {
          const b = open;
          open = undefined;
          handler.end(b);
        }
      }
    });
    begin(Number.POSITIVE_INFINITY);
  }
}
