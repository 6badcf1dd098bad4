/**
 * Fetch: every blob the landing packages need goes into the image's content
 * cache (`cache/blobs/<hh>/<hex>.zst`) before anything in the image changes.
 * A blob already cached is never fetched again; from a local repository a blob
 * is hard-linked (no bytes copied), else copied. Contents are verified when
 * staged, before any path is replaced; a blob found corrupt there is dropped
 * from the cache.
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { digestHex, type Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import type { Report } from '../report/report.js';
import type { PackageChange } from './types.js';

export function cachedBlobPath(cacheDir: string, digest: Digest): string {
  const hex = digestHex(digest);
  return join(cacheDir, 'blobs', hex.slice(0, 2), `${hex}.zst`);
}

export interface FetchResult {
  blobs: number;
  fetched: number;
  /** Compressed bytes that came from a repository (linked or copied). */
  bytes: number;
}

export function fetchBlobs(cacheDir: string, installs: readonly PackageChange[], report: Report): FetchResult {
  const need = new Map<Digest, { change: PackageChange; path: string }>();
  for (const c of installs) {
    for (const a of c.manifest.actions) if (a.type === 'file' && !need.has(a.digest) && (!c.onlyPaths || c.onlyPaths.has(a.path))) need.set(a.digest, { change: c, path: a.path });
    for (const [phase, h] of Object.entries(c.manifest.hooks ?? {})) if (!need.has(h.digest)) need.set(h.digest, { change: c, path: `hook ${phase}` });
  }
  const result: FetchResult = { blobs: need.size, fetched: 0, bytes: 0 };
  const missing = [...need].filter(([d]) => !existsSync(cachedBlobPath(cacheDir, d)));
  const progress = report.progress('fetch', missing.length);
  const dirs = new Set<string>();
  for (const [digest, { change, path }] of missing) {
    const source = change.blobSource(digest);
    const target = cachedBlobPath(cacheDir, digest);
    const dir = dirname(target);
    if (!dirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      dirs.add(dir);
    }
    let size: number;
    try {
      size = statSync(source).size;
    } catch {
      throw new ZpkgError('E_BLOB_MISSING', `blob ${digest} for \`${path}\` (${change.name}) is missing from the repository`, { hint: 'nothing was changed; check the repository with `zpkg repo verify`' });
    }
    try {
      linkSync(source, target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code !== 'EXDEV' && code !== 'EPERM') throw err;
      // Across filesystems: copied, then renamed into place so the cache never holds a partial blob under its name.
      const part = join(cacheDir, 'tmp', `${digestHex(digest)}.part`);
      mkdirSync(dirname(part), { recursive: true });
      try {
        copyFileSync(source, part);
      } catch (copyErr) {
        rmSync(part, { force: true });
        if ((copyErr as NodeJS.ErrnoException).code === 'ENOSPC') {
          throw new ZpkgError('E_NO_SPACE', `no space left on the image's filesystem for the content cache (fetching ${path} of ${change.name}); nothing was changed`, {
            hint: 'free some space (`zpkg gc` trims the content cache) and run the command again',
          });
        }
        throw copyErr;
      }
      renameSync(part, target);
    }
    result.fetched += 1;
    result.bytes += size;
    progress.tick(1, size);
  }
  progress.done(`${result.fetched} of ${result.blobs} blobs fetched (${(result.bytes / 1e6).toFixed(1)} MB), the rest cached`);
  return result;
}
