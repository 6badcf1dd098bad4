/**
 * The image's content cache (`var/lib/zpkg/cache/`): bytes fetched from
 * repositories that update, fix, rollback and verify need again, all
 * content-addressed so a cached entry is checked against its name on read.
 *
 *   packs/<name>.pack        packs (repo/pack-format.ts) holding the blobs of installed and
 *                            recent packages: a repository's pack hard-linked from a local
 *                            repository (no bytes copied), or the frames an install
 *                            downloaded, with an index of their own. A pack enters the cache
 *                            only after staging checked every blob read from it.
 *   blobs/<hh>/<hex>.zst     single blobs: hooks (the hook store reads them before staging)
 *                            and blobs cached by zpkg before packs
 *   manifests/<hex>.json     a manifest's canonical bytes
 *   maps/<hex>.map           its blob map, as the repository's record had it (an upgrade's
 *                            delta is made against the record they rebuild)
 *   tmp/                     entries being written, and packs fetched by a transaction that
 *                            has not staged yet
 *
 * This module owns the layout; nothing else joins paths under `cache/`.
 */
import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { digestHex, digestOf, type Digest } from '../core/digest.js';
import { decodeManifest, type Manifest } from '../core/manifest.js';
import { isMediatedLink } from '../core/mediators.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { readBounded } from '../fs/in-root.js';
import { decodeBlobMap, type BlobMap } from '../repo/blob-map.js';
import { MAX_RECORD } from '../repo/record.js';
import { findInCachePacks, readCachePacks, sweepPacks, type CachedBlob } from './cache-packs.js';

export type { CachedBlob };

export function blobCachePath(cache: string, digest: Digest): string {
  const hex = digestHex(digest);
  return join(cache, 'blobs', hex.slice(0, 2), `${hex}.zst`);
}

export function manifestCachePath(cache: string, digest: Digest): string {
  return join(cache, 'manifests', `${digestHex(digest)}.json`);
}

export function mapCachePath(cache: string, digest: Digest): string {
  return join(cache, 'maps', `${digestHex(digest)}.map`);
}

export function packCachePath(cache: string, name: string): string {
  return join(cache, 'packs', `${name}.pack`);
}

/** Where an entry is written before it is renamed to its name: the cache never holds a partial entry under its name. */
export function cacheTempPath(cache: string, name: string): string {
  return join(cache, 'tmp', name);
}

/**
 * The bytes of a cache entry, undefined when it is missing. zpkg writes only
 * regular files here: a link is refused, not followed (it could lead out of
 * the image), as is a FIFO or device, and nothing past `maxBytes` (a
 * manifest or blob map: what a record may decompress to) is read.
 */
function readEntry(path: string, maxBytes: number = MAX_RECORD): Buffer | undefined {
  return readBounded(path, { maxBytes, noFollow: true, what: `the cache entry ${path}`, hint: 'zpkg writes only regular files in its cache; remove the entry and it is fetched again when needed' });
}

/** A cached manifest's bytes, unchecked; undefined when not cached; throws when the entry is not a regular file or is too big. */
export function readCachedManifestBytes(cache: string, digest: Digest): Buffer | undefined {
  return readEntry(manifestCachePath(cache, digest));
}

/** A manifest from the cache, verified against its digest; undefined when not cached; throws when the cached entry is damaged. */
export function readCachedManifest(cache: string, digest: Digest): Manifest | undefined {
  const bytes = readCachedManifestBytes(cache, digest);
  return bytes === undefined ? undefined : decodeManifest(bytes, digest);
}

/** The cached manifest, or undefined when it is missing or damaged (callers that can do without it). */
export function cachedManifestOrNone(cache: string, digest: Digest): Manifest | undefined {
  try {
    return readCachedManifest(cache, digest);
  } catch {
    return undefined;
  }
}

/** A manifest's top-level facts that commands ask of every installed package. */
export interface ManifestFlags {
  /** `essential: true` (protect.ts). */
  essential: boolean;
  /** It delivers a link with a `mediator` (core/mediators.ts: `isMediatedLink`). */
  mediated: boolean;
}

/** What `cachedManifestFlags` found per digest: a digest names one content, so what it says never changes. */
const flagsSeen = new Map<Digest, ManifestFlags>();

/**
 * A cached manifest's flags, undefined when it is missing or damaged. Its
 * bytes are checked against the digest, which the image recorded when the
 * manifest was decoded and validated whole on its way in; only JSON is
 * parsed here, not the schema over every action (a 20,000-path manifest:
 * ~55 ms against ~190 ms). `remove` and `sync` ask every installed package
 * whether it is essential (protect.ts), and a transaction involving a
 * mediator which ones deliver mediated links (mediate.ts).
 */
export function cachedManifestFlags(cache: string, digest: Digest): ManifestFlags | undefined {
  const seen = flagsSeen.get(digest);
  if (seen) return seen;
  let parsed: unknown;
  try {
    const bytes = readCachedManifestBytes(cache, digest);
    if (bytes === undefined || digestOf(bytes) !== digest) return undefined;
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { essential, actions } = parsed as { essential?: unknown; actions?: unknown };
  if (!Array.isArray(actions)) return undefined;
  const flags = { essential: essential === true, mediated: actions.some(isMediatedLink) };
  flagsSeen.set(digest, flags);
  return flags;
}

/** Keeps a manifest's verified bytes (the caller decoded them against their digest). */
export function writeCachedManifest(cache: string, digest: Digest, bytes: Uint8Array): void {
  writeFileAtomic(manifestCachePath(cache, digest), bytes, { tmpDir: join(cache, 'tmp') });
}

/** A cached blob map with its bytes, checked against its manifest; undefined when missing or damaged (it is fetched again). */
export function readCachedMap(cache: string, digest: Digest, manifest: Manifest): { map: BlobMap; bytes: Buffer } | undefined {
  const path = mapCachePath(cache, digest);
  try {
    const bytes = readEntry(path);
    return bytes === undefined ? undefined : { map: decodeBlobMap(bytes, manifest, path), bytes };
  } catch {
    return undefined;
  }
}

export function writeCachedMap(cache: string, digest: Digest, bytes: Uint8Array): void {
  writeFileAtomic(mapCachePath(cache, digest), bytes, { tmpDir: join(cache, 'tmp') });
}

/**
 * Every blob the cache holds and where — or, given `wanted`, those of its
 * blobs the cache holds (what a transaction asks: each pack's index is then
 * searched rather than read whole, see findInCachePacks): the packs' own
 * indexes (checked as they are read; a damaged pack is dropped, its blobs
 * fetched again), then the single blob files not in any pack.
 */
export function cachedBlobs(cache: string, wanted?: ReadonlySet<Digest>): Map<Digest, CachedBlob> {
  const out = wanted ? findInCachePacks(join(cache, 'packs'), wanted) : readCachePacks(join(cache, 'packs'));
  const blobs = join(cache, 'blobs');
  let dirs: string[] = [];
  try {
    dirs = readdirSync(blobs);
  } catch {
    return out;
  }
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(join(blobs, dir));
    } catch {
      continue;
    }
    for (const name of names) {
      const m = /^([0-9a-f]{64})\.zst$/.exec(name);
      if (!m) continue;
      const digest: Digest = `sha256:${m[1]}`;
      if (out.has(digest) || (wanted && !wanted.has(digest))) continue;
      const file = join(blobs, dir, name);
      // Only a regular file is a cached blob (a link is not followed); anything else is fetched again and swept by gc.
      const st = lstatSync(file, { throwIfNoEntry: false });
      if (!st?.isFile()) continue;
      // A single blob is one frame of unknown content size: its manifest's size is checked when it is read.
      out.set(digest, { file, frame: { offset: 0, length: st.size, size: -1 }, offset: 0, size: -1 });
    }
  }
  return out;
}

export interface CacheSweep {
  removedBlobs: number;
  removedManifests: number;
  removedPacks: number;
  bytesFreed: number;
}

/**
 * Deletes every cached blob, manifest and map not needed by the kept sets;
 * a pack goes when it holds no kept blob and is compacted when less than
 * half of it is still needed (cache-packs.ts); and the leftovers of
 * interrupted transactions in tmp/ (the caller holds the image lock). A dry
 * run deletes nothing and counts what would go.
 */
export function sweepCache(cache: string, keepManifests: ReadonlySet<Digest>, keepBlobs: ReadonlySet<Digest>, dryRun = false): CacheSweep {
  const result: CacheSweep = { removedBlobs: 0, removedManifests: 0, removedPacks: 0, bytesFreed: 0 };
  const sweep = (dir: string, keep: ReadonlySet<string>, count: 'removedBlobs' | 'removedManifests' | undefined): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir, { recursive: true }) as string[];
    } catch {
      return;
    }
    for (const rel of entries) {
      const abs = join(dir, rel);
      const st = lstatSync(abs, { throwIfNoEntry: false });
      if (!st || st.isDirectory() || (st.isFile() && keep.has(abs))) continue;
      // What is not a regular file is nothing zpkg wrote (readers refuse it): the entry itself goes, never what a link leads to.
      if (!dryRun) rmSync(abs, { force: true });
      if (!st.isFile()) continue;
      if (count) result[count] += 1;
      result.bytesFreed += st.size;
    }
  };
  sweep(join(cache, 'blobs'), new Set([...keepBlobs].map((d) => blobCachePath(cache, d))), 'removedBlobs');
  sweep(join(cache, 'manifests'), new Set([...keepManifests].map((d) => manifestCachePath(cache, d))), 'removedManifests');
  sweep(join(cache, 'maps'), new Set([...keepManifests].map((d) => mapCachePath(cache, d))), undefined);
  const packs = sweepPacks(join(cache, 'packs'), keepBlobs, dryRun);
  result.removedPacks = packs.removedPacks;
  result.removedBlobs += packs.removedBlobs;
  result.bytesFreed += packs.bytesFreed;
  sweep(join(cache, 'tmp'), new Set(), undefined);
  return result;
}
