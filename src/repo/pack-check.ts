/** A whole pack held in memory (a depot upload), checked: its name, its index, and every blob it holds. */
import { digestOf, type Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { bufferSource, FrameDecoder } from './frame-decoder.js';
import { checkFrame, type FrameBlobCheck } from './frame-check.js';
import { invalidPack, parsePackIndex, parsePackTrailer, PACK_MAGIC, PACK_TRAILER_SIZE, type PackIndex } from './pack-format.js';

export function checkPackBytes(bytes: Buffer, digest: Digest, where: string): PackIndex {
  const actual = digestOf(bytes);
  if (actual !== digest) throw new ZpkgError('E_DIGEST_MISMATCH', `${where} hashes to ${actual}, not ${digest}`);
  if (!bytes.subarray(0, PACK_MAGIC.length).equals(PACK_MAGIC)) throw invalidPack(where, 'no pack magic at its start');
  const at = parsePackTrailer(bytes.subarray(bytes.length - PACK_TRAILER_SIZE), bytes.length, where);
  const index = parsePackIndex(bytes.subarray(at.offset, at.offset + at.length), at.offset, where);
  const inFrame = new Map<number, FrameBlobCheck[]>();
  for (const b of index.blobs) inFrame.set(b.frame, [...(inFrame.get(b.frame) ?? []), { digest: b.digest, offset: b.offset, size: b.size }]);
  const decoder = new FrameDecoder();
  const source = bufferSource(bytes);
  index.frames.forEach((frame, i) => {
    const found = checkFrame(decoder, source, frame, inFrame.get(i) ?? []);
    if (found.undecodable) throw invalidPack(where, `frame ${i}: ${found.undecodable}`);
    const bad = found.corrupt[0];
    if (bad) throw new ZpkgError('E_DIGEST_MISMATCH', `${where}: blob ${bad.digest} is corrupt: its content hashes to ${bad.actual}`, { details: { digest: bad.digest } });
  });
  return index;
}
