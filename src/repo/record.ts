/**
 * A package record: the one file a client fetches to learn a package version
 * — its manifest and its blob map (blob-map.ts) — so a fresh install costs
 * two requests: the record, then the pack span.
 *
 *   manifests/<hh>/<hex>.zst     zstd of: "ZPKGMF01", u32 manifest length (LE),
 *                                the manifest's canonical bytes, the blob map
 *
 * It is named by the sha256 of the manifest's canonical bytes — the package's
 * identity, as the catalog names it — which is checked on every read, so
 * nothing in a record can be spoofed; the blob map only says where to look.
 *
 *   deltas/<hh>/<new>-<old>.zst  the record of <new>, zstd-compressed with the record
 *                                of <old> (uncompressed) as its dictionary (zstd's
 *                                "patch-from"): what an upgrade from <old> fetches —
 *                                a few hundred bytes where the record is kilobytes
 */
import { Compressor } from 'zstd-napi';
import { digestOf, type Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { decodeManifest, type Manifest } from '../core/manifest.js';
import { decodeBlobMap, type BlobMap } from './blob-map.js';
import { compress, compressOnThreads, decompressBounded } from './compress.js';
import { threadBudget } from '../fs/threads.js';

export const RECORD_MAGIC = Buffer.from('ZPKGMF01');
/** A record is a manifest and a map: far below this, whatever a damaged or hostile file declares. */
export const MAX_RECORD = 256 << 20;
/** Records are written once and read by every client: worth more than the default level. */
export const RECORD_LEVEL = 9;
/**
 * The zstd level of a delta, by the size of the record. 19 finds little more
 * than what changed in a small record, but its time grows fast with the
 * dictionary: the bench tree's 5 MB record (1,000 of 20,000 files changed)
 * took 3.4 s for a 49 KB delta where 12 takes 0.33 s for 84 KB, and a
 * 300,000-file package's 62 MB record 49 s for 5.3 MB where 12 takes 1.4 s
 * for 0.8 MB (15: 12 s for 1.2 MB).
 */
export function deltaLevel(recordBytes: number): number {
  return recordBytes <= SMALL_RECORD ? 19 : 12;
}
const SMALL_RECORD = 512 << 10;

export interface PackageRecord {
  manifest: Manifest;
  /** The manifest's canonical bytes (what its digest is of). */
  manifestBytes: Buffer;
  map: BlobMap;
  mapBytes: Buffer;
  /** The whole record, uncompressed (a delta's dictionary). */
  raw: Buffer;
}

/** The uncompressed record of a manifest and its blob map. */
export function encodeRecord(manifestBytes: Uint8Array, mapBytes: Uint8Array): Buffer {
  const head = Buffer.alloc(RECORD_MAGIC.length + 4);
  RECORD_MAGIC.copy(head);
  head.writeUInt32LE(manifestBytes.length, RECORD_MAGIC.length);
  return Buffer.concat([head, manifestBytes, mapBytes]);
}

/**
 * A record this big is compressed on every core: a 300,000-file package's
 * 61 MB record took 1.0 s on one (the last step of its build, with every
 * other thread idle) and 0.63 s on two; a 4 MB one is faster on one thread
 * (72 against 95 ms). Which way a record went follows from its size alone, so
 * the same package always compresses to the same bytes.
 */
export const THREADED_RECORD = 32 << 20;

export function compressRecord(raw: Uint8Array): Buffer {
  return raw.length >= THREADED_RECORD ? compressOnThreads(raw, RECORD_LEVEL, threadBudget()) : compress(raw, RECORD_LEVEL);
}

function invalid(where: string, reason: string): ZpkgError {
  return new ZpkgError('E_REPO_INVALID', `${where}: the package record is invalid: ${reason}`, { hint: 'the repository is damaged; check it with `zpkg repo verify`' });
}

/** The manifest bytes of an uncompressed record, checked to hash to `digest`. */
export function recordManifestBytes(raw: Buffer, digest: Digest, where: string): { manifestBytes: Buffer; mapBytes: Buffer } {
  if (raw.length < RECORD_MAGIC.length + 4 || !raw.subarray(0, RECORD_MAGIC.length).equals(RECORD_MAGIC)) throw invalid(where, 'no record magic');
  const len = raw.readUInt32LE(RECORD_MAGIC.length);
  const start = RECORD_MAGIC.length + 4;
  if (start + len > raw.length) throw invalid(where, `its manifest (${len} bytes) runs past its end`);
  const manifestBytes = raw.subarray(start, start + len);
  const actual = digestOf(manifestBytes);
  if (actual !== digest) throw new ZpkgError('E_DIGEST_MISMATCH', `${where}: manifest ${digest} is corrupt: its content hashes to ${actual}`);
  return { manifestBytes, mapBytes: raw.subarray(start + len) };
}

/** Parses an uncompressed record: the manifest must hash to `digest` and validate, the blob map must fit it. */
export function decodeRecord(raw: Buffer, digest: Digest, where: string): PackageRecord {
  const { manifestBytes, mapBytes } = recordManifestBytes(raw, digest, where);
  const manifest = decodeManifest(manifestBytes, digest);
  return { manifest, manifestBytes, map: decodeBlobMap(mapBytes, manifest, where), mapBytes, raw };
}

/** Decompresses a stored record, at most MAX_RECORD bytes; damaged compression is a damaged repository. */
export function inflateRecord(stored: Uint8Array, where: string): Buffer {
  return decompressBounded(stored, MAX_RECORD, `${where}: the package record`);
}

/** A window wide enough for zstd to reach back into the whole dictionary (as `zstd --patch-from` sets it). */
function windowLogFor(bytes: number): number {
  return Math.min(27, Math.max(17, Math.ceil(Math.log2(bytes + 1)) + 1));
}

/** The delta that turns record `base` into record `raw` (both uncompressed). */
export function encodeDelta(raw: Uint8Array, base: Uint8Array): Buffer {
  const c = new Compressor();
  c.setParameters({ compressionLevel: deltaLevel(raw.length), windowLog: windowLogFor(raw.length + base.length) });
  c.loadDictionary(base);
  return c.compress(raw);
}

/** Applies a delta to the uncompressed record it was made from; throws when it does not decode. */
export function applyDelta(delta: Uint8Array, base: Uint8Array, where: string): Buffer {
  return decompressBounded(delta, MAX_RECORD, `${where}: the delta`, base);
}
