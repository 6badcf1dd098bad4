/**
 * The bytes of a Debian `Packages` index as apt keeps it under
 * /var/lib/apt/lists: plain, or compressed (`Acquire::GzipIndexes`) as an LZ4
 * frame, gzip or zstd, recognised by magic bytes rather than by file name.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'zstd-napi';
import { ZpkgError } from '../../core/errors.js';

/** The file's bytes as they are on disk (E_IO when it cannot be read). */
export function readIndexBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ZpkgError('E_IO', `cannot read index \`${path}\`: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * lz4-napi, loaded when an LZ4 index is first read: its native binding costs
 * ~20 ms, which every CLI command would pay at start-up (this module is
 * imported by `repo import-index`).
 */
let lz4: { decompressFrameSync(data: Buffer): Buffer } | undefined;
function lz4DecompressFrame(data: Buffer): Buffer {
  lz4 ??= createRequire(import.meta.url)('lz4-napi') as { decompressFrameSync(data: Buffer): Buffer };
  return lz4.decompressFrameSync(data);
}

/**
 * Undoes the compression apt may keep a list in (`Acquire::GzipIndexes`),
 * recognised by magic bytes rather than by file name: an LZ4 frame (magic
 * 0x184D2204, apt's default), gzip or zstd. Anything else is returned as is.
 */
export function decompressIndex(data: Uint8Array, what = 'index'): Buffer {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const [m0, m1, m2, m3] = [buf[0], buf[1], buf[2], buf[3]];
  try {
    if (m0 === 0x04 && m1 === 0x22 && m2 === 0x4d && m3 === 0x18) return lz4DecompressFrame(buf);
    if (m0 === 0x1f && m1 === 0x8b) return gunzipSync(buf);
    if (m0 === 0x28 && m1 === 0xb5 && m2 === 0x2f && m3 === 0xfd) return zstdDecompress(buf);
  } catch (err) {
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
