/**
 * A block store: where an flist's blocks live, addressed by block id (rfs's
 * `Store` trait in `src/store/mod.rs`: `get(key)`, `set(key, blob)`). Nothing
 * above this interface knows whether it talks to a directory, HTTP, S3 or a
 * zdb; `open.ts` is the one place that maps a store URL to one.
 */
import { ZpkgError } from '../../core/errors.js';

export interface BlockStore {
  /** The store's URL as given (credentials included), for connecting. */
  readonly url: string;
  /** The URL with any password removed, for messages and route rows. */
  readonly display: string;
  /**
   * The stored bytes of block `id`, or undefined when the store does not hold
   * it. A store that cannot be asked throws E_REMOTE_UNREACHABLE (or E_AUTH);
   * one holding more than `maxBytes` for it throws E_DIGEST_MISMATCH.
   */
  get(id: Buffer, maxBytes: number): Promise<Buffer | undefined>;
  /** Whether the store holds block `id` already. */
  has(id: Buffer): Promise<boolean>;
  /** Stores `data` under `id`; a read-only store throws E_URL_INVALID. */
  set(id: Buffer, data: Buffer): Promise<void>;
  /** Makes every set so far durable (a directory's syncfs); others are durable per write. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The most stored bytes a block of at most `plain` plain bytes can take:
 * snappy's worst case (`32 + n + n/6`, snap's `max_compress_len`) plus the
 * 16-byte GCM tag. A store answering more is not answering that block.
 */
export function maxStoredLength(plain: number): number {
  return 32 + plain + Math.ceil(plain / 6) + 16;
}

export function oversize(display: string, id: Buffer, have: number, max: number): ZpkgError {
  const hex = id.toString('hex');
  return new ZpkgError('E_DIGEST_MISMATCH', `${display} holds ${have} bytes for block ${hex}, more than a block of its file can take (${max})`, { details: { block: hex } });
}
