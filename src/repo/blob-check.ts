/** A stored blob is zstd of the content its digest names: checks that before the blob is kept. */
import { digestOf, type Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { decompress } from './compress.js';

export function checkStoredBlob(stored: Uint8Array, digest: Digest, where: string): void {
  let actual: Digest;
  try {
    actual = digestOf(decompress(stored));
  } catch (err) {
    throw new ZpkgError('E_DIGEST_MISMATCH', `${where}: blob ${digest} is not valid zstd (${(err as Error).message})`, { details: { digest } });
  }
  if (actual !== digest) throw new ZpkgError('E_DIGEST_MISMATCH', `${where}: blob ${digest} is corrupt: its content hashes to ${actual}`, { details: { digest } });
}
