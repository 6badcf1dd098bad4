/**
 * Manifests of packages a transaction lands: from the image cache when there
 * (verified against the digest the catalog or the state names), else the
 * package's record from its remote — for an upgrade, as a delta from the
 * record of the version the image has, when the repository offers one (a
 * few hundred bytes instead of the whole record), else whole. Either way the
 * manifest must hash to its digest and validate, and the blob map must fit
 * it; both are kept in the cache because verify, fix, remove and the next
 * upgrade need them.
 */
import { digestOf, type Digest } from '../core/digest.js';
import { decodeManifest, type Manifest } from '../core/manifest.js';
import { readCachedManifest, readCachedManifestBytes, readCachedMap, writeCachedManifest, writeCachedMap } from '../image/cache.js';
import type { Image } from '../image/image.js';
import type { RepoReader } from '../repo/backend.js';
import type { BlobMap } from '../repo/blob-map.js';
import { packsHeld, readRecord } from '../repo/content.js';
import { deltaPath } from '../repo/layout.js';
import { applyDelta, decodeRecord, encodeRecord, MAX_RECORD, type PackageRecord } from '../repo/record.js';

export interface FetchedManifest {
  manifest: Manifest;
  /** Bytes that came from the repository (0 when cached). */
  bytes: number;
  /** The blob map, when the record came from the repository (else read from the cache when blobs are fetched). */
  map?: BlobMap;
}

/** The uncompressed record of a cached manifest and map (a delta's base), or undefined. */
function cachedRecord(cache: string, digest: Digest, decoded?: Manifest): Buffer | undefined {
  let bytes: Buffer | undefined;
  try {
    bytes = readCachedManifestBytes(cache, digest);
  } catch {
    return undefined;
  }
  if (bytes === undefined || digestOf(bytes) !== digest) return undefined;
  let manifest: Manifest;
  try {
    // The caller's copy was decoded from these same bytes (the digest just matched).
    manifest = decoded ?? decodeManifest(bytes, digest);
  } catch {
    return undefined;
  }
  const map = readCachedMap(cache, digest, manifest);
  return map ? encodeRecord(bytes, map.bytes) : undefined;
}

/** The record as a delta from `from`'s; undefined (and the bytes spent) when the image or the repository lacks what that takes. */
async function viaDelta(image: Image, repo: RepoReader, digest: Digest, from: Digest, fromManifest?: Manifest): Promise<{ record?: PackageRecord; bytes: number }> {
  const base = cachedRecord(image.paths.cache, from, fromManifest);
  if (!base) return { bytes: 0 };
  const path = deltaPath(digest, from);
  const delta = await repo.read(path, MAX_RECORD);
  if (!delta) return { bytes: 0 };
  try {
    const where = `${repo.location}: ${path}`;
    return { record: decodeRecord(applyDelta(delta, base, where), digest, where), bytes: delta.length };
  } catch {
    // Made against another record than the image holds (a repository re-packed since): the whole record is fetched.
    return { bytes: delta.length };
  }
}

/**
 * `keep: false` (dry runs) reads and verifies but writes nothing into the
 * image; `from`: the manifest of the version installed, and `fromManifest`
 * that manifest as the caller decoded it from the cache (not decoded again).
 */
export async function fetchManifest(image: Image, reader: () => RepoReader, digest: Digest, what: string, options: { keep: boolean; from?: Digest; fromManifest?: Manifest }): Promise<FetchedManifest> {
  try {
    const cached = readCachedManifest(image.paths.cache, digest);
    if (cached) return { manifest: cached, bytes: 0 };
  } catch {
    // A damaged cache entry is fetched again below (and replaced).
  }
  const repo = reader();
  let spent = 0;
  let record: PackageRecord | undefined;
  if (options.from && options.from !== digest) {
    const got = await viaDelta(image, repo, digest, options.from, options.fromManifest);
    record = got.record;
    spent += got.bytes;
  }
  if (!record) {
    const whole = await readRecord(repo, digest, what);
    record = whole;
    spent += whole.stored;
  }
  if (options.keep) {
    writeCachedManifest(image.paths.cache, digest, record.manifestBytes);
    writeCachedMap(image.paths.cache, digest, record.mapBytes);
  }
  return { manifest: record.manifest, bytes: spent, map: record.map };
}

/**
 * The blob map of a package whose manifest came from the cache: the cached
 * one while the repository still holds its packs, else its record fetched
 * again — `repo repack` rewrites records and deletes the packs they named.
 */
export async function blobMapOf(image: Image, reader: () => RepoReader, digest: Digest, manifest: Manifest, what: string, keep: boolean): Promise<{ map: BlobMap; bytes: number }> {
  const cached = readCachedMap(image.paths.cache, digest, manifest);
  if (cached && (await packsHeld(reader(), cached.map.packs))) return { map: cached.map, bytes: 0 };
  const record = await readRecord(reader(), digest, what);
  if (keep) writeCachedMap(image.paths.cache, digest, record.mapBytes);
  return { map: record.map, bytes: record.stored };
}
