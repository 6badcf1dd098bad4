/**
 * Root metadata (`root.json`): the one mutable file of a repository. It names
 * the catalog and file index by digest and carries a version that grows with
 * every publish, so a client can tell newer from older (issue 7 signs it).
 */
import { isDigest, type Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { REPO_FORMAT } from './layout.js';

export interface ContentRef {
  digest: Digest;
  size: number;
}

export interface RootMetadata {
  format: number;
  version: number;
  created: string;
  catalog: ContentRef & { packages: number };
  files?: ContentRef;
}

export function parseRootMetadata(bytes: Buffer, location: string): RootMetadata {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ZpkgError('E_REPO_INVALID', `${location}: root.json is not valid JSON: ${(err as Error).message}`);
  }
  const r = raw as Partial<RootMetadata>;
  const bad = (why: string): never => {
    throw new ZpkgError('E_REPO_INVALID', `${location}: root.json is invalid: ${why}`);
  };
  if (typeof r !== 'object' || r === null) bad('not an object');
  if (r.format !== REPO_FORMAT) bad(`format ${String(r.format)} is not supported (this zpkg reads ${REPO_FORMAT})`);
  if (!Number.isSafeInteger(r.version) || (r.version as number) < 0) bad('version must be a non-negative integer');
  if (typeof r.created !== 'string') bad('created must be a timestamp');
  if (!r.catalog || !isDigest(r.catalog.digest) || !Number.isSafeInteger(r.catalog.size)) bad('catalog must be {digest, size, packages}');
  if (r.files !== undefined && (!isDigest(r.files.digest) || !Number.isSafeInteger(r.files.size))) bad('files must be {digest, size}');
  return r as RootMetadata;
}
