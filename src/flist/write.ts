/**
 * Writing an `.fl` as rfs's `fungi::Writer` does (`src/fungi/meta.rs`): a new
 * SQLite database in rollback-journal mode (`SqliteJournalMode::Delete`) with
 * rfs's schema, `name` as text, `extra.data`, `block.id` and `block.key` as
 * blobs. The rows are written in one SQLite transaction into a file beside the
 * destination, fsynced, and renamed over it: a reader finds the old flist or
 * the new one.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ZpkgError } from '../core/errors.js';
import { fsyncDir, tempPathBeside } from '../fs/atomic.js';
import { SCHEMA, type FlBlock, type FlInode, type FlRoute } from './format.js';

/** An inode as written: the rows of `inode` and `extra` (the reader's FlInode without what it derives), blocks optional. */
export type InodeRow = Omit<FlInode, 'path' | 'kind' | 'blocks'> & { blocks?: readonly FlBlock[] };

export interface FlistRows {
  /** Parents before children; ino 1 is the root. */
  inodes: readonly InodeRow[];
  tags: ReadonlyMap<string, string>;
  routes: readonly FlRoute[];
}

export function writeFlist(output: string, rows: FlistRows): void {
  mkdirSync(dirname(output), { recursive: true });
  const tmp = tempPathBeside(output);
  try {
    const db = new Database(tmp);
    try {
      db.pragma('journal_mode = DELETE');
      db.exec(SCHEMA);
      const inode = db.prepare('INSERT INTO inode (ino, parent, name, size, uid, gid, mode, rdev, ctime, mtime) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
      const extra = db.prepare('INSERT INTO extra (ino, data) VALUES (?, ?)');
      const block = db.prepare('INSERT INTO block (ino, id, key) VALUES (?, ?, ?)');
      const tag = db.prepare('INSERT OR REPLACE INTO tag (key, value) VALUES (?, ?)');
      const route = db.prepare('INSERT INTO route (start, end, url) VALUES (?, ?, ?)');
      db.transaction(() => {
        for (const i of rows.inodes) {
          inode.run(i.ino, i.parent, i.name, i.size, i.uid, i.gid, i.mode, i.rdev, i.ctime, i.mtime);
          if (i.target !== undefined) extra.run(i.ino, Buffer.from(i.target, 'utf8'));
          for (const b of i.blocks ?? []) block.run(i.ino, b.id, b.key);
        }
        for (const [k, v] of rows.tags) tag.run(k, v);
        for (const r of rows.routes) route.run(r.start, r.end, r.url);
      })();
    } finally {
      db.close();
    }
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, output);
    fsyncDir(dirname(output));
  } catch (err) {
    rmSync(tmp, { force: true });
    if (err instanceof ZpkgError) throw err;
    const code = (err as NodeJS.ErrnoException).code === 'ENOSPC' ? 'E_NO_SPACE' : 'E_IO';
    throw new ZpkgError(code, `cannot write the flist ${output}: ${(err as Error).message}`, { cause: err });
  }
}
