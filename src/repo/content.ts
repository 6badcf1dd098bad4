/**
 * Reading a repository's content through any backend: package records (the
 * manifest and its blob map), pack indexes, and blobs — each checked against
 * the digest that names it before anything uses it.
 */
import type { Digest } from '../core/digest.js';
import { digestOf } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import type { RepoReader, RepoWriter } from './backend.js';
import type { BlobMap, PackRef } from './blob-map.js';
import { packageBlobs } from './blob-map.js';
import { decompressBounded } from './compress.js';
import { packPath, parseRepoPath, recordPath } from './layout.js';
import { PACK_MAGIC, parsePackIndex, parsePackTrailer, PACK_TRAILER_SIZE, type FrameRef, type PackIndex } from './pack-format.js';
import { decodeRecord, inflateRecord, MAX_RECORD, recordManifestBytes, type PackageRecord } from './record.js';

export { MAX_RECORD };

/** Reads everything a `readRanges` call delivers into memory (small spans only: trailers, indexes, single frames). */
export async function readSpan(reader: RepoReader, path: string, start: number, length: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  const found = await reader.readRanges(path, [{ start, length }], (c) => chunks.push(Buffer.from(c)));
  return found ? Buffer.concat(chunks) : undefined;
}

/** A package version's record from a repository, verified: E_MANIFEST_MISSING when absent. */
export async function readRecord(reader: RepoReader, digest: Digest, what: string): Promise<PackageRecord & { stored: number }> {
  const { raw, stored, where } = await readStoredRecord(reader, digest, what);
  return { ...decodeRecord(raw, digest, where), stored };
}

/**
 * A record's uncompressed bytes, its manifest checked against `digest` but
 * not decoded: what a delta is made against (decoding the previous version's
 * 300,000-action manifest took a publish 2.6 s, for bytes it only compares).
 */
export async function readRecordBytes(reader: RepoReader, digest: Digest, what: string): Promise<Buffer> {
  const { raw, where } = await readStoredRecord(reader, digest, what);
  recordManifestBytes(raw, digest, where);
  return raw;
}

async function readStoredRecord(reader: RepoReader, digest: Digest, what: string): Promise<{ raw: Buffer; stored: number; where: string }> {
  const path = recordPath(digest);
  const stored = await reader.read(path, MAX_RECORD);
  if (!stored) {
    throw new ZpkgError('E_MANIFEST_MISSING', `the manifest of ${what} (${digest}) is missing from ${reader.location}`, { hint: 'the repository is incomplete; check it with `zpkg repo verify`' });
  }
  const where = `${reader.location}: ${path} (${what})`;
  return { raw: inflateRecord(stored, where), stored: stored.length, where };
}

/** The index of a pack of known size, parsed and checked. */
export async function readPackIndex(reader: RepoReader, pack: PackRef): Promise<PackIndex> {
  const path = packPath(pack.digest);
  const where = `${reader.location}: ${path}`;
  const trailer = await readSpan(reader, path, pack.size - PACK_TRAILER_SIZE, PACK_TRAILER_SIZE);
  if (!trailer) throw new ZpkgError('E_BLOB_MISSING', `${where} is missing`, { hint: 'the repository is incomplete; check it with `zpkg repo verify`' });
  const at = parsePackTrailer(trailer, pack.size, where);
  const bytes = await readSpan(reader, path, at.offset, at.length);
  if (!bytes || bytes.length !== at.length) throw new ZpkgError('E_REPO_INVALID', `${where}: its index cannot be read`);
  return parsePackIndex(bytes, at.offset, where);
}

/**
 * Whether a repository still holds each of `packs` (`repo repack` deletes the
 * packs it gathered): one read of each pack's magic, its first bytes. Not its
 * trailer: a server that ignores Range answers with the whole pack, and a read
 * of the first bytes stops after the answer's first chunk.
 */
export async function packsHeld(reader: RepoReader, packs: readonly PackRef[]): Promise<boolean> {
  for (const p of packs) {
    const head = await readSpan(reader, packPath(p.digest), 0, PACK_MAGIC.length);
    if (!head?.equals(PACK_MAGIC)) return false;
  }
  return true;
}

/** Where a blob lies in a repository: a pack, a frame, an offset in the frame's content. */
export interface BlobPlace {
  pack: PackRef;
  frame: FrameRef;
  offset: number;
  size: number;
}

/** Every pack of a repository (publishers only: it lists the `packs/` folder). */
export async function listPacks(writer: RepoWriter): Promise<PackRef[]> {
  const out: PackRef[] = [];
  for (const path of await writer.list('packs/')) {
    const p = parseRepoPath(path);
    if (p?.kind !== 'pack') continue;
    const size = await writer.size(path);
    if (size !== undefined) out.push({ digest: p.digest, size });
  }
  return out;
}

/** Every blob the repository's packs hold, by digest (what a publish deduplicates against). */
export async function repositoryBlobs(writer: RepoWriter): Promise<Map<Digest, BlobPlace>> {
  const out = new Map<Digest, BlobPlace>();
  for (const pack of await listPacks(writer)) {
    const index = await readPackIndex(writer, pack);
    for (const b of index.blobs) if (!out.has(b.digest)) out.set(b.digest, { pack, frame: index.frames[b.frame]!, offset: b.offset, size: b.size });
  }
  return out;
}

/** Where each blob of a record lies, by digest. */
export function placesOf(record: { manifest: PackageRecord['manifest']; map: BlobMap }): Map<Digest, BlobPlace> {
  const out = new Map<Digest, BlobPlace>();
  packageBlobs(record.manifest).forEach((b, i) => {
    const at = record.map.blobs[i]!;
    const f = record.map.frames[at.frame]!;
    out.set(b.digest, { pack: record.map.packs[f.pack]!, frame: { offset: f.offset, length: f.length, size: f.size }, offset: at.offset, size: b.size });
  });
  return out;
}

/** A frame's stored bytes from a repository pack. */
export async function readFrame(reader: RepoReader, place: Pick<BlobPlace, 'pack' | 'frame'>): Promise<Buffer> {
  const bytes = await readSpan(reader, packPath(place.pack.digest), place.frame.offset, place.frame.length);
  if (!bytes) throw new ZpkgError('E_BLOB_MISSING', `${reader.location}: pack ${place.pack.digest} is missing`, { hint: 'the repository is incomplete; check it with `zpkg repo verify`' });
  return bytes;
}

/** One blob's content, read through its frame and checked against its digest. */
export async function readBlob(reader: RepoReader, digest: Digest, place: BlobPlace, what: string): Promise<Buffer> {
  return (await readFrameBlobs(reader, place, [{ digest, offset: place.offset, size: place.size }], what))[0]!;
}

/** Several blobs of one frame, the frame read and decoded once, each checked against its digest before any is returned. */
export async function readFrameBlobs(reader: RepoReader, place: Pick<BlobPlace, 'pack' | 'frame'>, blobs: readonly { digest: Digest; offset: number; size: number }[], what: string): Promise<Buffer[]> {
  const frame = decompressBounded(await readFrame(reader, place), place.frame.size, `${reader.location}: a frame of pack ${place.pack.digest}`);
  if (frame.length !== place.frame.size) throw new ZpkgError('E_REPO_INVALID', `${reader.location}: a frame of pack ${place.pack.digest} decodes to ${frame.length} bytes, not the declared ${place.frame.size}`);
  return blobs.map((b) => {
    const content = frame.subarray(b.offset, b.offset + b.size);
    const actual = digestOf(content);
    if (actual !== b.digest) throw new ZpkgError('E_DIGEST_MISMATCH', `${reader.location}: blob ${b.digest} (${what}) is corrupt: its content hashes to ${actual}`, { details: { digest: b.digest } });
    return content;
  });
}
