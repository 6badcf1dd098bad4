/**
 * Manifests of packages a transaction lands: from the image cache when there
 * (verified against the digest the catalog or the state names), else fetched
 * from their remote, verified, validated, and kept in the cache because
 * verify, fix and remove need them later.
 */
import type { Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { decodeManifest, type Manifest } from '../core/manifest.js';
import { readCachedManifest, writeCachedManifest } from '../image/cache.js';
import type { Image } from '../image/image.js';
import type { RepoReader } from '../repo/backend.js';
import { manifestPath } from '../repo/layout.js';

export interface FetchedManifest {
  manifest: Manifest;
  /** Bytes that came from the repository (0 when cached). */
  bytes: number;
}

/** `keep: false` (dry runs) reads and verifies but writes nothing into the image. */
export async function fetchManifest(image: Image, reader: () => RepoReader, digest: Digest, what: string, options: { keep: boolean }): Promise<FetchedManifest> {
  try {
    const cached = readCachedManifest(image.paths.cache, digest);
    if (cached) return { manifest: cached, bytes: 0 };
  } catch {
    // A damaged cache entry is fetched again below (and replaced).
  }
  const repo = reader();
  const bytes = await repo.read(manifestPath(digest));
  if (!bytes) {
    throw new ZpkgError('E_MANIFEST_MISSING', `the manifest of ${what} (${digest}) is missing from ${repo.location}`, {
      hint: 'the repository is incomplete; check it with `zpkg repo verify`',
    });
  }
  const manifest = decodeManifest(bytes, digest);
  if (options.keep) writeCachedManifest(image.paths.cache, digest, bytes);
  return { manifest, bytes: bytes.length };
}
