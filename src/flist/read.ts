/**
 * Reading an `.fl` into a checked Flist (format.ts). Nothing of the file is
 * trusted: every column has the type rfs writes, the tree hangs from one root
 * (ino 1, parent 0, a directory), every other inode has a directory parent and
 * a plain name (no `/`, `.` or `..`: those are E_PATH_UNSAFE), names are
 * unique per directory, no parent chain loops, `extra` rows belong to
 * symlinks and every symlink has one, and `block` rows (32-byte id and key)
 * belong to regular files. Types a package cannot hold (devices, fifos,
 * sockets) are read — `--list` shows them — and refused by the import.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { ZpkgError } from '../core/errors.js';
import { HASH_LEN, kindOf, type FlBlock, type FlInode, type FlRoute, type Flist } from './format.js';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

const COLUMNS: Record<string, readonly string[]> = {
  inode: ['ino', 'parent', 'name', 'size', 'uid', 'gid', 'mode', 'rdev', 'ctime', 'mtime'],
  extra: ['ino', 'data'],
  block: ['ino', 'id', 'key'],
  tag: ['key', 'value'],
  route: ['start', 'end', 'url'],
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

function head(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(16);
    const n = readSync(fd, b, 0, 16, 0);
    return b.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** The first bytes say what the file is: only an SQLite database can be an rfs v2 flist. */
function checkMagic(path: string, source: string): void {
  const h = head(path);
  if (h.equals(SQLITE_MAGIC)) return;
  if (h[0] === 0x1f && h[1] === 0x8b) {
    throw new ZpkgError('E_FLIST_INVALID', `${source} is a gzip archive, not an rfs v2 flist: it is an old (0-flist, tar.gz) \`.flist\``, {
      hint: 'zpkg reads rfs v2 `.fl` files (SQLite); convert the old flist with the rfs tools first',
    });
  }
  throw new ZpkgError('E_FLIST_INVALID', `${source} is not an rfs flist: it is not an SQLite database`);
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) {
    try {
      return utf8.decode(v);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Reads and checks the flist at `path`; `source` names it in messages (a URL it came from). */
export function readFlist(path: string, source = path): Flist {
  if (!existsSync(path) || !statSync(path).isFile()) throw new ZpkgError('E_NOT_FOUND', `flist ${source} does not exist or is not a file`);
  checkMagic(path, source);
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new ZpkgError('E_FLIST_INVALID', `${source}: cannot be opened as SQLite: ${(err as Error).message}`, { cause: err });
  }
  try {
    return readOpen(db, source);
  } catch (err) {
    if (err instanceof ZpkgError) throw err;
    throw new ZpkgError('E_FLIST_INVALID', `${source}: ${(err as Error).message}`, { cause: err });
  } finally {
    db.close();
  }
}

function readOpen(db: Database.Database, source: string): Flist {
  const bad = (why: string, details?: Record<string, unknown>): ZpkgError => new ZpkgError('E_FLIST_INVALID', `${source}: ${why}`, details ? { details } : {});
  for (const [table, columns] of Object.entries(COLUMNS)) {
    const have = new Set((db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name));
    if (have.size === 0) throw bad(`it has no \`${table}\` table, so it is not an rfs v2 flist`);
    for (const c of columns) if (!have.has(c)) throw bad(`its \`${table}\` table has no \`${c}\` column`);
  }

  const inodes = new Map<number, FlInode>();
  const intCol = (row: Record<string, unknown>, col: string, ino: unknown): number => {
    const v = row[col];
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw bad(`inode ${String(ino)}: \`${col}\` is ${v === null ? 'NULL' : typeof v}, not an integer`);
    return v;
  };
  for (const row of db.prepare('SELECT ino, parent, name, size, uid, gid, mode, rdev, ctime, mtime FROM inode ORDER BY ino').all() as Record<string, unknown>[]) {
    const ino = intCol(row, 'ino', row.ino);
    const name = text(row.name);
    if (name === undefined) throw bad(`inode ${ino}: its name is not UTF-8 text`);
    const mode = intCol(row, 'mode', ino);
    const kind = kindOf(mode);
    if (kind === 'unknown') throw bad(`inode ${ino} (\`${name}\`): mode ${mode.toString(8)} is of no file type`);
    const size = intCol(row, 'size', ino);
    if (size < 0) throw bad(`inode ${ino} (\`${name}\`): size ${size} is negative`);
    inodes.set(ino, {
      ino,
      parent: intCol(row, 'parent', ino),
      name,
      path: '',
      kind,
      size,
      uid: intCol(row, 'uid', ino),
      gid: intCol(row, 'gid', ino),
      mode,
      rdev: intCol(row, 'rdev', ino),
      ctime: intCol(row, 'ctime', ino),
      mtime: intCol(row, 'mtime', ino),
      blocks: [],
    });
  }

  const root = inodes.get(1);
  const roots = [...inodes.values()].filter((i) => i.parent === 0);
  if (!root || root.parent !== 0 || roots.length !== 1) {
    throw bad(`its tree has no single root: rfs walks from inode 1, which must be the one inode whose parent is 0 (${roots.length} such inodes${root ? `, inode 1's parent is ${root.parent}` : ', no inode 1'})`);
  }
  if (root.kind !== 'dir') throw bad(`its root (inode 1) is a ${root.kind}, not a directory`);

  // Names and parents first, then paths: a path exists only for an inode whose parent chain reaches the root.
  const seen = new Map<string, number>();
  for (const i of inodes.values()) {
    if (i === root) continue;
    const where = `inode ${i.ino} (\`${i.name}\`)`;
    if (i.name === '' || i.name.includes('\0')) throw bad(`${where}: its name is empty or holds a NUL byte`);
    if (i.name === '..' || i.name === '.' || i.name.includes('/')) {
      throw new ZpkgError('E_PATH_UNSAFE', `${source}: ${where}: the name ${i.name.startsWith('/') ? 'is absolute' : i.name.includes('/') ? 'holds a `/`' : `is \`${i.name}\``}; an flist entry is one plain name inside its directory`);
    }
    const parent = inodes.get(i.parent);
    if (!parent) throw bad(`${where}: its parent inode ${i.parent} does not exist`);
    if (parent.kind !== 'dir') throw bad(`${where}: its parent inode ${i.parent} is a ${parent.kind}, not a directory`);
    const key = `${i.parent}/${i.name}`;
    const twin = seen.get(key);
    if (twin !== undefined) throw bad(`inodes ${twin} and ${i.ino} are both named \`${i.name}\` in directory inode ${i.parent}`);
    seen.set(key, i.ino);
  }
  const resolved = new Set<number>([1]);
  for (const i of inodes.values()) {
    const chain: FlInode[] = [];
    let cur: FlInode = i;
    const onChain = new Set<number>();
    while (!resolved.has(cur.ino)) {
      if (onChain.has(cur.ino)) {
        const loop = [...chain.map((c) => c.ino), cur.ino].join(' → ');
        throw bad(`inode ${i.ino} (\`${i.name}\`) is not connected to the root: its parents loop (${loop})`);
      }
      onChain.add(cur.ino);
      chain.push(cur);
      cur = inodes.get(cur.parent)!;
    }
    for (const c of chain.reverse()) {
      const p = inodes.get(c.parent)!;
      c.path = p.path === '' ? c.name : `${p.path}/${c.name}`;
      resolved.add(c.ino);
    }
  }

  for (const row of db.prepare('SELECT ino, data FROM extra ORDER BY ino').all() as { ino: unknown; data: unknown }[]) {
    const i = typeof row.ino === 'number' ? inodes.get(row.ino) : undefined;
    if (!i) throw bad(`an \`extra\` row names inode ${String(row.ino)}, which does not exist`);
    if (i.kind !== 'link') throw bad(`inode ${i.ino} (\`${i.path}\`) is a ${i.kind} but has an \`extra\` row (rfs writes one only for a symlink's target)`);
    const target = text(row.data);
    if (target === undefined || target === '' || target.includes('\0')) throw bad(`symlink \`${i.path}\` (inode ${i.ino}): its target is empty, not UTF-8, or holds a NUL byte`);
    i.target = target;
  }
  for (const i of inodes.values()) if (i.kind === 'link' && i.target === undefined) throw bad(`symlink \`${i.path}\` (inode ${i.ino}) has no target (no \`extra\` row)`);

  for (const row of db.prepare('SELECT rowid, ino, id, key FROM block ORDER BY rowid').all() as { rowid: number; ino: unknown; id: unknown; key: unknown }[]) {
    const i = typeof row.ino === 'number' ? inodes.get(row.ino) : undefined;
    if (!i) throw bad(`\`block\` row ${row.rowid} names inode ${String(row.ino)}, which does not exist`);
    if (i.kind !== 'file') throw bad(`\`block\` row ${row.rowid} gives a block to \`${i.path}\` (inode ${i.ino}), a ${i.kind}, not a regular file`);
    if (!Buffer.isBuffer(row.id) || row.id.length !== HASH_LEN || !Buffer.isBuffer(row.key) || row.key.length !== HASH_LEN) {
      throw bad(`\`block\` row ${row.rowid} (\`${i.path}\`): id and key must be ${HASH_LEN}-byte blobs`);
    }
    const block: FlBlock = { id: Buffer.from(row.id), key: Buffer.from(row.key) };
    i.blocks.push(block);
  }

  const tags = new Map<string, string>();
  for (const row of db.prepare('SELECT key, value FROM tag').all() as { key: unknown; value: unknown }[]) {
    const k = text(row.key);
    const v = text(row.value);
    if (k === undefined || v === undefined) throw bad('a `tag` row is not text');
    tags.set(k, v);
  }
  const routes: FlRoute[] = [];
  for (const row of db.prepare('SELECT rowid, start, "end", url FROM route ORDER BY rowid').all() as { rowid: number; start: unknown; end: unknown; url: unknown }[]) {
    const url = text(row.url);
    const ok = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255;
    if (!ok(row.start) || !ok(row.end) || row.start > row.end || url === undefined || url === '') {
      throw bad(`\`route\` row ${row.rowid}: start and end must be bytes (0–255) with start ≤ end, and the url text`);
    }
    routes.push({ start: row.start, end: row.end, url });
  }

  // Byte order of the UTF-8 paths (what `ORDER BY path` gives in SQLite): parents before children.
  const ordered = [...inodes.values()].map((i) => ({ i, k: Buffer.from(i.path) })).sort((a, b) => Buffer.compare(a.k, b.k)).map((e) => e.i);
  return { source, inodes: ordered, tags, routes };
}
