/**
 * `repo copy` (IPS's pkgrecv): packages from one repository into another,
 * transferring only the blobs the destination lacks — their frames, as
 * stored, into one new pack of the destination. Every record and blob is
 * verified against its digest on the way; the destination's records (with
 * blob maps into its own packs), catalog and root metadata are then written
 * by the destination's own publish path, exactly as a publish would.
 */
import { rmSync } from 'node:fs';
import { entryKey, type CatalogEntry } from '../core/catalog.js';
import type { Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import type { RepoReader, RepoWriter } from './backend.js';
import { withSize } from './catalog-codec.js';
import { placesOf, readRecord, repositoryBlobs, type BlobPlace } from './content.js';
import { framesByPack, transferFrames } from './frame-transfer.js';
import { packPath } from './layout.js';
import { PackWriter } from './pack-writer.js';
import { fetchSize, previousVersion, scratchFor, writeRecord } from './publish.js';
import type { PackageRecord } from './record.js';
import { dependencyClosure } from './copy-deps.js';
import { ARCH_ALL } from '../solver/admit.js';
import { commitSnapshot, readSnapshot } from './snapshot.js';
import { prepareRoot, type Signer } from './trust/sign.js';

/** Entries matching `NAME` or `NAME@VERSION` specs (all entries when none); an unknown spec is an error. */
export function selectEntries(entries: readonly CatalogEntry[], specs: readonly string[], location: string): CatalogEntry[] {
  if (specs.length === 0) return [...entries];
  const out = new Set<CatalogEntry>();
  for (const spec of specs) {
    const at = spec.indexOf('@');
    const name = at < 0 ? spec : spec.slice(0, at);
    const version = at < 0 ? undefined : spec.slice(at + 1);
    const hits = entries.filter((e) => e.name === name && (version === undefined || e.version === version));
    if (hits.length === 0) throw new ZpkgError('E_PACKAGE_UNKNOWN', `${location} has no package \`${spec}\``);
    for (const h of hits) out.add(h);
  }
  return [...out];
}

export interface CopyOptions {
  replace?: boolean;
  /** Also copy what the chosen packages need and the destination lacks (copy-deps.ts). */
  withDeps?: boolean;
  /** Keys that sign the destination's new root metadata. */
  signer?: Signer;
  onBlob?: (bytes: number) => void;
}

export interface CopyResult {
  /** `dependency`: not asked for, copied by `withDeps` because an asked-for package needs it. */
  packages: { name: string; version: string; /** Only for a build of one architecture (`all` is left out). */ arch?: string; status: 'added' | 'replaced' | 'unchanged'; dependency?: true }[];
  blobsCopied: number;
  blobsPresent: number;
  bytesCopied: number;
  repoVersion: number;
}

export async function copyPackages(src: RepoReader, dst: RepoWriter, specs: readonly string[], options: CopyOptions = {}): Promise<CopyResult> {
  const from = await readSnapshot(src);
  const chosen = selectEntries(from.entries, specs, src.location);
  const release = await dst.lock();
  try {
    const to = await readSnapshot(dst);
    const needed = options.withDeps ? dependencyClosure(chosen, from.entries, to.entries, { source: src.location, destination: dst.location }) : [];
    chosen.push(...needed);
    const catalogOnly = chosen.find((e) => !e.manifest);
    if (catalogOnly) throw new ZpkgError('E_MANIFEST_MISSING', `${catalogOnly.name} ${catalogOnly.version} in ${src.location} has no manifest (a catalog-only repository): nothing to copy`);
    const byKey = new Map(to.entries.map((e) => [entryKey(e), e]));
    const result: CopyResult = { packages: [], blobsCopied: 0, blobsPresent: 0, bytesCopied: 0, repoVersion: to.root.version };
    const landing: { entry: CatalogEntry; record: PackageRecord; existing: boolean }[] = [];
    for (const entry of chosen) {
      const key = entryKey(entry);
      const existing = byKey.get(key);
      if (existing?.manifest === entry.manifest) {
        result.packages.push({ name: entry.name, version: entry.version, ...archOf(entry), status: 'unchanged' });
        continue;
      }
      if (existing && !options.replace) {
        throw new ZpkgError('E_PACKAGE_EXISTS', `${entry.name} ${entry.version} is already in ${dst.location} with other content`, { hint: 'published packages are immutable; pass --replace to overwrite' });
      }
      landing.push({ entry, record: await readRecord(src, entry.manifest!, `${entry.name} ${entry.version}`), existing: existing !== undefined });
    }
    if (landing.length === 0) return result;
    const known = await repositoryBlobs(dst);
    const missing = new Map<Digest, BlobPlace>();
    for (const { record } of landing) {
      for (const [digest, place] of placesOf(record)) {
        if (known.has(digest) || missing.has(digest)) continue;
        missing.set(digest, place);
      }
    }
    result.blobsPresent = landing.reduce((n, l) => n + placesOf(l.record).size, 0) - missing.size;
    if (missing.size) {
      // The missing blobs' frames, each verified, into one new pack of the destination: nothing is recompressed.
      const file = scratchFor(dst);
      const writer = new PackWriter(file);
      try {
        const newFrames = new Map<Digest, Map<number, number>>();
        for (const [packDigest, group] of framesByPack(missing)) {
          newFrames.set(packDigest, await transferFrames(src, group.pack, [...group.frames.values()], writer, options.onBlob));
        }
        const pack = writer.finish();
        const ref = { digest: pack.digest, size: pack.size };
        for (const [digest, place] of missing) {
          const frame = newFrames.get(place.pack.digest)!.get(place.frame.offset)!;
          known.set(digest, { pack: ref, frame: pack.index.frames[frame]!, offset: place.offset, size: place.size });
        }
        result.blobsCopied = missing.size;
        result.bytesCopied += pack.size;
        await dst.writeFile(packPath(pack.digest), file);
      } catch (err) {
        writer.abort();
        throw err;
      } finally {
        rmSync(file, { force: true });
      }
    }
    for (const { entry, record, existing } of landing) {
      const key = entryKey(entry);
      const prev = previousVersion(byKey.values(), entry.name, entry.version);
      const written = await writeRecord(dst, record.manifest, record.manifestBytes, entry.manifest!, (d) => known.get(d)!, prev?.manifest);
      result.bytesCopied += written.bytes;
      byKey.set(key, withSize(entry, fetchSize(written.map, written.record)));
      to.files.set(key, from.files.get(key) ?? []);
      result.packages.push({ name: entry.name, version: entry.version, ...archOf(entry), status: existing ? 'replaced' : 'added', ...(needed.includes(entry) ? { dependency: true as const } : {}) });
    }
    result.repoVersion = (await commitSnapshot(dst, prepareRoot(dst.location, to.root, options.signer), [...byKey.values()], to.files)).version;
    return result;
  } finally {
    await release();
  }
}

/** A build of one architecture names it: the amd64 and arm64 builds of one version are two packages copied. */
function archOf(entry: { arch: string }): { arch?: string } {
  return entry.arch === ARCH_ALL ? {} : { arch: entry.arch };
}
