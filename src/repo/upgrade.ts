/**
 * `repo upgrade`: converts a format 2 repository (one file per blob, plain
 * manifests) into format 3 (packs, records, deltas) in place, under the
 * publish lock:
 *
 * 1. every blob the catalog reaches is read from its format 2 file, checked
 *    against its digest, and written — small blobs of one package grouped
 *    into frames — into one new pack;
 * 2. one record per package (its manifest, checked against the catalog's
 *    digest, and its blob map), and a delta from each version's predecessor;
 * 3. a new catalog and file index, one syncfs, then the new root metadata
 *    (format 3, the next version) signed with the repository's keys and
 *    renamed over `root.json` — the one instant readers switch;
 * 4. then the format 2 files go.
 *
 * Until step 3 every file of the old repository is where it was, so an
 * interruption leaves it readable as before (and running the upgrade again
 * starts over; what the interrupted run wrote is content-addressed garbage for
 * `repo gc`); after it, the new repository is whole, and running the upgrade
 * again only finishes step 4.
 */
import { rmSync } from 'node:fs';
import { entryKey, type CatalogEntry } from '../core/catalog.js';
import { digestOf, type Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { decodeManifest, type Manifest } from '../core/manifest.js';
import { compareVersions } from '../core/version.js';
import { crashPoint } from '../fs/crash-point.js';
import type { RepoWriter } from './backend.js';
import { withSize } from './catalog-codec.js';
import { packageBlobs } from './blob-map.js';
import { decompressBounded } from './compress.js';
import { FrameGrouper } from './frame-group.js';
import { legacyBlobPath, legacyManifestPath, notARepository, packPath, parseRepoPath, REPO_FORMAT, ROOT_FILE } from './layout.js';
import { findBlob } from './pack-format.js';
import { PackWriter } from './pack-writer.js';
import { fetchSize, previousVersion, scratchFor, writeRecord } from './publish.js';
import { MAX_ROOT_BYTES, parseSignedRoot } from './root-metadata.js';
import { commitSnapshot, readCatalog, readFileIndex } from './snapshot.js';
import { prepareRoot, type Signer } from './trust/sign.js';

export interface UpgradeOptions {
  signer?: Signer;
  level?: number;
  onBlob?: (bytes: number) => void;
}

export interface UpgradeResult {
  location: string;
  from: number;
  to: number;
  packages: number;
  blobs: number;
  /** Bytes of the format 2 blob files, and of the pack that replaced them. */
  bytesBefore: number;
  bytesAfter: number;
  removed: number;
  repoVersion: number;
}

async function legacyBlob(writer: RepoWriter, digest: Digest, size: number, what: string): Promise<Buffer> {
  const path = legacyBlobPath(digest);
  const stored = await writer.read(path);
  if (!stored) throw new ZpkgError('E_BLOB_MISSING', `${writer.location}: blob ${digest} (${what}) is missing (${path}); nothing was changed`, { hint: 'repair or remove that package, then run the upgrade again' });
  const content = decompressBounded(stored, size, `${writer.location}: ${path}`);
  const actual = digestOf(content);
  if (actual !== digest || content.length !== size) throw new ZpkgError('E_DIGEST_MISMATCH', `${writer.location}: blob ${digest} (${what}) is corrupt: its content hashes to ${actual}; nothing was changed`, { details: { digest } });
  return content;
}

export async function upgradeRepo(writer: RepoWriter, options: UpgradeOptions = {}): Promise<UpgradeResult> {
  const release = await writer.lock();
  try {
    const bytes = await writer.read(ROOT_FILE, MAX_ROOT_BYTES);
    if (!bytes) throw notARepository(writer.location);
    const old = parseSignedRoot(bytes, writer.location).signed;
    if (old.format === REPO_FORMAT) {
      // Already switched (perhaps by an upgrade interrupted before its clean-up): finish the clean-up.
      return { location: writer.location, from: old.format, to: REPO_FORMAT, packages: old.catalog.packages, blobs: 0, bytesBefore: 0, bytesAfter: 0, removed: await removeLegacy(writer), repoVersion: old.version };
    }
    if (old.format > REPO_FORMAT) throw new ZpkgError('E_REPO_FORMAT', `${writer.location} is a format ${old.format} repository, newer than this zpkg writes`, { hint: 'upgrade zpkg' });
    // The keys are checked before anything is written: a publisher without them changes nothing.
    const draft = prepareRoot(writer.location, old, options.signer);
    const entries = await readCatalog(writer, old);
    const files = await readFileIndex(writer, old);
    const result: UpgradeResult = { location: writer.location, from: old.format, to: REPO_FORMAT, packages: entries.length, blobs: 0, bytesBefore: 0, bytesAfter: 0, removed: 0, repoVersion: old.version };

    const manifests = new Map<Digest, { manifest: Manifest; bytes: Buffer }>();
    for (const e of entries) {
      if (!e.manifest || manifests.has(e.manifest)) continue;
      const path = legacyManifestPath(e.manifest);
      const m = await writer.read(path);
      if (!m) throw new ZpkgError('E_MANIFEST_MISSING', `${writer.location}: the manifest of ${e.name} ${e.version} is missing (${path}); nothing was changed`);
      manifests.set(e.manifest, { manifest: decodeManifest(m, e.manifest), bytes: m });
    }
    // One pack: each package's new blobs in its own frames, small ones grouped.
    const order = [...entries].filter((e) => e.manifest).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : compareVersions(a.version, b.version)));
    const file = scratchFor(writer);
    const pack = new PackWriter(file);
    let finished;
    try {
      const packedSet = new Set<Digest>();
      const grouper = new FrameGrouper(pack, options.level);
      for (const e of order) {
        const { manifest } = manifests.get(e.manifest!)!;
        for (const b of packageBlobs(manifest)) {
          if (packedSet.has(b.digest)) continue;
          packedSet.add(b.digest);
          const content = await legacyBlob(writer, b.digest, b.size, `${e.name} ${e.version}`);
          result.bytesBefore += (await writer.size(legacyBlobPath(b.digest))) ?? 0;
          options.onBlob?.(b.size);
          grouper.add(b.digest, content);
        }
        grouper.flush();
      }
      result.blobs = packedSet.size;
      finished = pack.finish();
      if (packedSet.size) await writer.writeFile(packPath(finished.digest), file);
    } catch (err) {
      pack.abort();
      throw err;
    } finally {
      rmSync(file, { force: true });
    }
    crashPoint('upgrade-packed');
    result.bytesAfter = packed(finished);
    const ref = { digest: finished.digest, size: finished.size };
    const next = new Map<string, CatalogEntry>();
    for (const e of entries) if (!e.manifest) next.set(entryKey(e), e);
    for (const e of order) {
      const { manifest, bytes: manifestBytes } = manifests.get(e.manifest!)!;
      const prev = previousVersion(order, e.name, e.version);
      const written = await writeRecord(writer, manifest, manifestBytes, e.manifest!, (d) => {
        const b = findBlob(finished.index, d)!;
        return { pack: ref, frame: finished.index.frames[b.frame]!, offset: b.offset };
      }, prev?.manifest);
      result.bytesAfter += written.bytes;
      next.set(entryKey(e), withSize(e, fetchSize(written.map, written.record)));
    }
    crashPoint('upgrade-records');
    const root = await commitSnapshot(writer, draft, [...next.values()], files);
    result.repoVersion = root.version;
    crashPoint('upgrade-switched');
    // The switch is done: format 2's files are garbage now.
    result.removed = await removeLegacy(writer);
    return result;
  } finally {
    await release();
  }
}

/** The pack's bytes (none when no blob had to be packed: nothing was written). */
function packed(pack: { size: number; index: { blobs: unknown[] } }): number {
  return pack.index.blobs.length ? pack.size : 0;
}

/** Deletes format 2's blob files and plain manifests; returns how many. */
async function removeLegacy(writer: RepoWriter): Promise<number> {
  let removed = 0;
  for (const prefix of ['blobs/', 'manifests/']) {
    for (const path of await writer.list(prefix)) {
      const kind = parseRepoPath(path)?.kind;
      if (kind !== 'legacy-blob' && kind !== 'legacy-manifest') continue;
      await writer.remove(path);
      removed += 1;
    }
  }
  return removed;
}
