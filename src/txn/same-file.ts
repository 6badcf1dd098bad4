/**
 * Whether a file in the image already holds exactly what an action delivers:
 * a regular file (never followed through a link) of the declared size whose
 * content hashes to the declared digest. Read with O_NOFOLLOW, at most
 * size + 1 bytes: a file that grew meanwhile is not the same.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

const CHUNK = 1 << 20;
let buffer: Buffer | undefined;

export function holdsContent(abs: string, size: number, digest: string): boolean {
  let fd: number;
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size !== size) return false;
    buffer ??= Buffer.allocUnsafe(CHUNK);
    const h = createHash('sha256');
    let at = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, CHUNK, at);
      if (n === 0) break;
      at += n;
      if (at > size) return false;
      h.update(buffer.subarray(0, n));
    }
    return at === size && `sha256:${h.digest('hex')}` === digest;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}
