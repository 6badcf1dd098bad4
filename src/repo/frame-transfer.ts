/**
 * Moving stored frames from one repository's pack into a new pack without
 * recompressing them (`repo copy`, `repo upgrade`): the frames are read with
 * coalesced range requests, each frame's blobs are checked against their
 * digests as it arrives, and only then is the frame appended.
 */
import type { Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import type { RepoReader } from './backend.js';
import type { PackRef } from './blob-map.js';
import { bufferSource, FrameDecoder } from './frame-decoder.js';
import { checkFrame, type FrameBlobCheck } from './frame-check.js';
import { packPath } from './layout.js';
import type { FrameRef } from './pack-format.js';
import type { PackWriter } from './pack-writer.js';
import { coalesce } from './ranges.js';

export interface FrameToMove {
  frame: FrameRef;
  /** The blobs known to be in it (only these are indexed in the new pack). */
  blobs: FrameBlobCheck[];
}

/** Appends `frames` of `pack` to `writer`, each verified; returns each frame's number in the new pack, by its old offset. */
export async function transferFrames(reader: RepoReader, pack: PackRef, frames: readonly FrameToMove[], writer: PackWriter, onBlob?: (bytes: number) => void): Promise<Map<number, number>> {
  const path = packPath(pack.digest);
  const order = [...frames].sort((a, b) => a.frame.offset - b.frame.offset);
  const moved = new Map<number, number>();
  const decoder = new FrameDecoder();
  let k = 0;
  let pending: Buffer[] = [];
  let have = 0;
  const settle = (): void => {
    while (k < order.length && have >= order[k]!.frame.length) {
      const { frame, blobs } = order[k]!;
      const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
      const stored = all.subarray(0, frame.length);
      const rest = all.subarray(frame.length);
      const found = checkFrame(decoder, bufferSource(stored, frame.offset), frame, blobs);
      if (found.undecodable) throw new ZpkgError('E_REPO_INVALID', `${reader.location}: ${path}: the frame at ${frame.offset}: ${found.undecodable}`);
      const bad = found.corrupt[0];
      if (bad) throw new ZpkgError('E_DIGEST_MISMATCH', `${reader.location}: blob ${bad.digest} in ${path} is corrupt: its content hashes to ${bad.actual}`, { details: { digest: bad.digest } });
      moved.set(frame.offset, writer.addFrame(stored, frame.size, blobs));
      for (const b of blobs) onBlob?.(b.size);
      pending = rest.length ? [rest] : [];
      have = rest.length;
      k += 1;
    }
  };
  const found = await reader.readRanges(
    path,
    coalesce(order.map((f) => ({ start: f.frame.offset, length: f.frame.length }))),
    (chunk) => {
      pending.push(Buffer.from(chunk));
      have += chunk.length;
      settle();
    },
  );
  if (!found) throw new ZpkgError('E_BLOB_MISSING', `${reader.location}: pack ${pack.digest} is missing`, { hint: 'the repository is incomplete; check it with `zpkg repo verify`' });
  if (k !== order.length) throw new ZpkgError('E_REPO_INVALID', `${reader.location}: ${path} ended before its frames did`);
  return moved;
}

/** Groups blobs' places by pack and frame: what `transferFrames` takes. */
export function framesByPack(places: Iterable<[Digest, { pack: PackRef; frame: FrameRef; offset: number; size: number }]>): Map<Digest, { pack: PackRef; frames: Map<number, FrameToMove> }> {
  const out = new Map<Digest, { pack: PackRef; frames: Map<number, FrameToMove> }>();
  for (const [digest, p] of places) {
    let g = out.get(p.pack.digest);
    if (!g) out.set(p.pack.digest, (g = { pack: p.pack, frames: new Map() }));
    let f = g.frames.get(p.frame.offset);
    if (!f) g.frames.set(p.frame.offset, (f = { frame: p.frame, blobs: [] }));
    if (!f.blobs.some((b) => b.digest === digest)) f.blobs.push({ digest, offset: p.offset, size: p.size });
  }
  return out;
}
