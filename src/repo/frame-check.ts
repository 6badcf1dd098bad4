/** Checking the blobs of a pack frame against their digests as the frame is decoded, in bounded memory. */
import { createHash, type Hash } from 'node:crypto';
import type { Digest } from '../core/digest.js';
import { FrameDecoder, FrameError, type FrameSource } from './frame-decoder.js';
import type { FrameRef } from './pack-format.js';

export interface FrameBlobCheck {
  digest: Digest;
  offset: number;
  size: number;
}

/** What is wrong with a frame: it does not decode as declared, or some blobs hash to other digests. */
export interface FrameProblems {
  undecodable?: string;
  corrupt: { digest: Digest; actual: Digest }[];
}

export function checkFrame(decoder: FrameDecoder, source: FrameSource, frame: FrameRef, blobs: readonly FrameBlobCheck[]): FrameProblems {
  const out: FrameProblems = { corrupt: [] };
  const hashes = new Map<FrameBlobCheck, Hash>();
  try {
    decoder.split(source, frame, blobs, {
      start: (b) => void hashes.set(b, createHash('sha256')),
      data: (b, piece) => void hashes.get(b)!.update(piece),
      end: (b) => {
        const actual: Digest = `sha256:${hashes.get(b)!.digest('hex')}`;
        hashes.delete(b);
        if (actual !== b.digest) out.corrupt.push({ digest: b.digest, actual });
      },
    });
  } catch (err) {
    if (!(err instanceof FrameError)) throw err;
    out.undecodable = err.message;
  }
  return out;
}
