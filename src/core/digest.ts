/** Content addresses: `sha256:<64 lower-case hex>`. Hashing is computation, not I/O. */
import { createHash } from 'node:crypto';

export type Digest = `sha256:${string}`;

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function isDigest(text: unknown): text is Digest {
  return typeof text === 'string' && DIGEST.test(text);
}

export function digestOf(data: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The hex part, used to name content-addressed files. */
export function digestHex(digest: Digest): string {
  return digest.slice('sha256:'.length);
}
