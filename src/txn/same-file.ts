/**
 * Whether a file in the image already holds exactly what an action delivers:
 * its content hashes to the declared digest — read as verify reads it
 * (fs/path-check.ts: O_NOFOLLOW, so a link swapped in is never followed; at
 * most size + 1 bytes, so a file that grew does not match).
 */
import { sha256File } from '../fs/path-check.js';

let buffer: Buffer | undefined;

/**
 * For a path the caller has just lstat'ed as a regular file of `size` bytes:
 * the plan lstats every path it touches, and a second lstat here cost an
 * upgrade of a 300,000-file package 2.1 s of its 5.6 s of in-place checks.
 */
export function holdsContent(abs: string, size: number, digest: string): boolean {
  try {
    return sha256File(abs, size, (buffer ??= Buffer.allocUnsafe(1 << 20))) === digest;
  } catch {
    return false;
  }
}
