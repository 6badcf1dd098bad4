/**
 * A pack: blobs stored together, so a package version travels and lands as
 * one stream while every blob stays addressed by its digest and is verified
 * on its own. Learnt from git packfiles (one file, an index of digest →
 * offset) and casync/OSTree (independently compressed units, fetched by range).
 *
 *   "ZPKGPK01"         8-byte magic
 *   frames             zstd frames back to back, the first at byte 8; a frame holds one
 *                      blob, or several small blobs of one package concatenated (up to
 *                      FRAME_TARGET bytes of content), so small files compress together
 *                      and cost neither a file nor a request each
 *   index              u32 frame count F, u32 blob count B (little endian), then
 *                      F × (u64 offset, u64 stored length, u64 content length)   24 bytes each
 *                      B × (32-byte sha256, u32 frame, u64 offset in the frame's content,
 *                           u64 size)                                          52 bytes each
 *                      frames in file order, blobs sorted by digest
 *   trailer            u64 index offset, u64 index length, "ZPKGPK01"             24 bytes
 *
 * In a repository a pack is named by the sha256 of its bytes (`packs/<hh>/<hex>.pack`);
 * an image's content cache keeps packs in the same format. Everything here is
 * pure: parsing checks every offset, and a pack whose index lies (a frame past
 * the index, frames that overlap or leave gaps, a blob past its frame's end,
 * two blobs over the same bytes, a digest twice, a frame bigger than its
 * content can make it or than its blobs need: `checkFrameBounds`) is refused,
 * naming the reason.
 */
import { digestHex, type Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { readU64, writeU64 } from '../core/u64.js';

export const PACK_MAGIC = Buffer.from('ZPKGPK01');
export const PACK_TRAILER_SIZE = 24;
export const FRAME_ENTRY_SIZE = 24;
export const BLOB_ENTRY_SIZE = 52;
/** Small blobs of one package are grouped into frames of about this much content (1 MiB: 179 MB for the bench tree, where a frame per file gives 190 MB and the .deb 183 MB). */
export const FRAME_TARGET = 1 << 20;

/**
 * The most content a frame of grouped blobs holds: blobs under FRAME_TARGET
 * are added until the frame reaches it (pack-build.ts `frameGroups`, the
 * cache's compaction, `repo upgrade`), so a group stays under twice that;
 * a bigger frame is one blob alone.
 */
export const MAX_GROUP_CONTENT = 2 * FRAME_TARGET;

/**
 * The most bytes one zstd frame of `size` bytes of content takes stored:
 * zstd.h's ZSTD_COMPRESSBOUND, which holds for any level and for streamed
 * compression (a block that does not shrink is stored raw).
 */
export function storedBound(size: number): number {
  return size + Math.floor(size / 256) + (size < 128 << 10 ? Math.floor(((128 << 10) - size) / 2048) : 0);
}

/**
 * What a frame may declare, given the blobs known to lie in it: stored bytes
 * within zstd's bound of its content, and content beyond MAX_GROUP_CONTENT
 * only when it is one blob alone (at offset 0, the whole content). A blob
 * map is not signed and an index is what the server says; without this a
 * hostile server could declare a frame of petabytes and have it fetched and
 * decoded, since the digests are checked only as the content comes out. With
 * it, what a blob costs to fetch and decode is bounded by its size from the
 * signed manifest (or by 2 MiB).
 */
export function checkFrameBounds(frame: FrameRef, blobs: readonly { offset: number; size: number }[], name: string, refuse: (reason: string) => Error): void {
  checkStoredBound(frame, name, refuse);
  if (frame.size <= MAX_GROUP_CONTENT) return;
  const alone = blobs.length === 1 && blobs[0]!.offset === 0 && blobs[0]!.size === frame.size;
  if (!alone) throw refuse(`${name} declares ${frame.size} bytes of content, more than a frame of grouped blobs holds (${MAX_GROUP_CONTENT}), and is not one blob alone`);
}

/** A frame's stored bytes are within zstd's bound of its content (the first half of checkFrameBounds). */
export function checkStoredBound(frame: FrameRef, name: string, refuse: (reason: string) => Error): void {
  if (frame.length > storedBound(frame.size)) throw refuse(`${name} stores ${frame.size} bytes of content in ${frame.length} bytes, more than zstd ever needs (${storedBound(frame.size)})`);
}

/** A zstd frame in a pack: where it lies and how much content it holds. */
export interface FrameRef {
  offset: number;
  /** Stored (compressed) length. */
  length: number;
  /** Content (decompressed) length. */
  size: number;
}

/** A blob in a pack: its frame (index into the frame table), where in the frame's content it starts, its size. */
export interface BlobEntry {
  digest: Digest;
  frame: number;
  offset: number;
  size: number;
}

export interface PackIndex {
  frames: FrameRef[];
  /** Sorted by digest. */
  blobs: BlobEntry[];
}

export function invalidPack(where: string, reason: string): ZpkgError {
  return new ZpkgError('E_REPO_INVALID', `${where} is not a valid pack: ${reason}`, { hint: 'the repository is damaged; check it with `zpkg repo verify`' });
}


export function encodePackIndex(index: PackIndex): Buffer {
  const blobs = [...index.blobs].sort((x, y) => (x.digest < y.digest ? -1 : x.digest > y.digest ? 1 : 0));
  const out = Buffer.alloc(8 + index.frames.length * FRAME_ENTRY_SIZE + blobs.length * BLOB_ENTRY_SIZE);
  out.writeUInt32LE(index.frames.length, 0);
  out.writeUInt32LE(blobs.length, 4);
  let at = 8;
  for (const f of index.frames) {
    writeU64(out, f.offset, at);
    writeU64(out, f.length, at + 8);
    writeU64(out, f.size, at + 16);
    at += FRAME_ENTRY_SIZE;
  }
  for (const b of blobs) {
    out.write(digestHex(b.digest), at, 'hex');
    out.writeUInt32LE(b.frame, at + 32);
    writeU64(out, b.offset, at + 36);
    writeU64(out, b.size, at + 44);
    at += BLOB_ENTRY_SIZE;
  }
  return out;
}

export function encodePackTrailer(indexOffset: number, indexLength: number): Buffer {
  const t = Buffer.alloc(PACK_TRAILER_SIZE);
  writeU64(t, indexOffset, 0);
  writeU64(t, indexLength, 8);
  PACK_MAGIC.copy(t, 16);
  return t;
}

/** Where the index lies, from the trailer of a pack of `size` bytes. */
export function parsePackTrailer(trailer: Buffer, size: number, where: string): { offset: number; length: number } {
  if (size < PACK_MAGIC.length + 8 + PACK_TRAILER_SIZE) throw invalidPack(where, `it is ${size} bytes, too short for a pack`);
  if (trailer.length !== PACK_TRAILER_SIZE || !trailer.subarray(16).equals(PACK_MAGIC)) throw invalidPack(where, 'no pack trailer at its end (truncated, or not a pack)');
  const offset = readU64(trailer, 0);
  const length = readU64(trailer, 8);
  if (offset < PACK_MAGIC.length || offset + length !== size - PACK_TRAILER_SIZE) throw invalidPack(where, `its index (${length} bytes at ${offset}) does not end where the trailer starts (${size - PACK_TRAILER_SIZE})`);
  return { offset, length };
}

/** The counts an index declares, checked against its length. */
function indexCounts(bytes: Buffer, where: string): { nFrames: number; nBlobs: number } {
  if (bytes.length < 8) throw invalidPack(where, 'its index is truncated');
  const nFrames = bytes.readUInt32LE(0);
  const nBlobs = bytes.readUInt32LE(4);
  if (bytes.length !== 8 + nFrames * FRAME_ENTRY_SIZE + nBlobs * BLOB_ENTRY_SIZE) {
    throw invalidPack(where, `its index is ${bytes.length} bytes, but ${nFrames} frames and ${nBlobs} blobs take ${8 + nFrames * FRAME_ENTRY_SIZE + nBlobs * BLOB_ENTRY_SIZE}`);
  }
  return { nFrames, nBlobs };
}

/** The frame table, checked: frames back to back from the magic to the index, none empty. */
function parseFrames(bytes: Buffer, nFrames: number, indexOffset: number, where: string): FrameRef[] {
  const frames: FrameRef[] = [];
  let at = 8;
  let expect = PACK_MAGIC.length;
  for (let i = 0; i < nFrames; i++, at += FRAME_ENTRY_SIZE) {
    const f = { offset: readU64(bytes, at), length: readU64(bytes, at + 8), size: readU64(bytes, at + 16) };
    if (f.offset !== expect) throw invalidPack(where, `frame ${i} starts at ${f.offset}, not where frame ${i - 1} ends (${expect}): frames overlap or leave a gap`);
    if (f.length === 0) throw invalidPack(where, `frame ${i} is empty`);
    if (f.offset + f.length > indexOffset) throw invalidPack(where, `frame ${i} (${f.length} bytes at ${f.offset}) runs past the end of the data (${indexOffset})`);
    expect = f.offset + f.length;
    frames.push(f);
  }
  if (expect !== indexOffset) throw invalidPack(where, `its frames end at ${expect}, but the index starts at ${indexOffset}`);
  return frames;
}

/** Blob entry `i` of an index with `nFrames` frames, checked to lie inside its frame's content. */
function blobEntry(bytes: Buffer, frames: readonly FrameRef[], i: number, where: string): BlobEntry {
  const at = 8 + frames.length * FRAME_ENTRY_SIZE + i * BLOB_ENTRY_SIZE;
  const b: BlobEntry = { digest: `sha256:${bytes.toString('hex', at, at + 32)}`, frame: bytes.readUInt32LE(at + 32), offset: readU64(bytes, at + 36), size: readU64(bytes, at + 44) };
  const f = frames[b.frame];
  if (!f) throw invalidPack(where, `blob ${b.digest} names frame ${b.frame}, but there are ${frames.length}`);
  if (b.offset + b.size > f.size) throw invalidPack(where, `blob ${b.digest} (${b.size} bytes at ${b.offset}) runs past the end of frame ${b.frame}'s ${f.size} bytes of content`);
  return b;
}

/**
 * Parses and checks an index whose data region is [8, indexOffset): frames
 * back to back from byte 8 to the index, each blob inside its frame's
 * content, no two blobs of a frame over the same bytes, digests sorted and unique.
 */
export function parsePackIndex(bytes: Buffer, indexOffset: number, where: string): PackIndex {
  const { nFrames, nBlobs } = indexCounts(bytes, where);
  const frames = parseFrames(bytes, nFrames, indexOffset, where);
  const blobs: BlobEntry[] = [];
  let prev = '';
  for (let i = 0; i < nBlobs; i++) {
    const b = blobEntry(bytes, frames, i, where);
    if (b.digest <= prev) throw invalidPack(where, `blob ${b.digest} is listed out of order or twice`);
    prev = b.digest;
    blobs.push(b);
  }
  checkNoOverlap(blobs, (reason) => invalidPack(where, reason));
  const inFrame = frames.map((): BlobEntry[] => []);
  for (const b of blobs) inFrame[b.frame]!.push(b);
  frames.forEach((f, i) => checkFrameBounds(f, inFrame[i]!, `frame ${i}`, (reason) => invalidPack(where, reason)));
  return { frames, blobs };
}

/**
 * The entries of the `wanted` digests an index holds, found by binary search
 * in its sorted blob table without reading the rest: for a transaction that
 * needs a few blobs while the cache holds a pack of 100,000 (parsing and
 * checking such an index whole took 0.15 s). The frame table is checked as
 * parsePackIndex checks it, each entry found as its blob would be, and a
 * frame beyond MAX_GROUP_CONTENT must be the found blob alone; the order of
 * the rest of the table and overlaps between blobs are not looked at: an
 * index out of order can only hide a blob (it is fetched again), and every
 * blob read from a pack is checked against its digest before it is used.
 */
export function lookupPackIndex(bytes: Buffer, indexOffset: number, where: string, wanted: Iterable<Digest>): { frames: FrameRef[]; found: BlobEntry[] } {
  const { nFrames, nBlobs } = indexCounts(bytes, where);
  const frames = parseFrames(bytes, nFrames, indexOffset, where);
  frames.forEach((f, i) => checkStoredBound(f, `frame ${i}`, (reason) => invalidPack(where, reason)));
  const table = 8 + nFrames * FRAME_ENTRY_SIZE;
  const found: BlobEntry[] = [];
  for (const digest of wanted) {
    const key = Buffer.from(digestHex(digest), 'hex');
    let lo = 0;
    let hi = nBlobs - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = table + mid * BLOB_ENTRY_SIZE;
      const c = bytes.compare(key, 0, 32, at, at + 32);
      if (c < 0) lo = mid + 1;
      else if (c > 0) hi = mid - 1;
      else {
        const b = blobEntry(bytes, frames, mid, where);
        checkFrameBounds(frames[b.frame]!, [b], `frame ${b.frame}`, (reason) => invalidPack(where, reason));
        found.push(b);
        break;
      }
    }
  }
  return { frames, found };
}

/** No two blobs of one frame cover the same bytes (empty blobs cover none). */
export function checkNoOverlap(blobs: readonly { digest: Digest; frame: number; offset: number; size: number }[], refuse: (reason: string) => Error): void {
  const spans = blobs.filter((b) => b.size > 0).sort((x, y) => x.frame - y.frame || x.offset - y.offset);
  for (let i = 1; i < spans.length; i++) {
    const a = spans[i - 1]!;
    const b = spans[i]!;
    if (a.frame === b.frame && b.offset < a.offset + a.size) throw refuse(`blobs ${a.digest} and ${b.digest} overlap in frame ${a.frame}`);
  }
}

/** The entry of `digest` in an index (blobs sorted by digest), or undefined. */
export function findBlob(index: PackIndex, digest: Digest): BlobEntry | undefined {
  let lo = 0;
  let hi = index.blobs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const d = index.blobs[mid]!.digest;
    if (d === digest) return index.blobs[mid];
    if (d < digest) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}
