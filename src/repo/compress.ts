/** zstd (zstd-napi, built from source here): blobs, catalogs and file indexes are stored compressed. */
import { compress as zcompress, decompress as zdecompress } from 'zstd-napi';

export const DEFAULT_LEVEL = 3;

export function compress(data: Uint8Array, level = DEFAULT_LEVEL): Buffer {
  return zcompress(data, { compressionLevel: level });
}

export function decompress(data: Uint8Array): Buffer {
  return zdecompress(data);
}
