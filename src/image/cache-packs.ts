/**
 * The packs of an image's content cache: found by reading each pack's own
 * index (trailer, then index, checked in full). A pack that does not parse is
 * deleted — it holds nothing that can be trusted to be where it says — and
 * its blobs are fetched again when needed.
 */
import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Digest } from '../core/digest.js';
import { OPEN_FLAGS } from '../fs/path-check.js';
import { compress, decompressBounded } from '../repo/compress.js';
import { fileSource, FrameDecoder } from '../repo/frame-decoder.js';
import { FRAME_TARGET, lookupPackIndex, parsePackIndex, parsePackTrailer, PACK_TRAILER_SIZE, type BlobEntry, type FrameRef, type PackIndex } from '../repo/pack-format.js';
import { PackWriter } from '../repo/pack-writer.js';

/** Where a cached blob lies: a file (a pack, or a single compressed blob), a frame in it, an offset in the frame's content. */
export interface CachedBlob {
  file: string;
  frame: FrameRef;
  offset: number;
  size: number;
}

function pread(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) throw new Error(`short read at ${position + got}`);
    got += n;
  }
  return buf;
}

/**
 * A cached blob's content, read through its frame (decoded only up to the
 * frame's declared size). Not checked against its digest: the caller does.
 */
export function readCachedBlob(blob: CachedBlob): Buffer {
  const fd = openSync(blob.file, OPEN_FLAGS);
  try {
    const stored = pread(fd, blob.frame.length, blob.frame.offset);
    const limit = blob.frame.size >= 0 ? blob.frame.size : 256 << 20;
    const content = decompressBounded(stored, limit, blob.file);
    return blob.size >= 0 ? content.subarray(blob.offset, blob.offset + blob.size) : content;
  } finally {
    closeSync(fd);
  }
}

/** The index bytes of a local pack file and where they start, found through its trailer; a link is not followed. */
function readIndexBytes(file: string): { bytes: Buffer; offset: number } {
  const fd = openSync(file, OPEN_FLAGS);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${file} is not a regular file`);
    const size = st.size;
    const at = parsePackTrailer(size >= PACK_TRAILER_SIZE ? pread(fd, PACK_TRAILER_SIZE, size - PACK_TRAILER_SIZE) : Buffer.alloc(0), size, file);
    return { bytes: pread(fd, at.length, at.offset), offset: at.offset };
  } finally {
    closeSync(fd);
  }
}

/** The index of a local pack file, checked; throws when it is not a valid pack or not a regular file (a link is not followed). */
export function readLocalPackIndex(file: string): PackIndex {
  const { bytes, offset } = readIndexBytes(file);
  return parsePackIndex(bytes, offset, file);
}

function packFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => n.endsWith('.pack'))
      .sort()
      .map((n) => join(dir, n));
  } catch {
    return [];
  }
}

/** Each valid pack of `dir` with its index; one that is not (`invalid`, default: deleted) holds nothing that can be trusted. */
function eachPack(dir: string, fn: (file: string, index: PackIndex) => void, invalid: (file: string) => void = (file) => rmSync(file, { force: true })): void {
  for (const file of packFiles(dir)) {
    let index: PackIndex;
    try {
      index = readLocalPackIndex(file);
    } catch {
      invalid(file);
      continue;
    }
    fn(file, index);
  }
}

/** Every blob of every valid pack in `dir` (the first pack to hold a digest wins). */
export function readCachePacks(dir: string): Map<Digest, CachedBlob> {
  const out = new Map<Digest, CachedBlob>();
  eachPack(dir, (file, index) => {
    for (const b of index.blobs) if (!out.has(b.digest)) out.set(b.digest, { file, frame: index.frames[b.frame]!, offset: b.offset, size: b.size });
  });
  return out;
}

/** A pack's index is searched for the digests still wanted, rather than parsed whole, when they are fewer than this share of its blobs. */
const SEARCH_BELOW = 1 / 16;

/**
 * Where the `wanted` blobs lie in the valid packs of `dir`, as readCachePacks
 * would place them (the first pack to hold a digest wins), opening no pack
 * once every one is found. While the digests still wanted are few beside a
 * pack's blobs its index is searched (lookupPackIndex), else parsed and
 * checked whole: a one-file install on an image whose cache holds the pack of
 * a 100,000-file package had spent 0.23 s parsing that index. A pack whose
 * index does not parse is deleted, as readCachePacks deletes it.
 */
export function findInCachePacks(dir: string, wanted: ReadonlySet<Digest>): Map<Digest, CachedBlob> {
  const out = new Map<Digest, CachedBlob>();
  const left = new Set(wanted);
  for (const file of packFiles(dir)) {
    if (left.size === 0) break;
    let frames: FrameRef[];
    let found: BlobEntry[];
    try {
      const { bytes, offset } = readIndexBytes(file);
      const blobs = bytes.length >= 8 ? bytes.readUInt32LE(4) : 0;
      if (left.size < blobs * SEARCH_BELOW) ({ frames, found } = lookupPackIndex(bytes, offset, file, left));
      else {
        const index = parsePackIndex(bytes, offset, file);
        frames = index.frames;
        found = index.blobs.filter((b) => left.has(b.digest));
      }
    } catch {
      rmSync(file, { force: true });
      continue;
    }
    for (const b of found) {
      out.set(b.digest, { file, frame: frames[b.frame]!, offset: b.offset, size: b.size });
      left.delete(b.digest);
    }
  }
  return out;
}

/** A cache pack is rewritten when less than this share of its content is still needed. */
const COMPACT_BELOW = 0.5;

/**
 * Rewrites a cache pack with only the blobs of `keep`: a frame whose blobs
 * are all kept is copied as stored, a frame holding some is decoded and its
 * kept blobs compressed again, a frame holding none is dropped. The new pack
 * replaces the old one by rename. Returns the blobs dropped.
 */
function compact(file: string, index: PackIndex, keep: ReadonlySet<Digest>): number {
  const tmp = `${file}.compact`;
  const writer = new PackWriter(tmp);
  const decoder = new FrameDecoder();
  const fd = openSync(file, OPEN_FLAGS);
  let dropped = 0;
  try {
    const byFrame = new Map<number, BlobEntry[]>();
    for (const b of index.blobs) byFrame.set(b.frame, [...(byFrame.get(b.frame) ?? []), b]);
    let group: { digest: Digest; content: Buffer }[] = [];
    let groupSize = 0;
    const flush = (): void => {
      if (!group.length) return;
      const whole = Buffer.concat(group.map((g) => g.content));
      let at = 0;
      writer.addFrame(compress(whole), whole.length, group.map((g) => ({ digest: g.digest, offset: (at += g.content.length) - g.content.length, size: g.content.length })));
      group = [];
      groupSize = 0;
    };
    index.frames.forEach((frame, i) => {
      const blobs = byFrame.get(i) ?? [];
      const kept = blobs.filter((b) => keep.has(b.digest));
      dropped += blobs.length - kept.length;
      if (kept.length === 0) return;
      if (kept.length === blobs.length) {
        writer.addFrame(pread(fd, frame.length, frame.offset), frame.size, kept);
        return;
      }
      for (const b of kept) {
        const content = Buffer.alloc(b.size);
        let at = 0;
        decoder.split(fileSource(fd), frame, [b], { start: () => undefined, data: (_x, piece) => void (at += piece.copy(content, at)), end: () => undefined });
        group.push({ digest: b.digest, content });
        groupSize += b.size;
        if (groupSize >= FRAME_TARGET) flush();
      }
    });
    flush();
    writer.finish();
    renameSync(tmp, file);
  } catch (err) {
    writer.abort();
    throw err;
  } finally {
    closeSync(fd);
  }
  return dropped;
}

export interface PackSweep {
  removedPacks: number;
  removedBlobs: number;
  bytesFreed: number;
}

/**
 * Drops the packs of `dir` that hold none of `keep`'s blobs (and those that
 * are no valid pack), and compacts those of which less than half is still
 * needed — unless the pack is also a local repository's (hard-linked:
 * rewriting it would cost disk, not free it). A dry run changes nothing and
 * counts, for a compaction, only the frames it would drop whole.
 */
export function sweepPacks(dir: string, keep: ReadonlySet<Digest>, dryRun = false): PackSweep {
  const out: PackSweep = { removedPacks: 0, removedBlobs: 0, bytesFreed: 0 };
  const invalid = (file: string): void => {
    const st = lstatSync(file, { throwIfNoEntry: false });
    if (!dryRun) rmSync(file, { force: true });
    out.removedPacks += 1;
    if (st?.isFile() && st.nlink === 1) out.bytesFreed += st.size;
  };
  eachPack(
    dir,
    (file, index) => {
      const st = lstatSync(file);
      const total = index.blobs.reduce((n, b) => n + b.size, 0);
      const kept = index.blobs.filter((b) => keep.has(b.digest));
      const keptBytes = kept.reduce((n, b) => n + b.size, 0);
      if (kept.length === 0) {
        if (!dryRun) rmSync(file, { force: true });
        out.removedPacks += 1;
        out.removedBlobs += index.blobs.length;
        if (st.nlink === 1) out.bytesFreed += st.size;
        return;
      }
      if (st.nlink > 1 || keptBytes >= total * COMPACT_BELOW) return;
      if (dryRun) {
        // What compaction would free without compressing anything: the frames it drops whole (the partly kept ones are compressed again).
        out.removedBlobs += index.blobs.length - kept.length;
        const keptFrames = new Set(kept.map((b) => b.frame));
        out.bytesFreed += index.frames.reduce((n, f, i) => n + (keptFrames.has(i) ? 0 : f.length), 0);
        return;
      }
      out.removedBlobs += compact(file, index, keep);
      out.bytesFreed += st.size - lstatSync(file).size;
    },
    invalid,
  );
  return out;
}
