/**
 * The packs of an image's content cache: found by reading each pack's own
 * index (trailer, then index, checked in full). A pack that does not parse is
 * deleted — it holds nothing that can be trusted to be where it says — and
 * its blobs are fetched again when needed.
 */
import { closeSync, fstatSync, openSync, readdirSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Digest } from '../core/digest.js';
import { parsePackIndex, parsePackTrailer, PACK_TRAILER_SIZE, type FrameRef, type PackIndex } from '../repo/pack-format.js';

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

/** The index of a local pack file, checked; throws when it is not a valid pack. */
export function readLocalPackIndex(file: string): PackIndex {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const at = parsePackTrailer(size >= PACK_TRAILER_SIZE ? pread(fd, PACK_TRAILER_SIZE, size - PACK_TRAILER_SIZE) : Buffer.alloc(0), size, file);
    return parsePackIndex(pread(fd, at.length, at.offset), at.offset, file);
  } finally {
    closeSync(fd);
  }
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

function eachPack(dir: string, fn: (file: string, index: PackIndex) => void): void {
  for (const file of packFiles(dir)) {
    let index: PackIndex;
    try {
      index = readLocalPackIndex(file);
    } catch {
      rmSync(file, { force: true });
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

/** The packs of `dir` that hold none of `keep`'s blobs. */
export function cachePackNames(dir: string, keep: ReadonlySet<Digest>): { unneeded: string[] } {
  const unneeded: string[] = [];
  eachPack(dir, (file, index) => {
    if (!index.blobs.some((b) => keep.has(b.digest))) unneeded.push(file);
  });
  return { unneeded };
}
