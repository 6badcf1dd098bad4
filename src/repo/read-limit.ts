/**
 * How much of a repository file read whole (`RepoReader.read`, `readFresh`)
 * a client holds: each caller names the most the file may be — root metadata
 * MAX_ROOT_BYTES, a catalog or file index the size its signed root metadata
 * declares, a record MAX_RECORD — and every backend stops there, so a server
 * that answers with more (or without end) costs that much memory and no more.
 */
import { ZpkgError } from '../core/errors.js';

/** The most bytes one repository file read whole may hold when its reader names no bound (packs are read by ranges). */
export const REPO_FILE_LIMIT = 1024 * 1024 * 1024;

export function tooLarge(location: string, path: string, max: number, size?: number): ZpkgError {
  return new ZpkgError('E_REPO_INVALID', `${location}: ${path} is ${size === undefined ? 'larger than' : `${size} bytes, more than`} ${max} bytes, the most it may hold; it was not read whole`, {
    hint: 'the repository (or whatever answers for it) is damaged or hostile; check it with `zpkg repo verify`',
  });
}

/** Chunks of one answer, held up to `max` bytes; the chunk that would pass it throws `tooLarge`. */
export class BoundedChunks {
  chunks: Buffer[] = [];
  size = 0;

  constructor(private readonly max: number, private readonly location: string, private readonly path: string) {}

  /** Refuses an answer that declares more than the bound before a byte of it is held. */
  declared(length: number): void {
    if (Number.isFinite(length) && this.size + length > this.max) throw tooLarge(this.location, this.path, this.max, this.size + length);
  }

  write(chunk: Buffer): void {
    if (this.size + chunk.length > this.max) throw tooLarge(this.location, this.path, this.max);
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  reset(): void {
    this.chunks = [];
    this.size = 0;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}
