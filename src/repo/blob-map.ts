/**
 * A package's blob map: where each blob of one package version lies in the
 * repository's packs, so a client fetches exactly the frames it lacks, with
 * range requests, and a fresh install fetches a pack's span in one request.
 *
 *   u16 pack count P; P × (32-byte sha256 of the pack, u64 pack size)
 *   u32 frame count F; F × (u16 pack, u64 offset, u64 stored length, u64 content length)
 *   u32 blob count B; B × (u32 frame, u64 offset in the frame's content)
 *
 * The blobs are those of `packageBlobs(manifest)`, in that order, so the map
 * repeats no digest and no size (the manifest has them). A map is a hint, not
 * a trust anchor: every blob read through it is checked against the
 * manifest's digest before it is used, so a map that lies can make an install
 * fail (with a typed error, nothing changed) but never put wrong bytes in an
 * image. It is still checked in full against its manifest when read.
 */
import type { Digest } from '../core/digest.js';
import { digestHex } from '../core/digest.js';
import type { Manifest } from '../core/manifest.js';
import { ZpkgError } from '../core/errors.js';
import { checkFrameBounds, checkNoOverlap, PACK_MAGIC, PACK_TRAILER_SIZE, type FrameRef } from './pack-format.js';
import { readU64, writeU64 } from '../core/u64.js';

export interface PackRef {
  digest: Digest;
  size: number;
}

export interface MapFrame extends FrameRef {
  /** Index into `packs`. */
  pack: number;
}

export interface BlobMap {
  packs: PackRef[];
  frames: MapFrame[];
  /** Aligned with packageBlobs(manifest). */
  blobs: { frame: number; offset: number }[];
}

/** The blobs a package needs, each once: file contents in action order, then hooks by phase name (the order of canonical JSON, whatever order an object in memory has). */
export function packageBlobs(manifest: Pick<Manifest, 'actions' | 'hooks'>): { digest: Digest; size: number }[] {
  const seen = new Set<Digest>();
  const out: { digest: Digest; size: number }[] = [];
  const add = (digest: Digest, size: number): void => {
    if (seen.has(digest)) return;
    seen.add(digest);
    out.push({ digest, size });
  };
  for (const a of manifest.actions) if (a.type === 'file') add(a.digest, a.size);
  const hooks = manifest.hooks ?? {};
  for (const phase of Object.keys(hooks).sort()) {
    const h = hooks[phase as keyof typeof hooks]!;
    add(h.digest, h.size);
  }
  return out;
}

export function encodeBlobMap(map: BlobMap): Buffer {
  const out = Buffer.alloc(2 + map.packs.length * 40 + 4 + map.frames.length * 26 + 4 + map.blobs.length * 12);
  let at = out.writeUInt16LE(map.packs.length, 0);
  for (const p of map.packs) {
    out.write(digestHex(p.digest), at, 'hex');
    at = writeU64(out, p.size, at + 32);
  }
  at = out.writeUInt32LE(map.frames.length, at);
  for (const f of map.frames) {
    at = out.writeUInt16LE(f.pack, at);
    at = writeU64(out, f.offset, at);
    at = writeU64(out, f.length, at);
    at = writeU64(out, f.size, at);
  }
  at = out.writeUInt32LE(map.blobs.length, at);
  for (const b of map.blobs) {
    at = out.writeUInt32LE(b.frame, at);
    at = writeU64(out, b.offset, at);
  }
  return out;
}


/**
 * Parses a blob map and checks it against the manifest it belongs to: one
 * entry per blob, every frame inside its pack's data, frames of one pack not
 * overlapping, every blob inside its frame's content.
 */
export function decodeBlobMap(bytes: Buffer, manifest: Manifest, where: string): BlobMap {
  const bad = (reason: string): Error => new ZpkgError('E_REPO_INVALID', `${where}: its blob map is invalid: ${reason}`, { hint: 'the repository is damaged; check it with `zpkg repo verify`' });
  let at = 0;
  const need = (n: number): void => {
    if (at + n > bytes.length) throw bad(`it is truncated at byte ${at}`);
  };
  need(2);
  const nPacks = bytes.readUInt16LE(at);
  at += 2;
  const packs: PackRef[] = [];
  for (let i = 0; i < nPacks; i++) {
    need(40);
    packs.push({ digest: `sha256:${bytes.toString('hex', at, at + 32)}`, size: readU64(bytes, at + 32) });
    at += 40;
  }
  need(4);
  const nFrames = bytes.readUInt32LE(at);
  at += 4;
  const frames: MapFrame[] = [];
  for (let i = 0; i < nFrames; i++) {
    need(26);
    const f = { pack: bytes.readUInt16LE(at), offset: readU64(bytes, at + 2), length: readU64(bytes, at + 10), size: readU64(bytes, at + 18) };
    at += 26;
    const p = packs[f.pack];
    if (!p) throw bad(`frame ${i} names pack ${f.pack}, but there are ${nPacks}`);
    if (f.length === 0) throw bad(`frame ${i} is empty`);
    if (f.offset < PACK_MAGIC.length || f.offset + f.length > p.size - PACK_TRAILER_SIZE) {
      throw bad(`frame ${i} (${f.length} bytes at ${f.offset}) lies outside pack ${p.digest}'s ${p.size} bytes`);
    }
    frames.push(f);
  }
  const byPack = [...frames].sort((x, y) => x.pack - y.pack || x.offset - y.offset);
  for (let i = 1; i < byPack.length; i++) {
    const a = byPack[i - 1]!;
    const b = byPack[i]!;
    if (a.pack === b.pack && b.offset < a.offset + a.length) throw bad(`two frames overlap at byte ${b.offset} of pack ${packs[b.pack]!.digest}`);
  }
  need(4);
  const nBlobs = bytes.readUInt32LE(at);
  at += 4;
  const wanted = packageBlobs(manifest);
  if (nBlobs !== wanted.length) throw bad(`it places ${nBlobs} blobs, but the manifest has ${wanted.length}`);
  const blobs: BlobMap['blobs'] = [];
  const spans: { digest: Digest; frame: number; offset: number; size: number }[] = [];
  for (let i = 0; i < nBlobs; i++) {
    need(12);
    const b = { frame: bytes.readUInt32LE(at), offset: readU64(bytes, at + 4) };
    at += 12;
    const f = frames[b.frame];
    const { digest, size } = wanted[i]!;
    if (!f) throw bad(`blob ${digest} names frame ${b.frame}, but there are ${nFrames}`);
    if (b.offset + size > f.size) throw bad(`blob ${digest} (${size} bytes at ${b.offset}) runs past the end of its frame's ${f.size} bytes of content`);
    blobs.push(b);
    spans.push({ digest, frame: b.frame, offset: b.offset, size });
  }
  if (at !== bytes.length) throw bad(`${bytes.length - at} bytes follow its last entry`);
  checkNoOverlap(spans, bad);
  // Only frames that hold a blob of the manifest are ever fetched: those are bounded by the manifest's sizes.
  const inFrame = new Map<number, { offset: number; size: number }[]>();
  for (const s of spans) {
    const held = inFrame.get(s.frame);
    if (held) held.push(s);
    else inFrame.set(s.frame, [s]);
  }
  for (const [i, held] of inFrame) checkFrameBounds(frames[i]!, held, `frame ${i}`, bad);
  return { packs, frames, blobs };
}

/** Where one blob lies: what a map entry says. */
export interface Placement {
  pack: PackRef;
  frame: FrameRef;
  offset: number;
}

/** The blob map of a manifest whose blobs lie where `place` says (each pack and frame listed once). */
export function buildBlobMap(manifest: Manifest, place: (digest: Digest) => Placement): BlobMap {
  const map: BlobMap = { packs: [], frames: [], blobs: [] };
  const packs = new Map<Digest, number>();
  const frames = new Map<string, number>();
  for (const { digest } of packageBlobs(manifest)) {
    const p = place(digest);
    let pack = packs.get(p.pack.digest);
    if (pack === undefined) {
      pack = map.packs.push({ digest: p.pack.digest, size: p.pack.size }) - 1;
      packs.set(p.pack.digest, pack);
    }
    const key = `${pack}:${p.frame.offset}`;
    let frame = frames.get(key);
    if (frame === undefined) {
      frame = map.frames.push({ pack, offset: p.frame.offset, length: p.frame.length, size: p.frame.size }) - 1;
      frames.set(key, frame);
    }
    map.blobs.push({ frame, offset: p.offset });
  }
  return map;
}
