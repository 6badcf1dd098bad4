/**
 * The bytes of a Debian `Packages` index as apt keeps it under
 * /var/lib/apt/lists: plain, or compressed (`Acquire::GzipIndexes`) as an LZ4
 * frame, gzip or zstd, recognised by magic bytes rather than by file name.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { ZpkgError } from '../../core/errors.js';
import { decompressBounded } from '../compress.js';
import { decodeLz4Frames, Lz4Error } from './lz4-frame.js';

/** The file's bytes as they are on disk (E_IO when it cannot be read). */
export function readIndexBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ZpkgError('E_IO', `cannot read index \`${path}\`: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The most an index may decompress to: the largest Debian Packages file
 * (amd64 main, ~70 MB) fifteen times over. Decompression stops at this bound
 * + 1 byte and refuses.
 */
export const MAX_INDEX_BYTES = 1 << 30;

/**
 * Undoes the compression apt may keep a list in (`Acquire::GzipIndexes`),
 * recognised by magic bytes rather than by file name: an LZ4 frame (magic
 * 0x184D2204, apt's default), gzip or zstd. Anything else is returned as is.
 * Every decoder stops at `max` bytes (+ 1, which refuses).
 */
export function decompressIndex(data: Uint8Array, what = 'index', max = MAX_INDEX_BYTES): Buffer {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const [m0, m1, m2, m3] = [buf[0], buf[1], buf[2], buf[3]];
  const tooBig = (): ZpkgError => new ZpkgError('E_REPO_INVALID', `index \`${what}\` decompresses to more than ${max} bytes`, { hint: 'the file is damaged or hostile' });
  if (m0 === 0x28 && m1 === 0xb5 && m2 === 0x2f && m3 === 0xfd) return decompressBounded(buf, max, `index \`${what}\``);
  try {
    if (m0 === 0x04 && m1 === 0x22 && m2 === 0x4d && m3 === 0x18) return decodeLz4Frames(buf, max);
    if (m0 === 0x1f && m1 === 0x8b) return gunzipSync(buf, { maxOutputLength: max });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || (err instanceof Lz4Error && err.message.includes('more than'))) throw tooBig();
    throw new ZpkgError('E_REPO_INVALID', `index \`${what}\` cannot be decompressed: ${(err as Error).message}`, { cause: err });
  }
  if (m0 === 0xfd && m1 === 0x37 && m2 === 0x7a && m3 === 0x58) {
    throw new ZpkgError('E_REPO_INVALID', `index \`${what}\` is xz-compressed, which zpkg does not read`, {
      hint: 'decompress it first (`xz -d`), or use the plain, .gz, .lz4 or .zst variant',
    });
  }
  return buf;
}

/** Reads an index file as text: plain, an LZ4 frame, gzip or zstd (see decompressIndex). */
export function readIndexText(path: string): string {
  return decompressIndex(readIndexBytes(path), path).toString('utf8');
}
