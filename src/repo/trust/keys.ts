/**
 * ed25519 keys of repository signers (node:crypto; no I/O).
 *
 * A public key is printed as `ed25519:<base64 of the 32 raw bytes>`; its key id
 * (fingerprint) is the lower-case hex sha256 of those raw bytes. Root metadata
 * names keys by id, so pinning an id pins the key: a key whose bytes do not hash
 * to the id it is listed under is refused.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { ZpkgError } from '../../core/errors.js';

export type KeyId = string;

/** How root metadata lists a key. */
export interface PublicKeyEntry {
  type: 'ed25519';
  /** base64 of the 32 raw bytes. */
  public: string;
}

export interface SigningKey {
  id: KeyId;
  entry: PublicKeyEntry;
  privateKey: KeyObject;
}

const KEY_ID = /^[0-9a-f]{64}$/;

export function isKeyId(text: unknown): text is KeyId {
  return typeof text === 'string' && KEY_ID.test(text);
}

export function keyIdOf(raw: Uint8Array): KeyId {
  return createHash('sha256').update(raw).digest('hex');
}

/** An ed25519 public key in DER (SubjectPublicKeyInfo, RFC 8410) is this header and the 32 raw bytes. */
const SPKI_HEADER = Buffer.from('302a300506032b6570032100', 'hex');
const SPKI_LENGTH = SPKI_HEADER.length + 32;

/**
 * The 32 raw bytes, through DER, not `export({ format: 'jwk' })`: Node 20
 * holds a key's mutex while it makes the JWK's strings, and a garbage
 * collection started by them that destroys the job which generated the key
 * (generateKeyPairSync) takes the same mutex — the process hangs for good
 * (a CI rehearsal hung so on 2026-12-05; the test helper made its key that
 * way).
 */
function rawOf(publicKey: KeyObject): Buffer {
  const der = publicKey.asymmetricKeyType === 'ed25519' ? publicKey.export({ format: 'der', type: 'spki' }) : undefined;
  if (!der || der.length !== SPKI_LENGTH || !der.subarray(0, SPKI_HEADER.length).equals(SPKI_HEADER)) {
    throw new ZpkgError('E_KEY_INVALID', `the key is not an ed25519 key (${String(publicKey.asymmetricKeyType)})`);
  }
  return Buffer.from(der.subarray(SPKI_HEADER.length));
}

export function entryOf(publicKey: KeyObject): PublicKeyEntry {
  return { type: 'ed25519', public: rawOf(publicKey).toString('base64') };
}

export function keyIdOfEntry(entry: PublicKeyEntry): KeyId {
  return keyIdOf(Buffer.from(entry.public, 'base64'));
}

/** `ed25519:<base64>`: the printable form, also the content of a `.pub` file. */
export function formatPublicKey(entry: PublicKeyEntry): string {
  return `ed25519:${entry.public}`;
}

/** Parses the printable form or a PEM (SPKI) public key; throws E_KEY_INVALID naming `what`. */
export function parsePublicKey(text: string, what: string): PublicKeyEntry {
  const t = text.trim();
  if (t.includes('PRIVATE KEY')) {
    throw new ZpkgError('E_KEY_INVALID', `${what} is a private key`, { hint: 'give the public key (the `.pub` file `zpkg repo keygen` wrote, or its fingerprint)' });
  }
  try {
    if (t.startsWith('-----BEGIN')) return entryOf(createPublicKey(t));
    const m = /^ed25519:([A-Za-z0-9+/]{43}=)$/.exec(t);
    if (m) return entryOf(toPublicKeyObject({ type: 'ed25519', public: m[1]! }));
  } catch (err) {
    if (err instanceof ZpkgError) throw err;
    throw new ZpkgError('E_KEY_INVALID', `${what} is not a valid public key: ${(err as Error).message}`);
  }
  throw new ZpkgError('E_KEY_INVALID', `${what} is not a public key`, { hint: 'expected `ed25519:<base64>`, a PEM public key, or a 64-hex-digit fingerprint' });
}

export function toPublicKeyObject(entry: PublicKeyEntry): KeyObject {
  const raw = Buffer.from(entry.public, 'base64');
  if (entry.type !== 'ed25519' || raw.length !== 32 || raw.toString('base64') !== entry.public) {
    throw new ZpkgError('E_KEY_INVALID', `key ${entry.public} is not an ed25519 public key`);
  }
  return createPublicKey({ key: Buffer.concat([SPKI_HEADER, raw]), format: 'der', type: 'spki' });
}

export function generateSigningKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  return signingKeyOf(privateKey);
}

export function signingKeyOf(privateKey: KeyObject): SigningKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new ZpkgError('E_KEY_INVALID', `the key is a ${String(privateKey.asymmetricKeyType)} key, not ed25519`);
  }
  const entry = entryOf(createPublicKey(privateKey));
  return { id: keyIdOfEntry(entry), entry, privateKey };
}

/** Parses a PKCS#8 PEM private key; throws E_KEY_INVALID naming `what`. */
export function parsePrivateKey(pem: string, what: string): SigningKey {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new ZpkgError('E_KEY_INVALID', `${what} is not a private key: ${(err as Error).message}`, { hint: 'make one with `zpkg repo keygen FILE`' });
  }
  return signingKeyOf(key);
}

export function privateKeyPem(key: SigningKey): string {
  return key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

export function signBytes(key: SigningKey, data: Uint8Array): string {
  return sign(null, data, key.privateKey).toString('base64');
}

/** True when `sig` (base64) is a valid signature of `data` by the key; false for any malformed input. */
export function verifyBytes(entry: PublicKeyEntry, data: Uint8Array, sig: string): boolean {
  try {
    return verify(null, data, toPublicKeyObject(entry), Buffer.from(sig, 'base64'));
  } catch {
    return false;
  }
}
