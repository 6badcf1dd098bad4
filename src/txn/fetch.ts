/**
 * Fetch: every blob the landing packages need goes into the image's content
 * cache before anything in the image changes. A blob already cached is never
 * fetched again. From a backend with local files (a directory) a blob is
 * hard-linked (no bytes copied), else copied, and verified when staged. From
 * any other backend (http, s3, an archive) it is downloaded into the cache's
 * temporary directory — several at once, resumed where an interrupted attempt
 * left it — verified against its digest, and only then renamed to its cache
 * name: the cache never holds a partial or wrong blob.
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { digestHex, type Digest } from '../core/digest.js';
import { blobCachePath, cacheTempPath } from '../image/cache.js';
import type { RepoReader } from '../repo/backend.js';
import { checkStoredBlob } from '../repo/blob-check.js';
import { blobPath } from '../repo/layout.js';
import type { Report } from '../report/report.js';
import { forEachLimited } from './concurrency.js';
import { blobMissing, noSpace } from './failures.js';
import type { PreparedPackage } from './types.js';

/** Downloads in flight at once (over one keep-alive pool per repository). */
export const FETCH_PARALLELISM = 8;

export interface FetchResult {
  /** Blobs the landing packages need. */
  blobs: number;
  /** Of those, the ones not in the cache (fetched, or that a dry run would fetch). */
  fetched: number;
  /** Compressed bytes that came from a repository (linked, copied or downloaded). */
  bytes: number;
}

interface Need {
  digest: Digest;
  change: PreparedPackage;
  path: string;
}

/** Every blob the packages need: their files (for a repair, only the paths it rewrites) and their hooks (not for a repair: no hook runs). */
function blobsNeeded(packages: readonly PreparedPackage[]): Need[] {
  const need = new Map<Digest, Need>();
  for (const c of packages) {
    for (const a of c.manifest.actions) {
      if (a.type === 'file' && !need.has(a.digest) && (!c.repair || c.repair.paths.has(a.path))) need.set(a.digest, { digest: a.digest, change: c, path: a.path });
    }
    if (c.repair) continue;
    for (const [phase, h] of Object.entries(c.manifest.hooks ?? {})) if (!need.has(h.digest)) need.set(h.digest, { digest: h.digest, change: c, path: `hook ${phase}` });
  }
  return [...need.values()];
}

function noSpaceFetching(n: Need): Error {
  return noSpace(`for the content cache (fetching ${n.path} of ${n.change.name})`);
}

/** Links (or copies) a blob from a local repository file; returns its size. */
function linkLocal(cache: string, source: string, target: string, n: Need): number {
  let size: number;
  try {
    size = statSync(source).size;
  } catch {
    throw blobMissing(n.digest, n.path, n.change.name);
  }
  try {
    linkSync(source, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return size;
    if (code !== 'EXDEV' && code !== 'EPERM') throw err;
    // Across filesystems: copied, then renamed into place so the cache never holds a partial blob under its name.
    const part = cacheTempPath(cache, `${digestHex(n.digest)}.part`);
    mkdirSync(dirname(part), { recursive: true });
    try {
      copyFileSync(source, part);
    } catch (copyErr) {
      rmSync(part, { force: true });
      if ((copyErr as NodeJS.ErrnoException).code === 'ENOSPC') throw noSpaceFetching(n);
      throw copyErr;
    }
    renameSync(part, target);
  }
  return size;
}

async function download(reader: RepoReader, cache: string, target: string, n: Need, onBytes: (bytes: number) => void): Promise<number> {
  const part = cacheTempPath(cache, `${digestHex(n.digest)}.part`);
  mkdirSync(dirname(part), { recursive: true });
  let size: number | undefined;
  try {
    size = await reader.download(blobPath(n.digest), part, { onBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC') {
      rmSync(part, { force: true });
      throw noSpaceFetching(n);
    }
    throw err;
  }
  if (size === undefined) {
    rmSync(part, { force: true });
    throw blobMissing(n.digest, n.path, n.change.name);
  }
  try {
    checkStoredBlob(readFileSync(part), n.digest, `${reader.location} (${n.change.name}: ${n.path})`);
  } catch (err) {
    rmSync(part, { force: true });
    throw err;
  }
  renameSync(part, target);
  return size;
}

/** What fetching would do: blobs needed and not cached. Reads nothing from a repository. */
export function blobsToFetch(cache: string, packages: readonly PreparedPackage[]): FetchResult {
  const need = blobsNeeded(packages);
  return { blobs: need.length, fetched: need.filter((n) => !existsSync(blobCachePath(cache, n.digest))).length, bytes: 0 };
}

export async function fetchBlobs(cache: string, packages: readonly PreparedPackage[], report: Report): Promise<FetchResult> {
  const need = blobsNeeded(packages);
  const result: FetchResult = { blobs: need.length, fetched: 0, bytes: 0 };
  const missing = need.filter((n) => !existsSync(blobCachePath(cache, n.digest)));
  const progress = report.progress('fetch', missing.length);
  const dirs = new Set<string>();
  const remote: Need[] = [];
  for (const n of missing) {
    const target = blobCachePath(cache, n.digest);
    const dir = dirname(target);
    if (!dirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      dirs.add(dir);
    }
    const local = n.change.blobReader().localPath(blobPath(n.digest));
    if (local === undefined) {
      remote.push(n);
      continue;
    }
    const size = linkLocal(cache, local, target, n);
    result.fetched += 1;
    result.bytes += size;
    progress.tick(1, size);
  }
  await forEachLimited(remote, FETCH_PARALLELISM, async (n) => {
    const size = await download(n.change.blobReader(), cache, blobCachePath(cache, n.digest), n, (bytes) => progress.tick(0, bytes));
    result.fetched += 1;
    result.bytes += size;
    progress.tick(1, 0);
  });
  progress.done(`${result.fetched} of ${result.blobs} blobs fetched (${(result.bytes / 1e6).toFixed(1)} MB), the rest cached`);
  return result;
}
