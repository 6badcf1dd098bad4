/**
 * Fetch: every blob the landing packages need is made local before anything
 * in the image changes, and a blob the content cache holds is never fetched
 * again, so an update costs what changed. The blobs a package lacks are
 * found through its blob map (the record of its version), grouped by the
 * repository pack that holds them and fetched pack by pack (fetch-pack.ts):
 * a local repository's pack is hard-linked, a remote one's frames come in
 * few range requests — a fresh install of a package is one request.
 *
 * What fetch makes local waits under the cache's tmp/: staging reads every
 * blob from there, checks it against its digest, and only then are those
 * packs renamed into the cache (`ContentPlan.promote`). Hooks are the
 * exception — they run before staging — so each hook blob is checked here
 * and kept as a single cached blob.
 *
 * Asked to overlap, fetch returns once the downloads have begun: the plan
 * already says where every blob will lie, and staging takes each frame as
 * its bytes arrive (`ContentPlan.arriving`, arrivals.ts).
 */
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, openSync, rmSync } from 'node:fs';
import type { Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { blobCachePath, cachedBlobs, packCachePath, type CachedBlob } from '../image/cache.js';
import type { Image } from '../image/image.js';
import type { RepoReader } from '../repo/backend.js';
import { placesOf, type BlobPlace } from '../repo/content.js';
import { compress } from '../repo/compress.js';
import { fileSource, FrameDecoder, FrameError } from '../repo/frame-decoder.js';
import { writeFileAtomic } from '../fs/atomic.js';
import type { Report } from '../report/report.js';
import { Arrivals } from './arrivals.js';
import { localPack, type FrameWanted, type LocalPack } from './fetch-pack.js';
import { blobMissing } from './failures.js';
import { blobMapOf } from './manifests.js';
import type { ContentPlan, PreparedPackage } from './types.js';
import { join } from 'node:path';
import { counted, formatBytes } from '../report/table.js';

/** Packs fetched at once (over one keep-alive pool per repository). */
export const FETCH_PARALLELISM = 8;


export interface FetchResult {
  /** Blobs the landing packages need. */
  blobs: number;
  /** Of those, the ones not in the cache (fetched, or that a dry run would fetch). */
  fetched: number;
  /** Compressed bytes that came from a repository (linked or downloaded), blob maps of cached manifests included. */
  bytes: number;
  /** What staging reads (absent in a dry run). */
  content?: ContentPlan;
}

interface Need {
  digest: Digest;
  size: number;
  change: PreparedPackage;
  path: string;
  hook: boolean;
}

/**
 * Every blob the packages need: their files (for a repair, only the paths it rewrites;
 * never a file an upgrade leaves in place) and their hooks (not for a repair: no hook runs).
 */
function blobsNeeded(packages: readonly PreparedPackage[], inPlace: ReadonlySet<string>): Need[] {
  const need = new Map<Digest, Need>();
  for (const c of packages) {
    for (const a of c.manifest.actions) {
      if (a.type === 'file' && !need.has(a.digest) && !inPlace.has(a.path) && (!c.repair || c.repair.paths.has(a.path))) need.set(a.digest, { digest: a.digest, size: a.size, change: c, path: a.path, hook: false });
    }
    if (c.repair) continue;
    for (const [phase, h] of Object.entries(c.manifest.hooks ?? {})) {
      const n = need.get(h.digest);
      if (n) n.hook = true;
      else need.set(h.digest, { digest: h.digest, size: h.size, change: c, path: `hook ${phase}`, hook: true });
    }
  }
  return [...need.values()];
}

/** A cached single blob's frame holds exactly the blob: its size comes from the manifest. */
function sized(c: CachedBlob, size: number): CachedBlob {
  return c.size >= 0 ? c : { file: c.file, frame: { ...c.frame, size }, offset: 0, size };
}

/** What fetching would do: blobs needed and not cached. Reads nothing from a repository. */
export function blobsToFetch(cache: string, packages: readonly PreparedPackage[], inPlace: ReadonlySet<string> = new Set()): FetchResult {
  const need = blobsNeeded(packages, inPlace);
  if (need.length === 0) return { blobs: 0, fetched: 0, bytes: 0 };
  const cached = cachedBlobs(cache, new Set(need.map((n) => n.digest)));
  return { blobs: need.length, fetched: need.filter((n) => !cached.has(n.digest)).length, bytes: 0 };
}

interface PackGroup {
  reader: RepoReader;
  place: BlobPlace;
  frames: Map<number, FrameWanted>;
  needs: Need[];
}

function mapsDisagree(reader: RepoReader, pack: Digest, why: string): ZpkgError {
  return new ZpkgError('E_REPO_INVALID', `${reader.location}: the blob maps of this transaction disagree about pack ${pack}: ${why}`, { hint: 'the repository is damaged; nothing was changed' });
}

/** The frames of each pack the missing blobs lie in, with every blob the maps place in them. */
async function groupByPack(missing: Need[], loadMap: (c: PreparedPackage) => Promise<Map<Digest, BlobPlace>>): Promise<PackGroup[]> {
  const groups = new Map<string, PackGroup>();
  const byChange = new Map<PreparedPackage, Need[]>();
  for (const n of missing) {
    const list = byChange.get(n.change);
    if (list) list.push(n);
    else byChange.set(n.change, [n]);
  }
  // Keyed by objects and numbers, not by strings made per blob: a package of 300,000 files made 1.2 million of them.
  const groupOf = (reader: RepoReader, place: BlobPlace): PackGroup => {
    const key = `${reader.location}\0${place.pack.digest}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { reader, place, frames: new Map(), needs: [] }));
    return g;
  };
  for (const [change, needs] of byChange) {
    const places = await loadMap(change);
    const reader = change.blobReader();
    const ofPack = new Map<string, PackGroup>();
    const inPack = (place: BlobPlace): PackGroup => {
      let g = ofPack.get(place.pack.digest);
      if (!g) ofPack.set(place.pack.digest, (g = groupOf(reader, place)));
      return g;
    };
    const wantedFrames = new Map<PackGroup, Set<number>>();
    for (const n of needs) {
      const place = places.get(n.digest);
      if (!place) throw blobMissing(n.digest, n.path, change.name);
      const g = inPack(place);
      if (g.place.pack.size !== place.pack.size) throw mapsDisagree(reader, place.pack.digest, `its size is ${g.place.pack.size} or ${place.pack.size}`);
      g.needs.push(n);
      let wanted = wantedFrames.get(g);
      if (!wanted) wantedFrames.set(g, (wanted = new Set()));
      wanted.add(place.frame.offset);
    }
    // Every blob the map places in a fetched frame is indexed in the local pack (the frame is fetched anyway).
    for (const [digest, place] of places) {
      const g = ofPack.get(place.pack.digest);
      if (!g || !wantedFrames.get(g)!.has(place.frame.offset)) continue;
      let f = g.frames.get(place.frame.offset);
      if (!f) g.frames.set(place.frame.offset, (f = { frame: place.frame, blobs: new Map() }));
      if (f.frame.length !== place.frame.length || f.frame.size !== place.frame.size) throw mapsDisagree(reader, place.pack.digest, `the frame at ${place.frame.offset}`);
      f.blobs.set(digest, { offset: place.offset, size: place.size });
    }
  }
  for (const g of groups.values()) {
    const frames = [...g.frames.values()].sort((a, b) => a.frame.offset - b.frame.offset);
    for (let i = 1; i < frames.length; i++) {
      if (frames[i]!.frame.offset < frames[i - 1]!.frame.offset + frames[i - 1]!.frame.length) throw mapsDisagree(g.reader, g.place.pack.digest, `frames overlap at ${frames[i]!.frame.offset}`);
    }
  }
  return [...groups.values()];
}

/** Hooks run before staging: each is taken from its frame, checked, and kept as a single cached blob. */
function keepHooks(cache: string, needs: readonly Need[], sources: Map<Digest, CachedBlob>): void {
  const decoder = new FrameDecoder();
  for (const n of needs) {
    // A regular file there is a hook kept earlier (checked when stored); anything else is replaced.
    if (!n.hook || lstatSync(blobCachePath(cache, n.digest), { throwIfNoEntry: false })?.isFile()) continue;
    const src = sources.get(n.digest)!;
    const content = Buffer.alloc(n.size);
    let at = 0;
    const fd = openSync(src.file, 'r');
    try {
      decoder.split(fileSource(fd), src.frame, [{ offset: src.offset, size: n.size }], { start: () => undefined, data: (_b, piece) => void (at += piece.copy(content, at)), end: () => undefined });
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      rmSync(src.file, { force: true });
      throw new ZpkgError('E_DIGEST_MISMATCH', `the ${n.path} of ${n.change.name}: its blob ${n.digest} does not decode: ${err.message}`, { details: { digest: n.digest } });
    } finally {
      closeSync(fd);
    }
    const actual = `sha256:${createHash('sha256').update(content).digest('hex')}`;
    if (actual !== n.digest) {
      rmSync(src.file, { force: true });
      throw new ZpkgError('E_DIGEST_MISMATCH', `the ${n.path} of ${n.change.name}: its blob ${n.digest} is corrupt: it hashes to ${actual}`, { hint: 'nothing was changed; the repository is damaged', details: { digest: n.digest } });
    }
    writeFileAtomic(blobCachePath(cache, n.digest), compress(content), { tmpDir: join(cache, 'tmp') });
  }
}

export interface FetchOptions {
  /** Files an upgrade leaves in place: their blobs are not needed. */
  inPlace?: ReadonlySet<string>;
  /**
   * Return once the downloads have begun (`content.arriving`), for staging to
   * run beside them — unless a hook's blob is among them (hooks run before
   * staging and are checked here).
   */
  overlap?: boolean;
}

export async function fetchBlobs(image: Image, packages: readonly PreparedPackage[], report: Report, options: FetchOptions = {}): Promise<FetchResult> {
  const cache = image.paths.cache;
  const need = blobsNeeded(packages, options.inPlace ?? new Set());
  // The cache's pack indexes are read only when some blob is needed (an install of what is installed needs none).
  const cached = need.length > 0 ? cachedBlobs(cache, new Set(need.map((n) => n.digest))) : new Map<Digest, CachedBlob>();
  const sources = new Map<Digest, CachedBlob>();
  const missing: Need[] = [];
  for (const n of need) {
    const c = cached.get(n.digest);
    if (c) sources.set(n.digest, sized(c, n.size));
    else missing.push(n);
  }
  const content: ContentPlan = { sources, promote: [] };
  const result: FetchResult = { blobs: need.length, fetched: missing.length, bytes: 0, content };
  const progress = report.progress('fetch', missing.length);
  const groups = await groupByPack(missing, async (c) => {
    // A blob map is aligned with the manifest as published, whatever the image's facets leave out.
    const shipped = c.shipped ?? c.manifest;
    if (c.map) return placesOf({ manifest: shipped, map: c.map });
    const got = await blobMapOf(image, c.blobReader, c.digest, shipped, `${c.name} ${c.version}`, true);
    result.bytes += got.bytes;
    return placesOf({ manifest: shipped, map: got.map });
  });
  // Every pack's local file and layout are known before a byte is downloaded, so the plan is complete now.
  const downloads: { file: string; blobs: number; download: NonNullable<LocalPack['download']> }[] = [];
  for (const g of groups) {
    const local = localPack(cache, g.reader, g.place.pack, [...g.frames.values()]);
    result.bytes += local.bytes;
    const frameOf = new Map<Digest, FrameWanted>();
    for (const f of g.frames.values()) for (const d of f.blobs.keys()) frameOf.set(d, f);
    for (const n of g.needs) {
      const f = frameOf.get(n.digest)!;
      const b = f.blobs.get(n.digest)!;
      sources.set(n.digest, { file: local.file, frame: local.frames.get(f.frame.offset)!, offset: b.offset, size: b.size });
    }
    content.promote.push({ from: local.file, to: packCachePath(cache, local.cacheName) });
    if (local.download) downloads.push({ file: local.file, blobs: g.needs.length, download: local.download });
    else progress.tick(g.needs.length, 0);
  }
  const summary = (): string =>
    result.fetched === 0 ? `all ${counted(result.blobs, 'blob')} cached` : `${result.fetched} of ${counted(result.blobs, 'blob')} fetched, ${formatBytes(result.bytes)}${result.fetched < result.blobs ? '; the rest cached' : ''}`;
  // Hooks are kept as single blobs before anything downloads when every hook's blob is cached, else after.
  const hookArriving = missing.some((n) => n.hook);
  if (!hookArriving) keepHooks(cache, need, sources);
  const arrivals = new Arrivals(downloads.map((d) => d.file));
  arrivals.run(
    downloads.map((d) => async () => {
      const bytes = await d.download((n) => progress.tick(0, n), (length) => arrivals.wrote(d.file, length), arrivals.signal);
      arrivals.bytes += bytes;
      arrivals.finished(d.file);
      progress.tick(d.blobs, 0);
    }),
    FETCH_PARALLELISM,
  );
  if (options.overlap && downloads.length > 0 && !hookArriving) {
    content.arriving = arrivals;
    void arrivals.done.then((failure) => {
      result.bytes += arrivals.bytes;
      progress.done(failure ? 'stopped' : summary());
    });
    return result;
  }
  const failure = await arrivals.done;
  if (failure) throw failure;
  result.bytes += arrivals.bytes;
  if (hookArriving) keepHooks(cache, need, sources);
  progress.done(summary());
  return result;
}
