/**
 * Checking the signatures of root metadata against a set of trusted keys. Each
 * key counts once however many signatures carry its id, and a signature by a
 * key outside the set counts for nothing.
 */
import { ZpkgError } from '../../core/errors.js';
import type { SignedRoot } from '../root-metadata.js';
import { verifyBytes, type KeyId, type PublicKeyEntry } from './keys.js';

const short = (id: string): string => id.slice(0, 16);

/** Ids of the keys of `keys` that made a valid signature over the root. */
export function validSigners(root: SignedRoot, keys: Record<KeyId, PublicKeyEntry>): Set<KeyId> {
  const valid = new Set<KeyId>();
  for (const s of root.signatures) {
    const entry = Object.hasOwn(keys, s.keyid) ? keys[s.keyid] : undefined;
    if (entry && !valid.has(s.keyid) && verifyBytes(entry, root.canonical, s.sig)) valid.add(s.keyid);
  }
  return valid;
}

/**
 * Throws unless at least `threshold` keys of `keys` signed the root: E_SIGNATURE
 * for no signature, a bad signature or too few; E_UNTRUSTED_KEY when every
 * signature is by a key not in `keys`. `what` names the root in messages.
 */
export function requireSignatures(root: SignedRoot, keys: Record<KeyId, PublicKeyEntry>, threshold: number, what: string): Set<KeyId> {
  const valid = validSigners(root, keys);
  if (valid.size >= threshold && threshold > 0) return valid;
  if (root.signatures.length === 0) {
    throw new ZpkgError('E_SIGNATURE', `${what} is not signed`, { hint: 'a remote added with a key accepts only root metadata signed by that key' });
  }
  const bad = root.signatures.find((s) => Object.hasOwn(keys, s.keyid) && !valid.has(s.keyid));
  if (bad) throw new ZpkgError('E_SIGNATURE', `${what} has a bad signature by key ${short(bad.keyid)}: its bytes are not what the key signed`);
  if (valid.size === 0) {
    throw new ZpkgError('E_UNTRUSTED_KEY', `${what} is signed only by keys this image does not trust (${[...new Set(root.signatures.map((s) => short(s.keyid)))].join(', ')})`, {
      hint: `trusted: ${Object.keys(keys).map(short).join(', ') || 'none'}; if the repository really changed its key, remove the remote and add it again with the new key`,
    });
  }
  throw new ZpkgError('E_SIGNATURE', `${what} is signed by ${valid.size} trusted key${valid.size === 1 ? '' : 's'}, but ${threshold} are required`);
}
