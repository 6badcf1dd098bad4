/**
 * `repo repack`: gathers the frames the catalog still reaches out of packs
 * that have become sparse or scattered into one new pack, so that
 *
 * - the bytes of versions `repo remove` dropped are freed: `repo gc` keeps a
 *   pack whole while any record uses one frame of it;
 * - a fresh install stays a request or two: each publish packs only what it
 *   changed, so after twenty updates a version's blobs lie in twenty packs.
 *
 * Which packs go (`planRepack`): with `all`, every pack a record uses; else a
 * pack less than half of whose frame bytes hold blobs some record uses, and
 * every pack of a package version whose blobs lie in more than MAX_SPAN
 * packs, and packs that hold a blob the records also find in another (what a
 * repack killed halfway leaves). A frame every blob of which some record uses is moved as stored,
 * not recompressed, checked against its blobs' digests as it is read
 * (frame-transfer.ts); one that also holds blobs no record uses gives its
 * live blobs, each checked, to new frames; one no record uses is left
 * behind. Every blob is checked before anything but the new pack is
 * written: a corrupt one stops the repack with the repository unchanged. The new
 * pack holds each package's frames together, package by package in name
 * order, newest version first — so a package's newest version is one span.
 *
 * The order of writes keeps every reader whole, under the publish lock:
 *
 * 1. the new pack, then a sync — no record names it yet;
 * 2. the records of the package versions whose blobs moved, rewritten with
 *    new blob maps (the manifest, and so the catalog, is unchanged: a map is
 *    a hint), and the deltas that rebuild them made again from their bases as
 *    they now are (dropped when a base is gone: a delta left as it was would
 *    rebuild the old map) — a record read now finds the old packs or the new
 *    one, both there. An image that holds a base from before the repack
 *    cannot apply the new delta, and fetches the whole record once;
 * 3. a sync, and a new catalog (its fetch sizes) and root metadata, signed;
 * 4. then the packs it replaced are deleted.
 *
 * Killed anywhere, the repository is readable; what a killed run wrote is
 * garbage for `repo gc` or is taken up by the next repack. A client that read
 * a record before the switch and fetches after step 4 finds a pack missing
 * (as after any `repo gc`); one whose cached blob map names a deleted pack
 * reads the record again (txn/manifests.ts).
 */
import { rmSync } from 'node:fs';
import { entryKey, type CatalogEntry } from '../core/catalog.js';
import type { Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { compareVersions } from '../core/version.js';
import { crashPoint } from '../fs/crash-point.js';
import type { RepoReader, RepoWriter } from './backend.js';
import { buildBlobMap, encodeBlobMap, type PackRef } from './blob-map.js';
import { withSize } from './catalog-codec.js';
import { placesOf, readFrameBlobs, readPackIndex, readRecord, readRecordBytes, type BlobPlace } from './content.js';
import type { FrameBlobCheck } from './frame-check.js';
import { FrameGrouper, type Grouped } from './frame-group.js';
import { transferFrames, type FrameToMove } from './frame-transfer.js';
import { packPath, parseRepoPath, recordPath } from './layout.js';
import type { PackIndex } from './pack-format.js';
import { PackWriter } from './pack-writer.js';
import { fetchSize, scratchFor } from './publish.js';
import { compressRecord, encodeDelta, encodeRecord, type PackageRecord } from './record.js';
import { commitSnapshot, readSnapshot } from './snapshot.js';
import { prepareRoot, type Signer } from './trust/sign.js';

/** A package version whose blobs lie in more packs than this is gathered (a fresh install's requests, as the data path aims). */
export const MAX_SPAN = 3;
/** A pack whose live blobs take less than this share of its frame bytes is gathered. */
export const SPARSE = 0.5;

export interface RepackOptions {
  /** Gather every pack a record uses, not only sparse and scattered ones. */
  all?: boolean;
  /** Plan only: write nothing. */
  dryRun?: boolean;
  signer?: Signer;
  onBlob?: (bytes: number) => void;
}

export interface PackUse {
  digest: Digest;
  size: number;
  /** Stored bytes of its frames, and of those what the blobs some record uses take (a frame's share by their content). */
  frameBytes: number;
  liveBytes: number;
  /** Why it is gathered, if it is: `all`, `sparse`, `scattered`, `duplicate` (it holds a blob some record finds in another pack). */
  reason?: 'all' | 'sparse' | 'scattered' | 'duplicate';
}

export interface RepackResult {
  location: string;
  /** Package versions with records, and how many records were rewritten. */
  packages: number;
  records: number;
  deltas: { written: number; removed: number };
  /** Every pack a record used before; the ones gathered. */
  packs: PackUse[];
  gathered: number;
  /** Bytes of the packs records use, before and after. */
  bytesBefore: number;
  bytesAfter: number;
  /** The most packs one package version's blobs lay in, before and after. */
  spanBefore: number;
  spanAfter: number;
  frames: number;
  blobs: number;
  pack?: { digest: Digest; size: number };
  /**
   * The pack made is the one pack gathered, byte for byte (`--all` on a
   * repository repacked already): nothing was written, no new version made.
   */
  unchanged: boolean;
  /** Packs deleted after the switch. */
  removed: number;
  repoVersion: number;
  dryRun: boolean;
  /** What makes a pack gathered: a version in more than `span` packs, a pack whose live share is below `sparse`. */
  limits: { span: number; sparse: number };
}

export interface Live {
  entry: CatalogEntry;
  record: PackageRecord;
  places: Map<Digest, BlobPlace>;
}

const frameKey = (pack: Digest, offset: number): string => `${pack}@${offset}`;

/** Name order, then arch, then newest version first: the order frames are gathered in. */
function gatherOrder(a: Live, b: Live): number {
  const x = a.entry;
  const y = b.entry;
  if (x.name !== y.name) return x.name < y.name ? -1 : 1;
  if (x.arch !== y.arch) return x.arch < y.arch ? -1 : 1;
  return compareVersions(y.version, x.version);
}

/** How many packs a version's blobs lie in: the range requests a fresh install of it makes. */
function spanOf(places: Map<Digest, BlobPlace>): number {
  return new Set([...places.values()].map((p) => p.pack.digest)).size;
}

/** The most packs one version lies in (a reduce: a catalog of 100,000 versions would overflow a spread's arguments). */
export function widestSpan(live: readonly Live[]): number {
  return live.reduce((n, l) => Math.max(n, spanOf(l.places)), 0);
}

/** Every blob a live record finds in each frame, by frame: what the frame's entry in a new pack indexes. */
function liveByFrame(live: readonly Live[]): Map<string, Map<Digest, FrameBlobCheck>> {
  const out = new Map<string, Map<Digest, FrameBlobCheck>>();
  for (const l of live) {
    for (const [digest, p] of l.places) {
      const key = frameKey(p.pack.digest, p.frame.offset);
      let m = out.get(key);
      if (!m) out.set(key, (m = new Map()));
      m.set(digest, { digest, offset: p.offset, size: p.size });
    }
  }
  return out;
}

const contentOf = (blobs: Iterable<FrameBlobCheck>): number => [...blobs].reduce((n, b) => n + b.size, 0);

/** Which packs to gather, from what the live records use of each. */
export function planRepack(live: readonly Live[], indexes: ReadonlyMap<Digest, { ref: PackRef; index: PackIndex }>, all: boolean, frames = liveByFrame(live)): PackUse[] {
  const uses = new Map<Digest, PackUse>();
  for (const { ref, index } of indexes.values()) {
    const u: PackUse = { digest: ref.digest, size: ref.size, frameBytes: 0, liveBytes: 0 };
    for (const f of index.frames) {
      u.frameBytes += f.length;
      const used = frames.get(frameKey(ref.digest, f.offset));
      if (used && f.size > 0) u.liveBytes += Math.round((f.length * Math.min(f.size, contentOf(used.values()))) / f.size);
    }
    if (all) u.reason = 'all';
    else if (u.liveBytes < SPARSE * u.frameBytes) u.reason = 'sparse';
    uses.set(ref.digest, u);
  }
  if (!all) {
    const holders = new Map<Digest, Set<Digest>>();
    for (const l of live) {
      for (const [digest, p] of l.places) {
        let h = holders.get(digest);
        if (!h) holders.set(digest, (h = new Set()));
        h.add(p.pack.digest);
      }
      if (spanOf(l.places) <= MAX_SPAN) continue;
      for (const p of l.places.values()) uses.get(p.pack.digest)!.reason ??= 'scattered';
    }
    // A blob the records find in two packs (a repack killed halfway, a copy): both are gathered, and it is stored once.
    for (const h of holders.values()) if (h.size > 1) for (const pack of h) uses.get(pack)!.reason ??= 'duplicate';
  }
  return [...uses.values()];
}

/** The record of every package version the catalog names (each once), checked, in the order frames are gathered in. */
export async function readLive(reader: RepoReader, entries: readonly CatalogEntry[]): Promise<Live[]> {
  const live: Live[] = [];
  const seen = new Set<Digest>();
  for (const entry of entries) {
    if (!entry.manifest || seen.has(entry.manifest)) continue;
    seen.add(entry.manifest);
    const record = await readRecord(reader, entry.manifest, `${entry.name} ${entry.version}`);
    live.push({ entry, record, places: placesOf(record) });
  }
  return live.sort(gatherOrder);
}

/** The index of every pack the records use. */
export async function readIndexes(reader: RepoReader, live: readonly Live[]): Promise<Map<Digest, { ref: PackRef; index: PackIndex }>> {
  const indexes = new Map<Digest, { ref: PackRef; index: PackIndex }>();
  for (const l of live) {
    for (const p of l.places.values()) if (!indexes.has(p.pack.digest)) indexes.set(p.pack.digest, { ref: p.pack, index: await readPackIndex(reader, p.pack) });
  }
  return indexes;
}

export async function repackRepo(writer: RepoWriter, options: RepackOptions = {}): Promise<RepackResult> {
  const release = await writer.lock();
  try {
    const snap = await readSnapshot(writer);
    // The keys are checked before anything is written: a publisher without them changes nothing.
    const draft = options.dryRun ? undefined : prepareRoot(writer.location, snap.root, options.signer);
    const live = await readLive(writer, snap.entries);
    const indexes = await readIndexes(writer, live);
    const frameBlobs = liveByFrame(live);
    const packs = planRepack(live, indexes, options.all === true, frameBlobs);
    const gathered = new Set(packs.filter((p) => p.reason).map((p) => p.digest));
    const bytesBefore = packs.reduce((n, p) => n + p.size, 0);
    const spanBefore = widestSpan(live);
    const result: RepackResult = {
      location: writer.location,
      packages: live.length,
      records: 0,
      deltas: { written: 0, removed: 0 },
      packs,
      gathered: gathered.size,
      bytesBefore,
      bytesAfter: bytesBefore,
      spanBefore,
      spanAfter: spanBefore,
      frames: 0,
      blobs: 0,
      unchanged: false,
      removed: 0,
      repoVersion: snap.root.version,
      dryRun: options.dryRun === true,
      limits: { span: MAX_SPAN, sparse: SPARSE },
    };
    if (gathered.size === 0 || options.dryRun) return result;

    const file = scratchFor(writer);
    const pack = new PackWriter(file);
    const grouper = new FrameGrouper(pack);
    /** Where each blob lies in the new pack; the blobs some frame of it holds or will; the old frames looked at. */
    const placed = new Map<Digest, Grouped>();
    const claimed = new Set<Digest>();
    const done = new Set<string>();
    let finished;
    try {
      for (const l of live) {
        // This version's frames not gathered yet: whole when every blob in them is used and none is gathered from
        // another frame (a blob stored twice, or a killed repack's pack), else their blobs not yet gathered alone.
        const whole = new Map<Digest, { ref: PackRef; frames: FrameToMove[] }>();
        const partial: { place: BlobPlace; blobs: FrameBlobCheck[] }[] = [];
        for (const p of l.places.values()) {
          const key = frameKey(p.pack.digest, p.frame.offset);
          if (!gathered.has(p.pack.digest) || done.has(key)) continue;
          done.add(key);
          const blobs = [...frameBlobs.get(key)!.values()];
          const fresh = blobs.filter((b) => !claimed.has(b.digest));
          for (const b of fresh) claimed.add(b.digest);
          if (fresh.length === 0) continue;
          if (fresh.length < blobs.length || contentOf(blobs) !== p.frame.size) {
            partial.push({ place: p, blobs: fresh });
            continue;
          }
          let g = whole.get(p.pack.digest);
          if (!g) whole.set(p.pack.digest, (g = { ref: p.pack, frames: [] }));
          g.frames.push({ frame: p.frame, blobs });
        }
        for (const g of whole.values()) {
          const numbers = await transferFrames(writer, g.ref, g.frames, pack, options.onBlob);
          for (const f of g.frames) for (const b of f.blobs) placed.set(b.digest, { frame: numbers.get(f.frame.offset)!, offset: b.offset });
        }
        for (const { place, blobs } of partial) {
          // The frame also holds blobs no record uses: its live ones, each checked, go to new frames.
          const contents = await readFrameBlobs(writer, place, blobs, `${l.entry.name} ${l.entry.version}`);
          blobs.forEach((b, i) => {
            grouper.add(b.digest, contents[i]!);
            options.onBlob?.(b.size);
          });
        }
        grouper.flush();
      }
      for (const [digest, at] of grouper.placed) placed.set(digest, at);
      finished = pack.finish();
      result.unchanged = gathered.size === 1 && gathered.has(finished.digest);
      if (!result.unchanged) await writer.writeFile(packPath(finished.digest), file);
    } catch (err) {
      pack.abort();
      // Only the scratch pack was written, and it is gone.
      if (err instanceof ZpkgError && !/nothing was changed/.test(`${err.message} ${err.hint ?? ''}`)) {
        throw new ZpkgError(err.code, err.message, { details: err.details, hint: `nothing was changed${err.hint ? `; ${err.hint}` : '; check the repository with `zpkg repo verify`'}` });
      }
      throw err;
    } finally {
      rmSync(file, { force: true });
    }
    result.frames = finished.index.frames.length;
    result.blobs = finished.index.blobs.length;
    result.pack = { digest: finished.digest, size: finished.size };
    if (result.unchanged) return result;
    const ref: PackRef = result.pack;
    await writer.sync();
    crashPoint('repack-packed');

    const before = new Map<Digest, Buffer>(live.map((l) => [l.entry.manifest!, l.record.raw]));
    const raws = new Map<Digest, Buffer>();
    const stored = new Map<Digest, number>();
    const rewritten = new Set<Digest>();
    const next = new Map<string, CatalogEntry>(snap.entries.map((e) => [entryKey(e), e]));
    const entriesOf = new Map<Digest, CatalogEntry[]>();
    for (const e of snap.entries) if (e.manifest) entriesOf.set(e.manifest, [...(entriesOf.get(e.manifest) ?? []), e]);
    for (const l of live) {
      const digest = l.entry.manifest!;
      const touched = [...l.places.values()].some((p) => gathered.has(p.pack.digest));
      if (!touched) continue;
      const map = buildBlobMap(l.record.manifest, (d) => {
        const at = placed.get(d);
        return at ? { pack: ref, frame: finished.index.frames[at.frame]!, offset: at.offset } : l.places.get(d)!;
      });
      const raw = encodeRecord(l.record.manifestBytes, encodeBlobMap(map));
      const compressed = compressRecord(raw);
      await writer.write(recordPath(digest), compressed);
      raws.set(digest, raw);
      stored.set(digest, compressed.length);
      rewritten.add(digest);
      result.records += 1;
      l.places = placesOf({ manifest: l.record.manifest, map });
      for (const e of entriesOf.get(digest)!) next.set(entryKey(e), withSize(e, fetchSize(map, compressed.length)));
      crashPoint('repack-record');
    }
    // A delta that ends in a rewritten record is made again, from its base as it is now (a depot checks a delta against
    // the base it stores), or dropped when that base is gone. An image that holds the base from before the repack cannot
    // apply it, and fetches the whole record once (txn/manifests.ts); a delta left as it was would rebuild the old map.
    for (const path of await writer.list('deltas/')) {
      const p = parseRepoPath(path);
      if (p?.kind !== 'delta' || !rewritten.has(p.digest)) continue;
      const base = raws.get(p.from!) ?? before.get(p.from!) ?? (await readRecordBytes(writer, p.from!, 'the version a delta starts from').catch(() => undefined));
      const delta = base && encodeDelta(raws.get(p.digest)!, base);
      if (delta && delta.length < stored.get(p.digest)!) {
        await writer.write(path, delta);
        result.deltas.written += 1;
      } else {
        await writer.remove(path);
        result.deltas.removed += 1;
      }
    }
    crashPoint('repack-deltas');
    result.repoVersion = (await commitSnapshot(writer, draft!, [...next.values()], snap.files)).version;
    crashPoint('repack-switched');
    const after = new Map<Digest, number>();
    for (const l of live) for (const p of l.places.values()) after.set(p.pack.digest, p.pack.size);
    for (const digest of gathered) {
      if (after.has(digest)) continue;
      await writer.remove(packPath(digest));
      result.removed += 1;
    }
    result.bytesAfter = [...after.values()].reduce((n, s) => n + s, 0);
    result.spanAfter = widestSpan(live);
    return result;
  } finally {
    await release();
  }
}
