/**
 * Recovery of an interrupted transaction. If its commit marker (the history row
 * with its txid) is in state.db, the transaction is finished: backups and
 * leftovers are deleted. Otherwise it is undone path by path: staged files
 * removed, backups renamed back, new paths unlinked, directories restored.
 * Every step is idempotent, so an interruption of recovery itself is recovered
 * by running it again.
 */
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, renameSync, rmdirSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Image } from '../image/image.js';
import { historyIdOf } from '../image/state.js';
import { syncFilesystem } from '../fs/syncfs.js';
import { backupName, dropBackup, pendingJournals, removeJournal, sweepTemporaries, tempName, type Journal } from './journal.js';

export interface Recovered {
  txid: string;
  command: string;
  outcome: 'completed' | 'rolled back';
}

function exists(abs: string): boolean {
  try {
    lstatSync(abs);
    return true;
  } catch {
    return false;
  }
}

function complete(root: string, j: Journal): void {
  for (const p of j.puts) {
    dropBackup(root, p, j.txid);
    rmSync(join(root, tempName(p.dest, j.txid)), { force: true });
  }
  for (const d of j.deletes) rmSync(join(root, backupName(d, j.txid)), { force: true });
  for (const d of [...j.removedDirs].sort((a, b) => b.path.length - a.path.length)) {
    try {
      rmdirSync(join(root, d.path));
    } catch {
      // Not empty or already gone: as a normal apply would have left it.
    }
  }
}

function rollBack(root: string, j: Journal): void {
  // Directories the transaction removed come back first, so restored files have a home.
  for (const d of [...j.removedDirs].sort((a, b) => a.path.length - b.path.length)) {
    const abs = join(root, d.path);
    if (exists(abs)) continue;
    mkdirSync(abs, { mode: d.mode });
    chownSync(abs, d.uid, d.gid);
    chmodSync(abs, d.mode);
  }
  for (const d of j.deletes) {
    const backup = join(root, backupName(d, j.txid));
    if (exists(backup)) renameSync(backup, join(root, d));
  }
  for (const p of j.puts) {
    const dest = join(root, p.dest);
    rmSync(join(root, tempName(p.dest, j.txid)), { force: true });
    const backup = join(root, backupName(p.dest, j.txid));
    if (exists(backup)) {
      // When DEST is still the old file, BACKUP is a second link to it and rename does nothing.
      renameSync(backup, dest);
      rmSync(backup, { force: true });
    } else if (!p.existed && exists(dest)) {
      unlinkSync(dest);
    }
  }
  for (const d of j.changedDirs) {
    const abs = join(root, d.path);
    if (!exists(abs)) continue;
    chownSync(abs, d.uid, d.gid);
    chmodSync(abs, d.mode);
  }
  for (const d of [...j.createdDirs].sort((a, b) => b.length - a.length)) {
    try {
      rmdirSync(join(root, d));
    } catch {
      // Not empty (something else was put there) or already gone.
    }
  }
}

/** Finishes or undoes every interrupted transaction of the image; the caller holds the lock. */
export function recoverImage(image: Image): Recovered[] {
  const done: Recovered[] = [];
  sweepTemporaries(image.paths.work, image.paths.cache);
  for (const j of pendingJournals(image.paths.work)) {
    const committed = historyIdOf(image.db, j.txid) !== undefined;
    if (committed) complete(image.paths.root, j);
    else rollBack(image.paths.root, j);
    syncFilesystem(image.paths.root);
    removeJournal(image.paths.work, j.txid);
    done.push({ txid: j.txid, command: j.command, outcome: committed ? 'completed' : 'rolled back' });
  }
  return done;
}

export function hasPendingJournal(image: Image): boolean {
  return existsSync(join(image.paths.work, 'journal')) && pendingJournals(image.paths.work).length > 0;
}
