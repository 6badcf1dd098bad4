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
import { own, ownField, v } from '../core/shape.js';
import { REPO_FORMAT } from './layout.js';
import { isKeyId, keyIdOfEntry, type KeyId, type PublicKeyEntry } from './trust/keys.js';
import { shown } from '../core/shown.js';

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

/** Bounds on what one root metadata file may list: far above any real key set, far below what would stall a client. */
export const MAX_ROOT_KEYS = 256;
/** The most bytes root metadata (or a key rotation) may be: 256 keys and 256 signatures take about 64 KiB. */
export const MAX_ROOT_BYTES = 1 << 20;
export const MAX_ROOT_SIGNATURES = 256;

const isTime = (x: unknown): boolean => typeof x === 'string' && !Number.isNaN(Date.parse(x));
const time = (message: string) => v.pipe(v.string(message), v.check((x: string) => isTime(x), message));
const countOr = (message: string) => v.pipe(v.number(message), v.safeInteger(message), v.minValue(0, message));

const KEY_ENTRY = own(v.object({ type: v.literal('ed25519'), public: v.string() }));
const KEYS_MSG = 'keys must be an object of key id → key';

/**
 * The shape of `signed`, field by field in the order they are reported; each
 * message is the one a user sees after `root.json is invalid: `. Fields are the
 * document's own keys only (`own`), and the key set and signature list are
 * bounded before anything walks them.
 */
const SIGNED = own(
  v.object({
    type: v.literal(ROOT_TYPE, `type must be \`${ROOT_TYPE}\``),
    format: v.number('format is not a number'),
    repository: v.pipe(v.string('repository must be a 32-hex-digit id'), v.regex(/^[0-9a-f]{32}$/, 'repository must be a 32-hex-digit id')),
    version: countOr('version must be a non-negative integer'),
    created: time('created must be a timestamp'),
    expires: v.optional(time('expires must be a timestamp')),
    catalog: own(v.object({ digest: v.custom(isDigest, 'catalog must be {digest, size, packages}'), size: countOr('catalog must be {digest, size, packages}'), packages: countOr('catalog must be {digest, size, packages}') }), 'catalog must be {digest, size, packages}'),
    files: v.optional(own(v.object({ digest: v.custom(isDigest, 'files must be {digest, size}'), size: countOr('files must be {digest, size}') }), 'files must be {digest, size}')),
    keys: v.pipe(
      v.custom<Record<string, unknown>>((x) => typeof x === 'object' && x !== null && !Array.isArray(x), KEYS_MSG),
      v.check((x) => Object.keys(x).length <= MAX_ROOT_KEYS, `more than ${MAX_ROOT_KEYS} keys`),
    ),
    threshold: v.unknown(),
    keyGeneration: v.pipe(v.number('keyGeneration must be a positive integer'), v.safeInteger('keyGeneration must be a positive integer'), v.minValue(1, 'keyGeneration must be a positive integer')),
  }),
);

const SIGNATURE_MSG = 'each signature must be {keyid, sig}';
const ENVELOPE_MSG = 'it must be {"signed": {…}, "signatures": […]} (a repository written before signing existed: create it again)';
const ENVELOPE = own(
  v.object({
    signed: v.custom<Record<string, unknown>>((x) => typeof x === 'object' && x !== null && !Array.isArray(x), ENVELOPE_MSG),
    signatures: v.pipe(
      v.array(v.unknown(), ENVELOPE_MSG),
      v.maxLength(MAX_ROOT_SIGNATURES, `more than ${MAX_ROOT_SIGNATURES} signatures`),
      v.array(own(v.object({ keyid: v.string(SIGNATURE_MSG), sig: v.string(SIGNATURE_MSG) }), SIGNATURE_MSG)),
    ),
  }),
  'not an object',
);

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
  const envelope = v.safeParse(ENVELOPE, raw, { abortEarly: true });
  if (!envelope.success) {
    const issue = envelope.issues[0];
    // A missing `signed` or `signatures` is the pre-signing layout, whatever valibot calls it.
    return bad(issue.path?.length === 1 && issue.kind === 'schema' && issue.input === undefined ? ENVELOPE_MSG : issue.message);
  }
  const r = ownField(raw as object, 'signed') as Record<string, unknown>;
  const shape = v.safeParse(SIGNED, r, { abortEarly: true });
  if (!shape.success) {
    const issue = shape.issues[0];
    const field = String(issue.path?.[0]?.key ?? '');
    // Reported under their old wording: a missing or mistyped key set, threshold or format.
    const missing = issue.path?.length === 1 && issue.input === undefined;
    if (field === 'keys' && missing) return bad(KEYS_MSG);
    // Any other absent field is named as such, not in valibot's words ("Invalid key: Expected …").
    if (missing) return bad({ catalog: 'catalog must be {digest, size, packages}', files: 'files must be {digest, size}' }[field] ?? `${field} is missing`);
    if (field === 'format') return bad(`format ${shown(ownField(r, 'format'))} is not supported (this zpkg reads ${REPO_FORMAT})`);
    return bad(issue.message);
  }
  const s = shape.output;
  if (!READABLE_FORMATS.includes(s.format)) {
    if (s.format > REPO_FORMAT) throw newerFormat(location, s.format);
    bad(`format ${String(s.format)} is not supported (this zpkg reads ${REPO_FORMAT})`);
  }
  for (const [id, entry] of Object.entries(s.keys)) {
    if (!isKeyId(id)) bad(`key id \`${id}\` is not 64 hex digits`);
    if (!v.is(KEY_ENTRY, entry)) bad(`key ${id} must be {type: "ed25519", public}`);
    if (keyIdOfEntry(entry as PublicKeyEntry) !== id) bad(`key ${id} is listed under an id that is not its fingerprint`);
  }
  const keyCount = Object.keys(s.keys).length;
  const threshold = s.threshold;
  if (typeof threshold !== 'number' || !Number.isSafeInteger(threshold) || threshold < 0 || threshold > keyCount || (threshold === 0) !== (keyCount === 0)) {
    bad(`threshold ${shown(threshold)} must be between 1 and the number of keys (${keyCount}), or 0 without keys`);
  }
  if (keyCount > 0 && s.expires === undefined) bad('a signed repository must say when its root metadata expires');
  const signatures: RootSignature[] = envelope.output.signatures.map((x) => ({ keyid: x.keyid, sig: x.sig }));
  // The signatures cover the document exactly as published, unknown fields included: `r`, not the checked copy.
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
