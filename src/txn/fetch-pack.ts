/**
 * One repository pack's frames made local for a transaction, under the
 * cache's tmp/ (they enter the cache proper only once staging has checked
 * every blob read from them):
 *
 * - a local repository's pack is hard-linked whole — no byte copied, one
 *   link for a package of any size;
 * - otherwise the frames are read with coalesced range requests (one
 *   multi-range request per batch over http, positional reads from a file)
 *   into a pack of their own: "ZPKGPK01", the frames back to back, an index
 *   of the blobs the transaction knows to be in them, the trailer. An
 *   interrupted download resumes from the byte it reached, also in a later
 *   run; the frames are in the file in order as they come, so staging may
 *   read each one as soon as its last byte is written (arrivals.ts).
 */
import { createHash } from 'node:crypto';
import { closeSync, ftruncateSync, fstatSync, linkSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { digestHex, type Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { cacheTempPath } from '../image/cache.js';
import { readLocalPackIndex } from '../image/cache-packs.js';
import type { RepoReader } from '../repo/backend.js';
import type { PackRef } from '../repo/blob-map.js';
import { packPath } from '../repo/layout.js';
import { encodePackIndex, encodePackTrailer, PACK_MAGIC, type BlobEntry, type FrameRef } from '../repo/pack-format.js';
import { coalesce, totalLength } from '../repo/ranges.js';
import { noSpace } from './failures.js';

export interface FrameWanted {
  frame: FrameRef;
  /** Blobs known to lie in the frame (offset in its content, size). */
  blobs: Map<Digest, { offset: number; size: number }>;
}

export interface LocalPack {
  /** The local file (under cache/tmp/). */
  file: string;
  /** Its name once it enters the cache. */
  cacheName: string;
  /** Each wanted frame's place in the local file, by its offset in the repository's pack. */
  frames: Map<number, FrameRef>;
  /** Compressed bytes that came from the repository by linking (a download counts its own). */
  bytes: number;
  /**
   * The download still to run, absent when the frames are local already: it
   * appends to `file`, telling `onWritten` the file's length after each
   * chunk, and resolves with the bytes that came.
   */
  download?: (onBytes: (n: number) => void, onWritten: (length: number) => void, signal?: AbortSignal) => Promise<number>;
}

function packMissing(reader: RepoReader, pack: PackRef): ZpkgError {
  return new ZpkgError('E_BLOB_MISSING', `${reader.location}: pack ${pack.digest} is missing`, { hint: 'nothing was changed; the repository is incomplete: check it with `zpkg repo verify`' });
}

/** Hard-links a local repository's pack into tmp/; undefined when it cannot be linked (another filesystem). */
function linkWhole(cache: string, reader: RepoReader, pack: PackRef, frames: readonly FrameWanted[]): LocalPack | undefined {
  const source = reader.localPath(packPath(pack.digest));
  if (source === undefined) return undefined;
  let size: number;
  try {
    size = statSync(source).size;
  } catch {
    throw packMissing(reader, pack);
  }
  if (size !== pack.size) throw new ZpkgError('E_REPO_INVALID', `${reader.location}: pack ${pack.digest} is ${size} bytes, but its blob map says ${pack.size}`, { hint: 'the repository is damaged; check it with `zpkg repo verify`' });
  const file = cacheTempPath(cache, `${digestHex(pack.digest)}.pack`);
  mkdirSync(dirname(file), { recursive: true });
  rmSync(file, { force: true });
  try {
    linkSync(source, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EXDEV' || code === 'EPERM') return undefined;
    throw err;
  }
  return { file, cacheName: digestHex(pack.digest), frames: new Map(frames.map((f) => [f.frame.offset, f.frame])), bytes: frames.reduce((n, f) => n + f.frame.length, 0) };
}

/** Where each frame lands in a pack of the wanted frames back to back. */
function layout(frames: readonly FrameWanted[]): Map<number, FrameRef> {
  const out = new Map<number, FrameRef>();
  let at = PACK_MAGIC.length;
  for (const f of frames) {
    out.set(f.frame.offset, { offset: at, length: f.frame.length, size: f.frame.size });
    at += f.frame.length;
  }
  return out;
}

function write(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

/**
 * The wanted frames' pack of their own under tmp/: whole already when an
 * earlier attempt finished it (its trailer and index read back), else a
 * download to run that resumes from the last byte an earlier attempt wrote.
 * The file is created here, so it exists before a byte is staged from it,
 * and keeps its name to the end: staging may read it while it is written.
 */
function ownPack(cache: string, reader: RepoReader, pack: PackRef, frames: readonly FrameWanted[]): LocalPack {
  const ranges = coalesce(frames.map((f) => ({ start: f.frame.offset, length: f.frame.length })));
  const total = totalLength(ranges);
  const key = createHash('sha256').update(`${reader.location}\0${pack.digest}\0${JSON.stringify(ranges)}`).digest('hex').slice(0, 32);
  const local = layout(frames);
  const cacheName = `${digestHex(pack.digest)}-${key.slice(0, 16)}`;
  const file = cacheTempPath(cache, `${key}.pack`);
  mkdirSync(dirname(file), { recursive: true });
  const fd = openSync(file, 'a+');
  let have: number;
  try {
    have = fstatSync(fd).size;
    if (have > PACK_MAGIC.length + total && wholeAlready(file, frames.length)) return { file, cacheName, frames: local, bytes: 0 };
    if (have < PACK_MAGIC.length || have > PACK_MAGIC.length + total) {
      ftruncateSync(fd, 0);
      write(fd, PACK_MAGIC);
      have = PACK_MAGIC.length;
    }
  } finally {
    closeSync(fd);
  }
  const download = async (onBytes: (n: number) => void, onWritten: (length: number) => void, signal?: AbortSignal): Promise<number> => {
    const out = openSync(file, 'a');
    let fetched = 0;
    try {
      onWritten(have);
      const found = await reader.readRanges(
        packPath(pack.digest),
        ranges,
        (chunk) => {
          write(out, chunk);
          fetched += chunk.length;
          have += chunk.length;
          onBytes(chunk.length);
          onWritten(have);
        },
        { skip: have - PACK_MAGIC.length, ...(signal ? { signal } : {}) },
      );
      if (!found) throw packMissing(reader, pack);
      if (have !== PACK_MAGIC.length + total) throw new ZpkgError('E_REMOTE_UNREACHABLE', `${reader.location}: pack ${pack.digest}: ${have - PACK_MAGIC.length} of ${total} bytes arrived`);
      const blobs: BlobEntry[] = [];
      frames.forEach((f, i) => {
        for (const [digest, b] of f.blobs) blobs.push({ digest, frame: i, offset: b.offset, size: b.size });
      });
      const seen = new Set<Digest>();
      const index = encodePackIndex({ frames: [...local.values()], blobs: blobs.filter((b) => (seen.has(b.digest) ? false : (seen.add(b.digest), true))) });
      write(out, index);
      write(out, encodePackTrailer(PACK_MAGIC.length + total, index.length));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') {
        rmSync(file, { force: true });
        throw noSpace(`for the content cache (fetching pack ${pack.digest})`);
      }
      throw err;
    } finally {
      closeSync(out);
    }
    return fetched;
  };
  return { file, cacheName, frames: local, bytes: 0, download };
}

/** An earlier attempt's file holds every frame and a readable index of them. */
function wholeAlready(file: string, frames: number): boolean {
  try {
    return readLocalPackIndex(file).frames.length === frames;
  } catch {
    return false;
  }
}

/**
 * Makes `frames` of `pack` local: linked when the repository is a local
 * directory (whole at once), else a pack of their own read by ranges — its
 * `download` left for the caller to run, so staging can begin while it does.
 */
export function localPack(cache: string, reader: RepoReader, pack: PackRef, frames: readonly FrameWanted[]): LocalPack {
  const sorted = [...frames].sort((a, b) => a.frame.offset - b.frame.offset);
  return linkWhole(cache, reader, pack, sorted) ?? ownPack(cache, reader, pack, sorted);
}
