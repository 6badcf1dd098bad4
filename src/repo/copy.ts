/**
 * `repo copy` (IPS's pkgrecv): packages from one repository into another,
 * transferring only the blobs the destination lacks. Every manifest and blob
 * is verified against its digest on the way; the destination's catalog and
 * root metadata are then committed by the destination's own publish path
 * (commitSnapshot), exactly as a publish would.
 */
import { entryKey, type CatalogEntry } from '../core/catalog.js';
import type { Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { decodeManifest, type Manifest } from '../core/manifest.js';
import type { RepoReader, RepoWriter } from './backend.js';
import { checkStoredBlob } from './blob-check.js';
import { blobPath, manifestPath } from './layout.js';
import { commitSnapshot, readSnapshot, readVerified } from './snapshot.js';
import { prepareRoot, type Signer } from './trust/sign.js';

/** The blobs a manifest needs: file contents and hooks. */
export function manifestBlobs(manifest: Manifest): Digest[] {
  const out = new Set<Digest>();
  for (const a of manifest.actions) if (a.type === 'file') out.add(a.digest);
  for (const h of Object.values(manifest.hooks ?? {})) out.add(h.digest);
  return [...out];
}

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
  /** Keys that sign the destination's new root metadata. */
  signer?: Signer;
  onBlob?: (bytes: number) => void;
}

export interface CopyResult {
  packages: { name: string; version: string; status: 'added' | 'replaced' | 'unchanged' }[];
  blobsCopied: number;
  blobsPresent: number;
  bytesCopied: number;
  repoVersion: number;
}

export async function copyPackages(src: RepoReader, dst: RepoWriter, specs: readonly string[], options: CopyOptions = {}): Promise<CopyResult> {
  const from = await readSnapshot(src);
  const chosen = selectEntries(from.entries, specs, src.location);
  const catalogOnly = chosen.find((e) => !e.manifest);
  if (catalogOnly) throw new ZpkgError('E_MANIFEST_MISSING', `${catalogOnly.name} ${catalogOnly.version} in ${src.location} has no manifest (a catalog-only repository): nothing to copy`);
  const release = await dst.lock();
  try {
    const to = await readSnapshot(dst);
    const byKey = new Map(to.entries.map((e) => [entryKey(e), e]));
    const result: CopyResult = { packages: [], blobsCopied: 0, blobsPresent: 0, bytesCopied: 0, repoVersion: to.root.version };
    const seen = new Set<Digest>();
    for (const entry of chosen) {
      const key = entryKey(entry);
      const existing = byKey.get(key);
      if (existing?.manifest === entry.manifest) {
        result.packages.push({ name: entry.name, version: entry.version, status: 'unchanged' });
        continue;
      }
      if (existing && !options.replace) {
        throw new ZpkgError('E_PACKAGE_EXISTS', `${entry.name} ${entry.version} is already in ${dst.location} with other content`, { hint: 'published packages are immutable; pass --replace to overwrite' });
      }
      const bytes = await readVerified(src, manifestPath(entry.manifest!), entry.manifest!, 'manifest');
      const manifest = decodeManifest(bytes, entry.manifest);
      for (const digest of manifestBlobs(manifest)) {
        if (seen.has(digest)) continue;
        seen.add(digest);
        const path = blobPath(digest);
        if ((await dst.size(path)) !== undefined) {
          result.blobsPresent += 1;
          continue;
        }
        const stored = await src.read(path);
        if (!stored) throw new ZpkgError('E_BLOB_MISSING', `${src.location}: blob ${digest} of ${entry.name} ${entry.version} is missing`);
        checkStoredBlob(stored, digest, src.location);
        await dst.write(path, stored);
        result.blobsCopied += 1;
        result.bytesCopied += stored.length;
        options.onBlob?.(stored.length);
      }
      await dst.write(manifestPath(entry.manifest!), bytes);
      result.bytesCopied += bytes.length;
      byKey.set(key, entry);
      to.files.set(key, from.files.get(key) ?? []);
      result.packages.push({ name: entry.name, version: entry.version, status: existing ? 'replaced' : 'added' });
    }
    if (result.packages.some((p) => p.status !== 'unchanged')) {
      result.repoVersion = (await commitSnapshot(dst, prepareRoot(dst.location, to.root, options.signer), [...byKey.values()], to.files)).version;
    }
    return result;
  } finally {
    release();
  }
}
