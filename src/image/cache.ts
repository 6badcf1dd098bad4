/**
 * The image's content cache (`var/lib/zpkg/cache/`): bytes fetched from
 * repositories that update, fix, rollback and verify need again, all
 * content-addressed so a cached entry is checked against its name on read.
 *
 *   blobs/<hh>/<hex>.zst     a blob as the repository stores it (compressed)
 *   manifests/<hex>.json     a manifest's canonical bytes
 *   tmp/                     entries being written (swept under the image lock)
 *
 * This module owns the layout; nothing else joins paths under `cache/`.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { digestHex, type Digest } from '../core/digest.js';
import { decodeManifest, type Manifest } from '../core/manifest.js';
import { writeFileAtomic } from '../fs/atomic.js';

export function blobCachePath(cache: string, digest: Digest): string {
  const hex = digestHex(digest);
  return join(cache, 'blobs', hex.slice(0, 2), `${hex}.zst`);
}

export function manifestCachePath(cache: string, digest: Digest): string {
  return join(cache, 'manifests', `${digestHex(digest)}.json`);
}

/** Where an entry is written before it is renamed to its name: the cache never holds a partial entry under its name. */
export function cacheTempPath(cache: string, name: string): string {
  return join(cache, 'tmp', name);
}

/** A manifest from the cache, verified against its digest; undefined when not cached; throws when the cached bytes are damaged. */
export function readCachedManifest(cache: string, digest: Digest): Manifest | undefined {
  const path = manifestCachePath(cache, digest);
  if (!existsSync(path)) return undefined;
  return decodeManifest(readFileSync(path), digest);
}

/** The cached manifest, or undefined when it is missing or damaged (callers that can do without it). */
export function cachedManifestOrNone(cache: string, digest: Digest): Manifest | undefined {
  try {
    return readCachedManifest(cache, digest);
  } catch {
    return undefined;
  }
}

/** Keeps a manifest's verified bytes (the caller decoded them against their digest). */
export function writeCachedManifest(cache: string, digest: Digest, bytes: Uint8Array): void {
  writeFileAtomic(manifestCachePath(cache, digest), bytes, { tmpDir: join(cache, 'tmp') });
}

export interface CacheSweep {
  removedBlobs: number;
  removedManifests: number;
  bytesFreed: number;
}

/** Deletes every cached blob and manifest not in the kept sets. */
export function sweepCache(cache: string, keepManifests: ReadonlySet<Digest>, keepBlobs: ReadonlySet<Digest>): CacheSweep {
  const result: CacheSweep = { removedBlobs: 0, removedManifests: 0, bytesFreed: 0 };
  const sweep = (dir: string, keep: ReadonlySet<string>, count: 'removedBlobs' | 'removedManifests'): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir, { recursive: true }) as string[];
    } catch {
      return;
    }
    for (const rel of entries) {
      const abs = join(dir, rel);
      const st = statSync(abs);
      if (!st.isFile() || keep.has(abs)) continue;
      rmSync(abs, { force: true });
      result[count] += 1;
      result.bytesFreed += st.size;
    }
  };
  sweep(join(cache, 'blobs'), new Set([...keepBlobs].map((d) => blobCachePath(cache, d))), 'removedBlobs');
  sweep(join(cache, 'manifests'), new Set([...keepManifests].map((d) => manifestCachePath(cache, d))), 'removedManifests');
  return result;
}
