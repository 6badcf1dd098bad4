/**
 * The publisher's side of signing: which keys may and must sign the next root
 * metadata, and the signed envelope itself. Checks run before a publish writes
 * anything, so a publish without the repository's key changes nothing.
 *
 * The rule: the next root must be signed by `threshold` of the current root's
 * keys, and — when it changes the key set (create, rotate) — also by
 * `threshold` of its own new keys (as TUF asks, so a key cannot be added
 * without its holder).
 */
import { randomBytes } from 'node:crypto';
import { ZpkgError } from '../../core/errors.js';
import { canonicalRootBytes, encodeSignedRoot, ROOT_TYPE, type RootMetadata } from '../root-metadata.js';
import { REPO_FORMAT } from '../layout.js';
import { signBytes, type KeyId, type PublicKeyEntry, type SigningKey } from './keys.js';

export const DEFAULT_EXPIRY_SECONDS = 30 * 24 * 3600;

export interface Signer {
  keys: SigningKey[];
  /** Keys came from ZPKG_REPO_KEY, not from --key: ignored by unsigned repositories. */
  fromEnvironment?: boolean;
  /** How long the new root metadata stays valid, in seconds. */
  expiresIn?: number;
}

export interface KeySet {
  keys: Record<KeyId, PublicKeyEntry>;
  threshold: number;
}

/** Everything about the next root metadata except its content references. */
export interface RootDraft {
  location: string;
  previous: RootMetadata | undefined;
  repository: string;
  version: number;
  keySet: KeySet;
  keyGeneration: number;
  /** Starts a new key generation: the root is also kept as `keys/<generation>.json`. */
  rotates: boolean;
  signers: SigningKey[];
  expiresIn: number;
}

const short = (id: KeyId): string => id.slice(0, 16);

export function keySetOf(keys: readonly SigningKey[], threshold = 1): KeySet {
  const set: KeySet = { keys: Object.fromEntries(keys.map((k) => [k.id, k.entry])), threshold };
  const count = Object.keys(set.keys).length;
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > count) {
    throw new ZpkgError('E_INPUT_INVALID', `threshold ${threshold} must be between 1 and the number of distinct keys (${count})`);
  }
  return set;
}

/** The key set a new repository gets from its signer's keys (threshold 1), or undefined for an unsigned one. */
export function signingKeySet(signer: Signer | undefined): KeySet | undefined {
  return signer?.keys.length ? keySetOf(signer.keys, 1) : undefined;
}

function sameKeySet(a: KeySet, b: KeySet): boolean {
  const ak = Object.keys(a.keys).sort();
  const bk = Object.keys(b.keys).sort();
  return a.threshold === b.threshold && ak.length === bk.length && ak.every((k, i) => k === bk[i]);
}

function requireSigners(location: string, set: KeySet, given: readonly SigningKey[], what: string): void {
  const have = given.filter((k) => Object.hasOwn(set.keys, k.id)).length;
  if (have >= set.threshold) return;
  const ids = Object.keys(set.keys).map(short).join(', ');
  throw new ZpkgError('E_KEY_REQUIRED', `${location}: ${what} must be signed by ${set.threshold} of its keys (${ids}); ${have === 0 ? 'no' : `only ${have}`} given`, {
    hint: 'pass each private key file with --key FILE, or set ZPKG_REPO_KEY=FILE[:FILE…]',
  });
}

/**
 * Checks that `signer` can sign the next root metadata of a repository whose
 * current root is `previous` (undefined: a new repository), with `next` as the
 * new key set (undefined: unchanged), and returns the draft.
 */
export function prepareRoot(location: string, previous: RootMetadata | undefined, signer: Signer | undefined, next?: KeySet): RootDraft {
  const expiresIn = signer?.expiresIn ?? DEFAULT_EXPIRY_SECONDS;
  if (!Number.isSafeInteger(expiresIn) || expiresIn <= 0) throw new ZpkgError('E_INPUT_INVALID', `expiry ${expiresIn} s must be a positive whole number of seconds`);
  const current: KeySet | undefined = previous ? { keys: previous.keys, threshold: previous.threshold } : undefined;
  const keySet = next ?? current ?? { keys: {}, threshold: 0 };
  const rotates = previous !== undefined && next !== undefined && !sameKeySet(next, current!);
  let given = signer?.keys ?? [];
  const unsigned = keySet.threshold === 0 && (current?.threshold ?? 0) === 0;
  if (unsigned) {
    if (given.length && !signer?.fromEnvironment) {
      throw new ZpkgError('E_UNTRUSTED_KEY', `${location} is an unsigned repository: --key has nothing to sign with`, {
        hint: `make it signed with \`zpkg repo rotate ${location} --new-key KEY\``,
      });
    }
    given = [];
  } else {
    const allowed = new Set([...Object.keys(current?.keys ?? {}), ...Object.keys(keySet.keys)]);
    // Keys from the environment are a default that may hold keys of other repositories: only --key insists.
    if (signer?.fromEnvironment) given = given.filter((k) => allowed.has(k.id));
    const stranger = given.find((k) => !allowed.has(k.id));
    if (stranger) {
      throw new ZpkgError('E_UNTRUSTED_KEY', `${location}: key ${short(stranger.id)} is not one of the repository's keys`, {
        hint: `its keys: ${[...allowed].map(short).join(', ')}; add a key with \`zpkg repo rotate\``,
      });
    }
    if (current && current.threshold > 0) requireSigners(location, current, given, 'its next root metadata');
    if (!current || rotates) requireSigners(location, keySet, given, 'root metadata with a new key set');
  }
  const seen = new Set<KeyId>();
  const signers = given.filter((k) => !seen.has(k.id) && seen.add(k.id));
  return {
    location,
    previous,
    repository: previous?.repository ?? randomBytes(16).toString('hex'),
    version: (previous?.version ?? 0) + 1,
    keySet,
    keyGeneration: (previous?.keyGeneration ?? 0) + (rotates || !previous ? 1 : 0),
    rotates,
    signers,
    expiresIn,
  };
}

/** The root metadata of a draft naming the given content, and its signed envelope. */
export function signRoot(draft: RootDraft, content: Pick<RootMetadata, 'catalog' | 'files'>, now = new Date()): { root: RootMetadata; bytes: Buffer } {
  const root: RootMetadata = {
    type: ROOT_TYPE,
    format: REPO_FORMAT,
    repository: draft.repository,
    version: draft.version,
    created: now.toISOString(),
    ...(draft.keySet.threshold > 0 ? { expires: new Date(now.getTime() + draft.expiresIn * 1000).toISOString() } : {}),
    catalog: content.catalog,
    ...(content.files ? { files: content.files } : {}),
    keys: draft.keySet.keys,
    threshold: draft.keySet.threshold,
    keyGeneration: draft.keyGeneration,
  };
  const canonical = canonicalRootBytes(root);
  const signatures = draft.signers.map((k) => ({ keyid: k.id, sig: signBytes(k, canonical) }));
  return { root, bytes: encodeSignedRoot({ signed: root, signatures }) };
}
