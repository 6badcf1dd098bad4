/**
 * Writing what a backend downloads to a local file: a write that fails is the
 * local disk's failure, never the server's, so it is thrown typed (E_NO_SPACE
 * for a full filesystem or quota, else E_IO) and no retry or mirror takes it
 * for a network error.
 */
import { writeSync } from 'node:fs';
import { ZpkgError } from '../core/errors.js';

/** Writes all of `chunk` at the end of `fd` (the file `dest`). */
export function writeDownloaded(fd: number, chunk: Buffer, dest: string): void {
  try {
    let off = 0;
    while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      throw new ZpkgError('E_NO_SPACE', `no space left to write \`${dest}\` (${code})`, { hint: 'free some space and run the command again', cause: err });
    }
    throw new ZpkgError('E_IO', `cannot write \`${dest}\`: ${(err as Error).message}`, { cause: err });
  }
}
