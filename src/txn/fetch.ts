/**
 * Fetch: every blob the landing packages need goes into the image's content
 * cache (`cache/blobs/<hh>/<hex>.zst`) before anything in the image changes.
 * A blob already cached is never fetched again. From a backend with local
 * files (a directory) a blob is hard-linked (no bytes copied), else copied,
 * and verified when staged. From any other backend (http, s3, an archive) it
 * is downloaded into `cache/tmp/<hex>.part` — several at once, resumed where
 * an interrupted attempt left it — verified against its digest, and only then
 * renamed to its cache name: the cache never holds a partial or wrong blob.
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { digestHex, type Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import type { RepoReader } from '../repo/backend.js';
import { checkStoredBlob } from '../repo/blob-check.js';
import { blobPath } from '../repo/layout.js';
import type { Report } from '../report/report.js';
import type { PackageChange } from './types.js';

/** Downloads in flight at once (over one keep-alive pool per repository). */
export const FETCH_PARALLELISM = 8;

export function cachedBlobPath(cacheDir: string, digest: Digest): string {
  const hex = digestHex(digest);
  return join(cacheDir, 'blobs', hex.slice(0, 2), `${hex}.zst`);
}

export interface FetchResult {
  blobs: number;
  fetched: number;
  /** Compressed bytes that came from a repository (linked, copied or downloaded). */
  bytes: number;
}

function missingBlob(digest: Digest, path: string, change: PackageChange): ZpkgError {
  return new ZpkgError('E_BLOB_MISSING', `blob ${digest} for \`${path}\` (${change.name}) is missing from the repository`, { hint: 'nothing was changed; check the repository with `zpkg repo verify`' });
}

function noSpace(path: string, change: PackageChange): ZpkgError {
  return new ZpkgError('E_NO_SPACE', `no space left on the image's filesystem for the content cache (fetching ${path} of ${change.name}); nothing was changed`, {
    hint: 'free some space (`zpkg gc` trims the content cache) and run the command again',
  });
}

/** Links (or copies) a blob from a local repository file; returns its size. */
function linkLocal(cacheDir: string, source: string, target: string, digest: Digest, path: string, change: PackageChange): number {
  let size: number;
  try {
    size = statSync(source).size;
  } catch {
    throw missingBlob(digest, path, change);
  }
  try {
    linkSync(source, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return size;
    if (code !== 'EXDEV' && code !== 'EPERM') throw err;
    // Across filesystems: copied, then renamed into place so the cache never holds a partial blob under its name.
    const part = join(cacheDir, 'tmp', `${digestHex(digest)}.part`);
    mkdirSync(dirname(part), { recursive: true });
    try {
      copyFileSync(source, part);
    } catch (copyErr) {
      rmSync(part, { force: true });
      if ((copyErr as NodeJS.ErrnoException).code === 'ENOSPC') throw noSpace(path, change);
      throw copyErr;
    }
    renameSync(part, target);
  }
  return size;
}

async function download(reader: RepoReader, cacheDir: string, target: string, digest: Digest, path: string, change: PackageChange, onBytes: (n: number) => void): Promise<number> {
  const part = join(cacheDir, 'tmp', `${digestHex(digest)}.part`);
  mkdirSync(dirname(part), { recursive: true });
  let size: number | undefined;
  try {
    size = await reader.download(blobPath(digest), part, { onBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC') {
      rmSync(part, { force: true });
      throw noSpace(path, change);
    }
    throw err;
  }
  if (size === undefined) {
    rmSync(part, { force: true });
    throw missingBlob(digest, path, change);
  }
  try {
    checkStoredBlob(readFileSync(part), digest, `${reader.location} (${change.name}: ${path})`);
  } catch (err) {
    rmSync(part, { force: true });
    throw err;
  }
  renameSync(part, target);
  return size;
}

export async function fetchBlobs(cacheDir: string, installs: readonly PackageChange[], report: Report): Promise<FetchResult> {
  const need = new Map<Digest, { change: PackageChange; path: string }>();
  for (const c of installs) {
    for (const a of c.manifest.actions) if (a.type === 'file' && !need.has(a.digest) && (!c.onlyPaths || c.onlyPaths.has(a.path))) need.set(a.digest, { change: c, path: a.path });
    for (const [phase, h] of Object.entries(c.manifest.hooks ?? {})) if (!need.has(h.digest)) need.set(h.digest, { change: c, path: `hook ${phase}` });
  }
  const result: FetchResult = { blobs: need.size, fetched: 0, bytes: 0 };
  const missing = [...need].filter(([d]) => !existsSync(cachedBlobPath(cacheDir, d)));
  const progress = report.progress('fetch', missing.length);
  const dirs = new Set<string>();
  const remote: typeof missing = [];
  for (const entry of missing) {
    const [digest, { change, path }] = entry;
    const target = cachedBlobPath(cacheDir, digest);
    const dir = dirname(target);
    if (!dirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      dirs.add(dir);
    }
    const local = change.blobReader().localPath(blobPath(digest));
    if (local === undefined) {
      remote.push(entry);
      continue;
    }
    const size = linkLocal(cacheDir, local, target, digest, path, change);
    result.fetched += 1;
    result.bytes += size;
    progress.tick(1, size);
  }
  // Bounded parallel downloads; the first failure stops the others from starting new ones.
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < remote.length) {
      const [digest, { change, path }] = remote[next++]!;
      try {
        const size = await download(change.blobReader(), cacheDir, cachedBlobPath(cacheDir, digest), digest, path, change, (n) => progress.tick(0, n));
        result.fetched += 1;
        result.bytes += size;
        progress.tick(1, 0);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(FETCH_PARALLELISM, remote.length) }, worker));
  if (failed !== undefined) throw failed;
  progress.done(`${result.fetched} of ${result.blobs} blobs fetched (${(result.bytes / 1e6).toFixed(1)} MB), the rest cached`);
  return result;
}
