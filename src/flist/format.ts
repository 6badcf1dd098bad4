/**
 * The rfs v2 flist format (`.fl`), as threefoldtech/rfs writes and reads it.
 * Every fact here was read in rfs's source (commit 75e19dc):
 *
 * - `schema/schema.sql`: the five tables below, verbatim (SCHEMA).
 * - `src/fungi/meta.rs`: `inode.mode` is the whole `st_mode` (type bits and
 *   permissions, `Mode::file_type` masks `S_IFMT`); the root is the inode whose
 *   parent is 0 (`root_inode`), and walks start at ino 1 (`Reader::walk`);
 *   `extra.data` holds a symlink's target (`pack.rs` writes it for symlinks
 *   only); `block.id` and `block.key` are 32-byte BLOBs (`ID_LEN`, `KEY_LEN`,
 *   bound as `&[u8]`), a file's blocks in insertion order; `route.start` and
 *   `route.end` are one byte each (`u8`).
 * - `src/pack.rs`: files are cut into blocks of 512 KiB (`BLOB_SIZE`); the root
 *   inode is named `/` with parent 0; a route row per store range, the store
 *   URL's password stripped unless asked otherwise.
 */

/** schema/schema.sql of rfs, byte for byte: an exported `.fl` has exactly rfs's tables and indexes. */
export const SCHEMA = `-- inode table and main entrypoint of the schema
CREATE TABLE IF NOT EXISTS inode (
    ino INTEGER PRIMARY KEY AUTOINCREMENT,
    parent INTEGER,
    name VARCHAR(255),
    size INTEGER,
    uid INTEGER,
    gid INTEGER,
    mode INTEGER,
    rdev INTEGER,
    ctime INTEGER,
    mtime INTEGER
);

CREATE INDEX IF NOT EXISTS parents ON inode (parent);
CREATE INDEX IF NOT EXISTS names ON inode (name);

-- extra data for each inode for special types (say link targets)
CREATE TABLE IF NOT EXISTS extra (
    ino INTEGER PRIMARY KEY,
    data VARCHAR(4096)
);

-- blocks per file, order of insertion is important
CREATE TABLE IF NOT EXISTS block (
    ino INTEGER,
    id VARCHAR(32),
    key VARCHAR(32)
);

CREATE INDEX IF NOT EXISTS block_ino ON block (ino);

-- global flist tags, this can include values like \`version\`, \`description\`, \`block-size\`, etc..
-- it can also hold extra user-defined tags for extensions
CREATE TABLE IF NOT EXISTS tag (
    key VARCHAR(10) PRIMARY KEY,
    value VARCHAR(255)
);

-- routing table define ranges where blobs can be found. This allows "sharding" by be able to retrieve
-- blobs from different partitions using the prefix range (hashes that are )
CREATE TABLE IF NOT EXISTS route (
    start integer, -- one byte hash prefix
    end integer, -- one byte hash prefix
    url VARCHAR(2048)
);
`;

/** pack.rs `BLOB_SIZE`: rfs cuts every file into blocks of this many plain bytes (the last one shorter). */
export const BLOCK_SIZE = 512 * 1024;

/** Length of a block id and of a block key (meta.rs `ID_LEN`, `KEY_LEN`). */
export const HASH_LEN = 32;

export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

export type InodeKind = 'dir' | 'file' | 'link' | 'block-device' | 'char-device' | 'fifo' | 'socket' | 'unknown';

export function kindOf(mode: number): InodeKind {
  switch (mode & S_IFMT) {
    case S_IFDIR:
      return 'dir';
    case S_IFREG:
      return 'file';
    case S_IFLNK:
      return 'link';
    case S_IFBLK:
      return 'block-device';
    case S_IFCHR:
      return 'char-device';
    case S_IFIFO:
      return 'fifo';
    case S_IFSOCK:
      return 'socket';
    default:
      return 'unknown';
  }
}

/** One block of a file: where it is stored (`id`) and how to open it (`key`). */
export interface FlBlock {
  /** blake2b-256 of the stored (encrypted) bytes; the store's key. */
  id: Buffer;
  /** blake2b-256 of the plain bytes; the AES-256-GCM key. */
  key: Buffer;
}

/** A row of `route`: blocks whose id starts with a byte in [start, end] are in the store at `url`. */
export interface FlRoute {
  start: number;
  end: number;
  url: string;
}

/** One inode with its path in the tree (`` for the root). */
export interface FlInode {
  ino: number;
  parent: number;
  name: string;
  /** Image path: `/`-joined names from the root's children down, no leading `/`. */
  path: string;
  kind: InodeKind;
  size: number;
  uid: number;
  gid: number;
  mode: number;
  rdev: number;
  ctime: number;
  mtime: number;
  /** A symlink's target (`extra.data`). */
  target?: string;
  /** A regular file's blocks, in order. */
  blocks: FlBlock[];
}

/** A whole flist, checked: a tree rooted at ino 1 whose every row agrees with the others. */
export interface Flist {
  /** Where it was read from, for messages. */
  source: string;
  /** Every inode, parents before children; the root first. */
  inodes: FlInode[];
  tags: Map<string, string>;
  routes: FlRoute[];
}
