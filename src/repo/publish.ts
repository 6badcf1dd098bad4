/**
 * Publishing packages into a repository: blobs that are missing are compressed
 * and written, then manifests, then a new catalog and root metadata. A package
 * is immutable once published: the same name and version with other content is
 * refused unless `replace` is asked for.
 */
import { open } from 'node:fs/promises';
import { entryKey, type CatalogEntry } from '../core/catalog.js';
import { digestOf, type Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { isPathAction, type Manifest } from '../core/manifest.js';
import type { RepoWriter } from './backend.js';
import { entryFromManifest } from './catalog-codec.js';
import { compress } from './compress.js';
import { blobPath, manifestPath } from './layout.js';
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
  manifest: Digest;
  status: 'added' | 'replaced' | 'unchanged';
}

export interface PublishResult {
  packages: PublishOutcome[];
  blobsWritten: number;
  blobsReused: number;
  bytesWritten: number;
  repoVersion: number;
}

export interface PublishOptions {
  replace?: boolean;
  level?: number;
  /** The repository's signing keys; required (and checked before anything is written) when it is signed. */
  signer?: Signer;
  onBlob?: (bytes: number) => void;
}

async function readSource(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

export async function publishPackages(writer: RepoWriter, pkgs: readonly BuiltPackage[], options: PublishOptions = {}): Promise<PublishResult> {
  const release = await writer.lock();
  try {
    const snap = await readSnapshot(writer);
    const draft = prepareRoot(writer.location, snap.root, options.signer);
    const byKey = new Map(snap.entries.map((e) => [entryKey(e), e]));
    const outcomes: PublishOutcome[] = [];
    let blobsWritten = 0;
    let blobsReused = 0;
    let bytesWritten = 0;
    for (const pkg of pkgs) {
      const key = entryKey(pkg.manifest);
      const existing = byKey.get(key);
      if (existing && existing.manifest === pkg.digest) {
        outcomes.push({ name: pkg.manifest.name, version: pkg.manifest.version, manifest: pkg.digest, status: 'unchanged' });
        continue;
      }
      if (existing && !options.replace) {
        throw new ZpkgError('E_PACKAGE_EXISTS', `${pkg.manifest.name} ${pkg.manifest.version} is already published in ${writer.location} with other content`, {
          hint: 'published packages are immutable: raise the version (e.g. a new revision `-2`), or pass --replace',
        });
      }
      let compressedSize = 0;
      for (const [digest, source] of pkg.blobs) {
        const path = blobPath(digest);
        const have = await writer.size(path);
        if (have !== undefined) {
          blobsReused += 1;
          compressedSize += have;
          continue;
        }
        const content = await readSource(source);
        const actual = digestOf(content);
        if (actual !== digest) {
          throw new ZpkgError('E_DIGEST_MISMATCH', `${source} changed while publishing ${pkg.manifest.name}: it now hashes to ${actual}, not ${digest}`);
        }
        const stored = compress(content, options.level);
        await writer.write(path, stored);
        blobsWritten += 1;
        bytesWritten += stored.length;
        compressedSize += stored.length;
        options.onBlob?.(content.length);
      }
      await writer.write(manifestPath(pkg.digest), pkg.bytes);
      bytesWritten += pkg.bytes.length;
      const installedSize = pkg.manifest.actions.reduce((n, a) => n + (a.type === 'file' ? a.size : 0), 0);
      const entry: CatalogEntry = entryFromManifest(pkg.manifest, pkg.digest, compressedSize + pkg.bytes.length, installedSize);
      byKey.set(key, entry);
      snap.files.set(key, pkg.manifest.actions.filter(isPathAction).filter((a) => a.type !== 'dir').map((a) => a.path));
      outcomes.push({ name: pkg.manifest.name, version: pkg.manifest.version, manifest: pkg.digest, status: existing ? 'replaced' : 'added' });
    }
    let version = snap.root.version;
    if (outcomes.some((o) => o.status !== 'unchanged')) {
      version = (await commitSnapshot(writer, draft, [...byKey.values()], snap.files)).version;
    }
    return { packages: outcomes, blobsWritten, blobsReused, bytesWritten, repoVersion: version };
  } finally {
    release();
  }
}
