/**
 * Public keys are read as raw bytes through DER (src/repo/trust/keys.ts), no
 * longer through a JWK export: on Node 20 that export can hang the process
 * for good when a garbage collection runs inside it (see rawOf). These tests
 * hold the DER reading to what the JWK gave.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { entryOf, generateSigningKey, parsePublicKey, toPublicKeyObject } from '../src/repo/trust/keys.js';

describe('signing keys', () => {
  it('the raw bytes read through DER are the bytes of its JWK, and round-trip through every form', () => {
    const key = generateSigningKey();
    const raw = Buffer.from(key.entry.public, 'base64');
    expect(raw).toHaveLength(32);
    // The JWK of the same key holds the same 32 bytes.
    expect(Buffer.from(toPublicKeyObject(key.entry).export({ format: 'jwk' }).x!, 'base64url')).toEqual(raw);
    expect(parsePublicKey(`ed25519:${key.entry.public}`, 'the key')).toEqual(key.entry);
    expect(entryOf(toPublicKeyObject(key.entry))).toEqual(key.entry);
  });

  it('a key of another type is refused, named by its type', () => {
    const x25519 = generateKeyPairSync('x25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(() => parsePublicKey(x25519, 'the key')).toThrow(/not an ed25519 key \(x25519\)/);
  });
});
