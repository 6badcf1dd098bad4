/**
 * The client's side: whether an image accepts root metadata fetched from a
 * remote, given what it trusted and saw before (its TrustState). Accepting
 * yields the next TrustState; refusing throws and changes nothing. Refused:
 * a bad or missing signature, signatures by keys not trusted, too few of them
 * (threshold), a key set that changed without a rotation signed by the keys
 * trusted before, a root of another repository, an older version than one seen
 * (rollback/replay), the same version with other content, and expired
 * metadata (freeze). An insecure remote skips signatures only.
 */
import { digestOf, type Digest } from '../../core/digest.js';
import { ZpkgError } from '../../core/errors.js';
import type { SignedRoot } from '../root-metadata.js';
import type { KeyId, PublicKeyEntry } from './keys.js';
import { requireSignatures } from './verify.js';

export interface TrustState {
  /** Added with --insecure: signatures are not checked (digests still are). */
  insecure: boolean;
  /** Key ids the administrator gave at `remote add`; the first root must be signed by one of them. */
  pinned: KeyId[];
  /** The key set accepted last (null until the first refresh). */
  keys: Record<KeyId, PublicKeyEntry> | null;
  threshold: number;
  keyGeneration: number;
  repository: string | null;
  /** Version and digest of the canonical signed part of the root accepted last. */
  version: number;
  digest: Digest | null;
}

export function initialTrust(pinned: readonly KeyId[], insecure: boolean): TrustState {
  return { insecure, pinned: [...new Set(pinned)], keys: null, threshold: 0, keyGeneration: 0, repository: null, version: 0, digest: null };
}

export interface AcceptInput {
  state: TrustState;
  root: SignedRoot;
  /** Names the remote in messages. */
  what: string;
  now: Date;
  /** The root that started key generation `n` (`keys/<n>.json`), or undefined when missing. */
  rotation(n: number): Promise<SignedRoot | undefined>;
}

function sameKeys(a: Record<KeyId, PublicKeyEntry>, b: Record<KeyId, PublicKeyEntry>): boolean {
  const ak = Object.keys(a).sort();
  const bk = Object.keys(b).sort();
  return ak.length === bk.length && ak.every((k, i) => k === bk[i] && a[k]!.public === b[k]!.public);
}

/** Follows key rotations from the trusted generation to the root's, each signed by the keys trusted before it. */
async function followRotations(input: AcceptInput, keys: Record<KeyId, PublicKeyEntry>, threshold: number): Promise<{ keys: Record<KeyId, PublicKeyEntry>; threshold: number }> {
  const { state, root, what } = input;
  for (let n = state.keyGeneration + 1; n <= root.signed.keyGeneration; n++) {
    const r = await input.rotation(n);
    const label = `${what}: the key rotation to generation ${n} (keys/${n}.json)`;
    if (!r) throw new ZpkgError('E_UNTRUSTED_KEY', `${label} is missing, so the new keys cannot be chained to the trusted ones`);
    if (r.signed.keyGeneration !== n || r.signed.repository !== root.signed.repository || r.signed.version <= state.version || r.signed.version > root.signed.version) {
      throw new ZpkgError('E_ROLLBACK', `${label} does not belong between the root metadata seen (version ${state.version}) and the one fetched (version ${root.signed.version})`);
    }
    requireSignatures(r, keys, threshold, `${label}, checked against the keys trusted before it,`);
    requireSignatures(r, r.signed.keys, r.signed.threshold, `${label}, checked against its own new keys,`);
    keys = r.signed.keys;
    threshold = r.signed.threshold;
  }
  return { keys, threshold };
}

export async function acceptRoot(input: AcceptInput): Promise<TrustState> {
  const { state, root, what } = input;
  const s = root.signed;
  let keys = state.keys;
  let threshold = state.threshold;
  if (!state.insecure) {
    if (keys === null) {
      // First contact: a key the administrator named must have signed it, and it must satisfy its own threshold.
      const pinned = Object.fromEntries(state.pinned.filter((id) => Object.hasOwn(s.keys, id)).map((id) => [id, s.keys[id]!]));
      if (Object.keys(pinned).length === 0) {
        if (root.signatures.length === 0) requireSignatures(root, {}, 1, `${what}: root metadata`);
        throw new ZpkgError('E_UNTRUSTED_KEY', `${what}: none of the keys given at \`remote add\` (${state.pinned.map((k) => k.slice(0, 16)).join(', ')}) is a key of this repository`, {
          hint: `its keys: ${Object.keys(s.keys).map((k) => k.slice(0, 16)).join(', ') || 'none (unsigned)'}`,
        });
      }
      requireSignatures(root, pinned, 1, `${what}: root metadata`);
      requireSignatures(root, s.keys, s.threshold, `${what}: root metadata`);
      keys = s.keys;
      threshold = s.threshold;
    } else {
      if (s.keyGeneration < state.keyGeneration) {
        throw new ZpkgError('E_ROLLBACK', `${what}: root metadata of key generation ${s.keyGeneration} is older than generation ${state.keyGeneration} already trusted`);
      }
      ({ keys, threshold } = await followRotations(input, keys, threshold));
      requireSignatures(root, keys, threshold, `${what}: root metadata`);
      if (!sameKeys(s.keys, keys) || s.threshold !== threshold) {
        throw new ZpkgError('E_UNTRUSTED_KEY', `${what}: root metadata changes the repository's keys without a rotation signed by the keys trusted before`);
      }
    }
  }
  if (state.repository !== null && s.repository !== state.repository) {
    throw new ZpkgError('E_REPO_MISMATCH', `${what}: root metadata belongs to another repository (${s.repository}, not ${state.repository})`);
  }
  const digest = digestOf(root.canonical);
  if (s.version < state.version) {
    throw new ZpkgError('E_ROLLBACK', `${what}: root metadata version ${s.version} is older than version ${state.version} already seen (a replay or rollback)`);
  }
  if (s.version === state.version && state.digest !== null && digest !== state.digest) {
    throw new ZpkgError('E_ROLLBACK', `${what}: root metadata version ${s.version} differs from the version ${s.version} already seen`);
  }
  if (s.expires !== undefined && Date.parse(s.expires) <= input.now.getTime()) {
    throw new ZpkgError('E_EXPIRED', `${what}: root metadata version ${s.version} expired at ${s.expires}`, {
      hint: 'the publisher must re-sign it (`zpkg repo sign DIR --key KEY`); until then this image will not use it',
    });
  }
  return { insecure: state.insecure, pinned: state.pinned, keys, threshold, keyGeneration: s.keyGeneration, repository: s.repository, version: s.version, digest };
}
