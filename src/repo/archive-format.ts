/**
 * The single-file repository archive (`.zpar`), IPS's p5p for zpkg: one file
 * that carries a whole repository to an offline node and is read in place.
 *
 *   "ZPKGAR01"                       8-byte magic
 *   file bytes, back to back         each repository file exactly as stored (zstd blobs stay zstd)
 *   index                            UTF-8 JSON {"format":1,"files":{"<path>":[offset,length],…}}
 *   trailer (24 bytes)               index offset (u64 LE), index length (u64 LE), "ZPKGAR01"
 *
 * A reader reads the trailer, then the index, then any one file by offset,
 * without unpacking the rest. Every file keeps its repository path, so root
 * metadata and digests are verified exactly as from a directory.
 */
export const ARCHIVE_MAGIC = Buffer.from('ZPKGAR01');
export const TRAILER_SIZE = 24;
export const ARCHIVE_FORMAT = 1;

export interface ArchiveIndex {
  format: number;
  files: Record<string, [number, number]>;
}
