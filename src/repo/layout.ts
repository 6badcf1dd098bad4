/**
 * The repository layout: static files, all content-addressed except `root.json`.
 *
 *   root.json                       signed root metadata: version (only grows), expiry, keys, catalog and file index by digest
 *   keys/<n>.json                   the root metadata that started key generation n (kept so clients can follow rotations)
 *   catalog/<hex>.zst               the catalog (zstd, columnar: repo/catalog-codec.ts), named by the sha256 of its stored bytes
 *   files/<hex>.zst                 the file index (which package delivers which path), for `search --file`
 *   manifests/<hh>/<hex>.json       manifests by the sha256 of their canonical bytes
 *   blobs/<hh>/<hex>.zst            file contents, zstd-compressed, named by the sha256 of the uncompressed content
 *
 * Publishing writes content-addressed files first and renames `root.json` last,
 * so a reader never sees a half-published repository.
 */
import { digestHex, type Digest } from '../core/digest.js';

export const ROOT_FILE = 'root.json';
export const REPO_FORMAT = 2;

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

export function manifestPath(digest: Digest): string {
  const hex = digestHex(digest);
  return `manifests/${hex.slice(0, 2)}/${hex}.json`;
}

export function blobPath(digest: Digest): string {
  const hex = digestHex(digest);
  return `blobs/${hex.slice(0, 2)}/${hex}.zst`;
}

/** The digest a content-addressed path names, or undefined for other paths. */
export function digestFromPath(path: string): Digest | undefined {
  const m = /([0-9a-f]{64})\.(?:zst|json)$/.exec(path);
  return m ? (`sha256:${m[1]}` as Digest) : undefined;
}
