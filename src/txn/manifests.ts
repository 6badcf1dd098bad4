/**
 * Manifests of packages a transaction touches: fetched from their remote by
 * digest, verified and validated, kept in the image cache
 * (`cache/manifests/<hex>.json`) because verify and remove need them later.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { digestHex, type Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { decodeManifest, type Manifest } from '../core/manifest.js';
import { writeFileAtomic } from '../fs/atomic.js';
import type { Image } from '../image/image.js';
import type { RepoReader } from '../repo/backend.js';
import { manifestPath } from '../repo/layout.js';

function cachePath(image: Image, digest: Digest): string {
  return join(image.paths.cache, 'manifests', `${digestHex(digest)}.json`);
}

/** A manifest from the image cache, verified; undefined when not cached. */
export function cachedManifest(image: Image, digest: Digest): Manifest | undefined {
  const path = cachePath(image, digest);
  if (!existsSync(path)) return undefined;
  return decodeManifest(readFileSync(path), digest);
}

/** A manifest from the cache, else from the repository (`reader` is opened only then); `fetched` counts bytes that came from it. */
export async function fetchManifest(image: Image, reader: RepoReader | (() => RepoReader), digest: Digest, what: string, fetched?: { bytes: number }): Promise<Manifest> {
  const cached = existsSync(cachePath(image, digest)) ? readFileSync(cachePath(image, digest)) : undefined;
  if (cached) {
    try {
      return decodeManifest(cached, digest);
    } catch {
      // A damaged cache entry is fetched again below.
    }
  }
  const repo = typeof reader === 'function' ? reader() : reader;
  const bytes = await repo.read(manifestPath(digest));
  if (!bytes) {
    throw new ZpkgError('E_MANIFEST_MISSING', `the manifest of ${what} (${digest}) is missing from ${repo.location}`, {
      hint: 'the repository is incomplete; check it with `zpkg repo verify`',
    });
  }
  const manifest = decodeManifest(bytes, digest);
  if (fetched) fetched.bytes += bytes.length;
  writeFileAtomic(cachePath(image, digest), bytes, { tmpDir: join(image.paths.cache, 'tmp') });
  return manifest;
}
