/**
 * Publishing packages into a repository: one pack holds every blob of the
 * publish that the repository does not hold yet (a blob already in any pack
 * is never stored again: dedup across packages and versions), each package's
 * frames contiguous; then one record per package (manifest + blob map), a
 * delta from the package's previous version's record, and a new catalog and
 * root metadata. A package is immutable once published: the same name and
 * version with other content is refused unless `replace` is asked for.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { entryKey, type CatalogEntry } from '../core/catalog.js';
import type { Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { isPathAction, type Manifest } from '../core/manifest.js';
import { compareVersions } from '../core/version.js';
import type { RepoWriter } from './backend.js';
import { buildBlobMap, encodeBlobMap, packageBlobs, type BlobMap, type Placement } from './blob-map.js';
import { entryFromManifest } from './catalog-codec.js';
import { readRecordBytes, repositoryBlobs, type BlobPlace } from './content.js';
import { deltaPath, packPath, recordPath } from './layout.js';
import { buildPack, PackBuilder, type BlobFile, type OnBlob } from './pack-build.js';
import { compressRecord, encodeDelta, encodeRecord } from './record.js';
import { commitSnapshot, readSnapshot } from './snapshot.js';
import { prepareRoot, type Signer } from './trust/sign.js';

/** A package ready to publish: its manifest and where each blob's content is. */
export interface BuiltPackage {
  manifest: Manifest;
  bytes: Buffer;
  digest: Digest;
  /** Blob digest → a local file holding the uncompressed content (re-verified when read). */
  blobs: Map<Digest, string>;
}

export interface PublishOutcome {
  name: string;
  version: string;
  arch: string;
  manifest: Digest;
  status: 'added' | 'replaced' | 'unchanged';
  /** How many packs its blobs lie in (what a fresh install asks for): each publish packs only what is new, so this grows with updates until `repo repack`. */
  packs?: number;
}

export interface PublishResult {
  packages: PublishOutcome[];
  blobsWritten: number;
  blobsReused: number;
  bytesWritten: number;
  repoVersion: number;
  /** The pack this publish wrote, if any blob was new. */
  pack?: { digest: Digest; size: number; frames: number };
  /** The pack was the one prepared ahead (PublishOptions.prepared), not made by this publish. */
  packedAhead?: boolean;
}

export interface PublishOptions {
  replace?: boolean;
  level?: number;
  /** The repository's signing keys; required (and checked before anything is written) when it is signed. */
  signer?: Signer;
  onBlob?: OnBlob;
  /**
   * A pack started before publishing (a build run packs each recipe's blobs
   * while it assembles the manifest). Taken when it holds exactly the blobs
   * this publish must write, in the same order; otherwise abandoned and the
   * pack made here. Either way it is finished or deleted before this returns.
   */
  prepared?: PackBuilder;
}

/** The directory inside a directory repository where packs are built (so they are renamed into place); undefined for a remote one. */
export function scratchDirOf(writer: RepoWriter): string | undefined {
  const local = writer.localPath('');
  return local !== undefined ? join(local, '.zpkg-tmp') : undefined;
}

/** Where a publish builds its pack: the repository's scratch directory, else the temporary directory. */
export function scratchFor(writer: RepoWriter): string {
  const dir = scratchDirOf(writer) ?? tmpdir();
  mkdirSync(dir, { recursive: true });
  return join(dir, `pack-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** The record of a package whose blobs lie where `place` says, written with a delta from `previous` when one helps. */
export async function writeRecord(writer: RepoWriter, manifest: Manifest, manifestBytes: Buffer, digest: Digest, place: (d: Digest) => Placement, previous?: Digest): Promise<{ record: number; bytes: number; map: BlobMap }> {
  const map = buildBlobMap(manifest, place);
  const raw = encodeRecord(manifestBytes, encodeBlobMap(map));
  const stored = compressRecord(raw);
  await writer.write(recordPath(digest), stored);
  let bytes = stored.length;
  if (previous && previous !== digest) {
    const base = await readRecordBytes(writer, previous, 'the previous version').catch(() => undefined);
    if (base) {
      const delta = encodeDelta(raw, base);
      if (delta.length < stored.length) {
        await writer.write(deltaPath(digest, previous), delta);
        bytes += delta.length;
      }
    }
  }
  return { record: stored.length, bytes, map };
}

/** The newest version of `name` below `version` among `entries`: what an upgrade to it most often starts from. */
export function previousVersion(entries: Iterable<CatalogEntry>, name: string, version: string): CatalogEntry | undefined {
  let best: CatalogEntry | undefined;
  for (const e of entries) {
    if (e.name !== name || !e.manifest || compareVersions(e.version, version) >= 0) continue;
    if (!best || compareVersions(e.version, best.version) > 0) best = e;
  }
  return best;
}

/** Bytes a fresh install of a record fetches: its frames and the record itself. */
export function fetchSize(map: BlobMap, recordBytes: number): number {
  return map.frames.reduce((n, f) => n + f.length, 0) + recordBytes;
}

/** The prepared pack when it holds exactly `fresh`'s blobs (each once; in any order: speculative frames are packed as they are read). */
function takePrepared(prepared: PackBuilder | undefined, fresh: readonly (readonly BlobFile[])[]): PackBuilder | undefined {
  if (!prepared) return undefined;
  const wanted = new Set(fresh.flat().map((b) => b.digest));
  if (wanted.size === 0 || wanted.size !== prepared.added.length) return undefined;
  return prepared.added.every((d) => wanted.has(d)) ? prepared : undefined;
}

export async function publishPackages(writer: RepoWriter, pkgs: readonly BuiltPackage[], options: PublishOptions = {}): Promise<PublishResult> {
  try {
    return await publishLocked(writer, pkgs, options);
  } finally {
    // A prepared pack not taken (or a publish that failed) leaves nothing behind.
    await options.prepared?.abort();
  }
}

async function publishLocked(writer: RepoWriter, pkgs: readonly BuiltPackage[], options: PublishOptions): Promise<PublishResult> {
  const release = await writer.lock();
  try {
    const snap = await readSnapshot(writer);
    const draft = prepareRoot(writer.location, snap.root, options.signer);
    const byKey = new Map(snap.entries.map((e) => [entryKey(e), e]));
    const outcomes: PublishOutcome[] = [];
    const landing: BuiltPackage[] = [];
    for (const pkg of pkgs) {
      const key = entryKey(pkg.manifest);
      const existing = byKey.get(key);
      if (existing && existing.manifest === pkg.digest) {
        outcomes.push({ name: pkg.manifest.name, version: pkg.manifest.version, arch: pkg.manifest.arch, manifest: pkg.digest, status: 'unchanged' });
        continue;
      }
      if (existing && !options.replace) {
        throw new ZpkgError('E_PACKAGE_EXISTS', `${pkg.manifest.name} ${pkg.manifest.version}${pkg.manifest.arch === 'all' ? '' : ` (${pkg.manifest.arch})`} is already published in ${writer.location} with other content`, {
          hint: 'published packages are immutable: raise the version (e.g. a new revision `-2`), or pass --replace',
        });
      }
      landing.push(pkg);
      outcomes.push({ name: pkg.manifest.name, version: pkg.manifest.version, arch: pkg.manifest.arch, manifest: pkg.digest, status: existing ? 'replaced' : 'added' });
    }
    const result: PublishResult = { packages: outcomes, blobsWritten: 0, blobsReused: 0, bytesWritten: 0, repoVersion: snap.root.version };
    if (landing.length === 0) return result;

    const known: Map<Digest, BlobPlace> = await repositoryBlobs(writer);
    const fresh = landing.map((pkg) =>
      packageBlobs(pkg.manifest).flatMap((b): BlobFile[] => {
        if (known.has(b.digest)) {
          result.blobsReused += 1;
          return [];
        }
        const path = pkg.blobs.get(b.digest);
        if (!path) throw new ZpkgError('E_INTERNAL', `${pkg.manifest.name} ${pkg.manifest.version}: no content for blob ${b.digest}`);
        return [{ digest: b.digest, size: b.size, path }];
      }),
    );
    const prepared = takePrepared(options.prepared, fresh);
    if (!prepared) await options.prepared?.abort();
    else if (options.onBlob) prepared.follow(options.onBlob);
    if (fresh.some((f) => f.length)) {
      const file = prepared ? prepared.file : scratchFor(writer);
      try {
        const pack = prepared ? await prepared.finish() : await buildPack(file, fresh, { level: options.level, onBlob: options.onBlob, what: landing.map((p) => `${p.manifest.name} ${p.manifest.version}`).join(', ') });
        result.packedAhead = prepared !== undefined;
        const ref = { digest: pack.digest, size: pack.size };
        for (const [digest, at] of pack.places) {
          known.set(digest, { pack: ref, frame: pack.index.frames[at.frame]!, offset: at.offset, size: 0 });
        }
        result.blobsWritten = pack.places.size;
        result.bytesWritten += pack.size;
        result.pack = { digest: pack.digest, size: pack.size, frames: pack.index.frames.length };
        await writer.writeFile(packPath(pack.digest), file);
      } finally {
        rmSync(file, { force: true });
      }
    }
    for (const pkg of landing) {
      const prev = previousVersion(byKey.values(), pkg.manifest.name, pkg.manifest.version);
      const written = await writeRecord(writer, pkg.manifest, pkg.bytes, pkg.digest, (d) => known.get(d)!, prev?.manifest);
      outcomes.find((o) => o.manifest === pkg.digest)!.packs = written.map.packs.length;
      result.bytesWritten += written.bytes;
      const installedSize = pkg.manifest.actions.reduce((n, a) => n + (a.type === 'file' ? a.size : 0), 0);
      const key = entryKey(pkg.manifest);
      byKey.set(key, entryFromManifest(pkg.manifest, pkg.digest, fetchSize(written.map, written.record), installedSize));
      snap.files.set(key, pkg.manifest.actions.filter(isPathAction).filter((a) => a.type !== 'dir').map((a) => a.path));
    }
    result.repoVersion = (await commitSnapshot(writer, draft, [...byKey.values()], snap.files)).version;
    return result;
  } finally {
    await release();
  }
}
