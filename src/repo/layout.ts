/**
 * The repository layout (format 3): static files, all content-addressed
 * except `root.json`.
 *
 *   root.json                       signed root metadata: version (only grows), expiry, keys, catalog and file index by digest
 *   keys/<n>.json                   the root metadata that started key generation n (kept so clients can follow rotations)
 *   catalog/<hex>.zst               the catalog (zstd, columnar: repo/catalog-codec.ts), named by the sha256 of its stored bytes
 *   files/<hex>.zst                 the file index (which package delivers which path), for `search --file`
 *   manifests/<hh>/<hex>.zst        package records (record.ts): the manifest and its blob map, zstd; named by the manifest's sha256
 *   deltas/<hh>/<new>-<old>.zst     a record as a delta from an older version's record (what an upgrade fetches)
 *   packs/<hh>/<hex>.pack           packs (pack-format.ts): the blobs of a publish, in zstd frames; named by the sha256 of the file
 *
 * Format 2 kept one file per blob (`blobs/<hh>/<hex>.zst`) and plain manifests
 * (`manifests/<hh>/<hex>.json`); `zpkg repo upgrade` converts it (upgrade.ts).
 *
 * Publishing writes content-addressed files first and renames `root.json` last,
 * so a reader never sees a half-published repository.
 */
import { digestHex, type Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';

export const ROOT_FILE = 'root.json';
export const REPO_FORMAT = 3;

/** A location without root metadata, given to a command that needs a repository. */
export function notARepository(location: string): ZpkgError {
  return new ZpkgError('E_REPO_INVALID', `${location} is not a zpkg repository (no ${ROOT_FILE})`, { hint: `create one with \`zpkg repo create ${location}\`` });
}

/**
 * Every name a repository directory holds at its top: the layout above, the
 * publisher's lock and scratch folder, and format 2's `blobs/` (until `repo
 * upgrade`). What lives beside a repository (a site) must not use them.
 */
export const REPOSITORY_ENTRIES: ReadonlySet<string> = new Set([ROOT_FILE, 'keys', 'catalog', 'files', 'manifests', 'deltas', 'packs', 'blobs', '.zpkg-lock', '.zpkg-tmp']);

/** The root metadata that started key generation `n`. */
export function rotationPath(n: number): string {
  return `keys/${n}.json`;
}

export function catalogPath(digest: Digest): string {
  return `catalog/${digestHex(digest)}.zst`;
}

export function fileIndexPath(digest: Digest): string {
  return `files/${digestHex(digest)}.zst`;
}

/** The package record of a manifest (record.ts). */
export function recordPath(digest: Digest): string {
  const hex = digestHex(digest);
  return `manifests/${hex.slice(0, 2)}/${hex}.zst`;
}

/** The record of `to` as a delta from the record of `from`. */
export function deltaPath(to: Digest, from: Digest): string {
  const hex = digestHex(to);
  return `deltas/${hex.slice(0, 2)}/${hex}-${digestHex(from)}.zst`;
}

export function packPath(digest: Digest): string {
  const hex = digestHex(digest);
  return `packs/${hex.slice(0, 2)}/${hex}.pack`;
}

/** Format 2's one file per blob (read by `repo upgrade` only). */
export function legacyBlobPath(digest: Digest): string {
  const hex = digestHex(digest);
  return `blobs/${hex.slice(0, 2)}/${hex}.zst`;
}

/** Format 2's plain manifest (read by `repo upgrade` only). */
export function legacyManifestPath(digest: Digest): string {
  const hex = digestHex(digest);
  return `manifests/${hex.slice(0, 2)}/${hex}.json`;
}

export type RepoPathKind = 'catalog' | 'files' | 'record' | 'delta' | 'pack' | 'legacy-blob' | 'legacy-manifest';

export interface RepoPath {
  kind: RepoPathKind;
  /** What names the file: the sha256 of its bytes (catalog, files, pack, legacy), of its manifest (record), of the record it rebuilds (delta). */
  digest: Digest;
  /** For a delta: the record it is made from. */
  from?: Digest;
}

const PATHS: [RegExp, RepoPathKind][] = [
  [/^catalog\/([0-9a-f]{64})\.zst$/, 'catalog'],
  [/^files\/([0-9a-f]{64})\.zst$/, 'files'],
  [/^manifests\/([0-9a-f]{2})\/([0-9a-f]{64})\.zst$/, 'record'],
  [/^deltas\/([0-9a-f]{2})\/([0-9a-f]{64})-([0-9a-f]{64})\.zst$/, 'delta'],
  [/^packs\/([0-9a-f]{2})\/([0-9a-f]{64})\.pack$/, 'pack'],
  [/^blobs\/([0-9a-f]{2})\/([0-9a-f]{64})\.zst$/, 'legacy-blob'],
  [/^manifests\/([0-9a-f]{2})\/([0-9a-f]{64})\.json$/, 'legacy-manifest'],
];

/** What a content-addressed repository path is, or undefined for any other path (`root.json`, `keys/`, a stray file). */
export function parseRepoPath(path: string): RepoPath | undefined {
  for (const [re, kind] of PATHS) {
    const m = re.exec(path);
    if (!m) continue;
    if (m.length === 2) return { kind, digest: `sha256:${m[1]}` };
    if (!m[2]!.startsWith(m[1]!)) return undefined;
    return kind === 'delta' ? { kind, digest: `sha256:${m[2]}`, from: `sha256:${m[3]}` } : { kind, digest: `sha256:${m[2]}` };
  }
  return undefined;
}

/**
 * True for files that never change once written: they may be resumed and
 * cached forever. Not `root.json`, and not records and deltas: a record is
 * named by its manifest, which never changes, but `repo repack` rewrites its
 * blob map (and the deltas that rebuild it) when it moves the blobs.
 */
export function isImmutablePath(path: string): boolean {
  const kind = parseRepoPath(path)?.kind;
  if (kind === 'record' || kind === 'delta') return false;
  return kind !== undefined || /^keys\/[0-9]+\.json$/.test(path);
}
