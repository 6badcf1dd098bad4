/**
 * Block crypto of rfs (`src/store/bs.rs`, `BlockStore::set` / `get`):
 *
 *   key    = blake2b-256(plain)                   (blake2b_simd, hash_length 32)
 *   stored = AES-256-GCM(key, nonce = key[0..12])(snappy_raw(plain))   ciphertext ‖ 16-byte tag
 *   id     = blake2b-256(stored)                  the store's key for it
 *
 * Compression is the raw (unframed) snappy format of the Rust `snap` crate —
 * the `snappy` package is a binding of that very crate (`snap::raw::Encoder`
 * / `Decoder`), so a block zpkg seals is byte for byte the block rfs seals,
 * and the same plain bytes are the same block whoever stored them.
 *
 * rfs itself checks only the GCM tag when it opens a block; zpkg also checks
 * that the stored bytes hash to the id, that the plain bytes hash to the key,
 * and stops before decompressing more than the file has left to receive.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { createBLAKE2b, type IHasher } from 'hash-wasm';
import { compressSync, uncompressSync } from 'snappy';
import { ZpkgError } from '../core/errors.js';
import { HASH_LEN, type FlBlock } from './format.js';

const TAG_LEN = 16;
const NONCE_LEN = 12;

let hasher: IHasher | undefined;

/** blake2b with a 32-byte digest (not a truncated blake2b-512: the length is part of the parameter block). */
export async function blake2b256(data: Uint8Array): Promise<Buffer> {
  hasher ??= await createBLAKE2b(HASH_LEN * 8);
  hasher.init();
  hasher.update(data);
  return Buffer.from(hasher.digest('binary'));
}

export interface SealedBlock extends FlBlock {
  /** The bytes a store holds under `id`. */
  stored: Buffer;
}

/** One block as rfs's BlockStore::set makes it. */
export async function sealBlock(plain: Uint8Array): Promise<SealedBlock> {
  const key = await blake2b256(plain);
  const compressed = compressSync(Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength));
  const cipher = createCipheriv('aes-256-gcm', key, key.subarray(0, NONCE_LEN));
  const stored = Buffer.concat([cipher.update(compressed), cipher.final(), cipher.getAuthTag()]);
  return { id: await blake2b256(stored), key, stored };
}

/** The uncompressed length a raw snappy stream declares (its leading varint), or undefined when malformed. */
export function snappyDeclaredLength(data: Uint8Array): number | undefined {
  let n = 0;
  for (let i = 0; i < 5 && i < data.length; i++) {
    const b = data[i]!;
    n += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return n <= 0xffffffff ? n : undefined;
  }
  return undefined;
}

/**
 * The plain bytes of a stored block, checked: the stored bytes hash to its id,
 * the GCM tag holds, the decompressed length is what the stream declares and
 * at most `limit` (what the file still expects), and the plain bytes hash to
 * its key. `where` names the block for messages (file and index).
 */
export async function openBlock(block: FlBlock, stored: Uint8Array, limit: number, where: string): Promise<Buffer> {
  const idHex = block.id.toString('hex');
  const mismatch = (why: string): ZpkgError =>
    new ZpkgError('E_DIGEST_MISMATCH', `block ${idHex} (${where}): ${why}`, { hint: 'the store holds damaged or substituted data, or the flist names the wrong block', details: { block: idHex } });
  const actualId = await blake2b256(stored);
  if (!actualId.equals(block.id)) throw mismatch(`the stored bytes hash to ${actualId.toString('hex')}, not to the block's id`);
  if (stored.length < TAG_LEN) throw mismatch(`${stored.length} stored bytes cannot hold an AES-GCM tag`);
  let compressed: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', block.key, block.key.subarray(0, NONCE_LEN));
    decipher.setAuthTag(stored.subarray(stored.length - TAG_LEN));
    compressed = Buffer.concat([decipher.update(stored.subarray(0, stored.length - TAG_LEN)), decipher.final()]);
  } catch {
    throw mismatch('it does not decrypt with its key (the AES-GCM tag does not match)');
  }
  const declared = snappyDeclaredLength(compressed);
  if (declared === undefined) throw mismatch('its content is not snappy data');
  if (declared > limit) {
    throw new ZpkgError('E_FLIST_INVALID', `block ${idHex} (${where}) holds ${declared} bytes, more than the ${limit} its file has left`, { details: { block: idHex } });
  }
  let plain: Buffer;
  try {
    plain = uncompressSync(compressed, { asBuffer: true }) as Buffer;
  } catch (err) {
    throw mismatch(`its snappy data is corrupt (${(err as Error).message})`);
  }
  if (plain.length !== declared) throw mismatch(`its snappy data declares ${declared} bytes but holds ${plain.length}`);
  const actualKey = await blake2b256(plain);
  if (!actualKey.equals(block.key)) throw mismatch(`its plain bytes hash to ${actualKey.toString('hex')}, not to the block's key`);
  return plain;
}
