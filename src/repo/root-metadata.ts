/**
 * Root metadata (`root.json`): the one mutable file of a repository, and the
 * one a client trusts by signature. It is an envelope
 *
 *   {"signed": {…}, "signatures": [{"keyid", "sig"}]}
 *
 * where each signature is ed25519 over the canonical JSON of `signed`
 * (core/canonical-json.ts). `signed` names the catalog and file index by digest
 * (so everything else chains to it), carries a version that grows with every
 * publish, an expiry time, the repository's id, and the keys allowed to sign the
 * next root metadata with how many of them must (`threshold`). `keyGeneration`
 * counts key-set changes; the root that started generation N is kept as
 * `keys/N.json` so a client that trusted generation N-1 can follow the chain.
 * An unsigned repository has no keys, threshold 0 and no signatures.
 */
import { canonicalJson } from '../core/canonical-json.js';
import { isDigest, type Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { REPO_FORMAT } from './layout.js';
import { isKeyId, keyIdOfEntry, type KeyId, type PublicKeyEntry } from './trust/keys.js';

export const ROOT_TYPE = 'zpkg-root';

export interface ContentRef {
  digest: Digest;
  size: number;
}

export interface RootMetadata {
  type: typeof ROOT_TYPE;
  format: number;
  /** Random id given at `repo create`: a root signed for another repository is refused. */
  repository: string;
  version: number;
  created: string;
  /** ISO time after which clients refuse it; absent only on unsigned repositories. */
  expires?: string;
  catalog: ContentRef & { packages: number };
  files?: ContentRef;
  keys: Record<KeyId, PublicKeyEntry>;
  threshold: number;
  keyGeneration: number;
}

export interface RootSignature {
  keyid: KeyId;
  sig: string;
}

export interface SignedRoot {
  signed: RootMetadata;
  signatures: RootSignature[];
  /** The bytes the signatures cover: canonical JSON of `signed`. */
  canonical: Buffer;
}

export function canonicalRootBytes(signed: RootMetadata): Buffer {
  return Buffer.from(canonicalJson(signed));
}

export function encodeSignedRoot(root: Omit<SignedRoot, 'canonical'>): Buffer {
  return Buffer.from(`${JSON.stringify({ signed: root.signed, signatures: root.signatures }, null, 2)}\n`);
}

/** Formats whose root metadata parses: the current one, and format 2 so `repo upgrade` and key rotation records made before it can be read. */
const READABLE_FORMATS = [2, REPO_FORMAT];

function newerFormat(location: string, format: number): ZpkgError {
  return new ZpkgError('E_REPO_FORMAT', `${location} is a format ${format} repository, newer than this zpkg reads (format ${REPO_FORMAT})`, { hint: 'upgrade zpkg' });
}

/** Refuses root metadata of a repository in another format than this zpkg reads and writes. */
export function requireCurrentFormat(root: RootMetadata, location: string): void {
  if (root.format === REPO_FORMAT) return;
  if (root.format > REPO_FORMAT) throw newerFormat(location, root.format);
  throw new ZpkgError('E_REPO_FORMAT', `${location} is a format ${root.format} repository (one file per blob); this zpkg reads format ${REPO_FORMAT} (packs)`, {
    hint: `its publisher converts it in place with \`zpkg repo upgrade ${location}\``,
  });
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isTime = (x: unknown): x is string => typeof x === 'string' && !Number.isNaN(Date.parse(x));

/** Parses and checks the shape of root.json; signatures are checked by trust/, not here. */
export function parseSignedRoot(bytes: Buffer, location: string): SignedRoot {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ZpkgError('E_REPO_INVALID', `${location}: root.json is not valid JSON: ${(err as Error).message}`);
  }
  const bad = (why: string): never => {
    throw new ZpkgError('E_REPO_INVALID', `${location}: root.json is invalid: ${why}`);
  };
  if (!isObject(raw)) return bad('not an object');
  if (!isObject(raw.signed) || !Array.isArray(raw.signatures)) {
    return bad('it must be {"signed": {…}, "signatures": […]} (a repository written before signing existed: create it again)');
  }
  const r = raw.signed;
  if (r.type !== ROOT_TYPE) bad(`type must be \`${ROOT_TYPE}\``);
  if (typeof r.format !== 'number' || !READABLE_FORMATS.includes(r.format)) {
    if (typeof r.format === 'number' && r.format > REPO_FORMAT) throw newerFormat(location, r.format);
    bad(`format ${String(r.format)} is not supported (this zpkg reads ${REPO_FORMAT})`);
  }
  if (typeof r.repository !== 'string' || !/^[0-9a-f]{32}$/.test(r.repository)) bad('repository must be a 32-hex-digit id');
  if (!isCount(r.version)) bad('version must be a non-negative integer');
  if (!isTime(r.created)) bad('created must be a timestamp');
  if (r.expires !== undefined && !isTime(r.expires)) bad('expires must be a timestamp');
  const catalog = r.catalog as Record<string, unknown> | undefined;
  if (!isObject(catalog) || !isDigest(catalog.digest) || !isCount(catalog.size) || !isCount(catalog.packages)) bad('catalog must be {digest, size, packages}');
  const files = r.files as Record<string, unknown> | undefined;
  if (files !== undefined && (!isObject(files) || !isDigest(files.digest) || !isCount(files.size))) bad('files must be {digest, size}');
  if (!isObject(r.keys)) return bad('keys must be an object of key id → key');
  for (const [id, entry] of Object.entries(r.keys)) {
    if (!isKeyId(id)) bad(`key id \`${id}\` is not 64 hex digits`);
    if (!isObject(entry) || entry.type !== 'ed25519' || typeof entry.public !== 'string') bad(`key ${id} must be {type: "ed25519", public}`);
    if (keyIdOfEntry(entry as unknown as PublicKeyEntry) !== id) bad(`key ${id} is listed under an id that is not its fingerprint`);
  }
  const keyCount = Object.keys(r.keys).length;
  if (!isCount(r.threshold) || (r.threshold as number) > keyCount || ((r.threshold as number) === 0) !== (keyCount === 0)) {
    bad(`threshold ${String(r.threshold)} must be between 1 and the number of keys (${keyCount}), or 0 without keys`);
  }
  if (keyCount > 0 && r.expires === undefined) bad('a signed repository must say when its root metadata expires');
  if (!isCount(r.keyGeneration) || (r.keyGeneration as number) < 1) bad('keyGeneration must be a positive integer');
  const signatures: RootSignature[] = [];
  for (const s of raw.signatures) {
    if (!isObject(s) || typeof s.keyid !== 'string' || typeof s.sig !== 'string') bad('each signature must be {keyid, sig}');
    signatures.push({ keyid: (s as { keyid: string }).keyid, sig: (s as { sig: string }).sig });
  }
  const signed = r as unknown as RootMetadata;
  let canonical: Buffer;
  try {
    canonical = canonicalRootBytes(signed);
  } catch (err) {
    return bad((err as Error).message);
  }
  return { signed, signatures, canonical };
}

export function parseRootMetadata(bytes: Buffer, location: string): RootMetadata {
  return parseSignedRoot(bytes, location).signed;
}
