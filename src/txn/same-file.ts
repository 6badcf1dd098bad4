/**
 * Whether a file in the image already holds exactly what an action delivers:
 * a regular file (never followed through a link) of the declared size whose
 * content hashes to the declared digest — read as verify reads it
 * (fs/path-check.ts: O_NOFOLLOW, at most size + 1 bytes).
 */
import { lstatOrNull, sha256File } from '../fs/path-check.js';

let buffer: Buffer | undefined;

export function holdsContent(abs: string, size: number, digest: string): boolean {
  const st = lstatOrNull(abs);
  if (!st?.isFile() || st.size !== size) return false;
  try {
    return sha256File(abs, size, (buffer ??= Buffer.allocUnsafe(1 << 20))) === digest;
  } catch {
    return false;
  }
}
