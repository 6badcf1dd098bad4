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
import { ZpkgError } from '../core/errors.js';
import { failPoint } from './crash-point.js';
import { clearBackupLeftovers } from '../image/state-backup.js';
import { dropBackup, pendingJournals, removeJournal, sweepTemporaries, type Journal } from './journal.js';
import { backupName, StagingNames } from './side-names.js';

export interface Recovered {
  txid: string;
  command: string;
  outcome: 'completed' | 'rolled back';
  /** What recovery met that the transaction did not put there, and left alone (each with the reason). */
  left: string[];
}

function kind(abs: string): 'none' | 'dir' | 'other' {
  try {
    return lstatSync(abs).isDirectory() ? 'dir' : 'other';
  } catch {
    return 'none';
  }
}

/**
 * Removes what the transaction put at ABS: never a directory (a put is a
 * file, link or hardlink, and a temporary likewise), whatever else it is.
 */
function removePut(abs: string, path: string, left: string[]): void {
  const k = kind(abs);
  if (k === 'other') unlinkSync(abs);
  else if (k === 'dir') left.push(`\`${path}\` is a directory the transaction did not put there: left as it is`);
}

/**
 * Puts BACKUP (the old DEST, never a directory) back at DEST. An empty
 * directory in the way is removed (the transaction's, made for a deeper
 * path); a directory with content is not recovery's to delete, so the old
 * file stays under its backup name and is reported.
 */
function putBack(root: string, backupRel: string, dest: string, left: string[]): void {
  const backup = join(root, backupRel);
  const abs = join(root, dest);
  if (kind(abs) === 'dir') {
    try {
      rmdirSync(abs);
    } catch {
      left.push(`\`${dest}\` is now a directory with content: the old \`${dest}\` is kept as \`${backupRel}\``);
      return;
    }
  }
  // When DEST is still the old file, BACKUP is a second link to it and rename does nothing.
  renameSync(backup, abs);
  rmSync(backup, { force: true });
}

function complete(root: string, j: Journal): void {
  const names = new StagingNames(j.txid, j.trees);
  for (const p of j.puts) {
    dropBackup(root, p, j.txid);
    rmSync(join(root, names.file(p.dest)), { force: true });
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

const depth = (path: string): number => path.split('/').length;

/**
 * Undoes an uncommitted transaction from its journal, whatever apply reached
 * and whatever kind of file it meets: puts are undone deepest first (so a
 * directory a deeper put needed is empty again before an old file returns
 * where it stands), then deleted paths come back, then directory attributes,
 * then the directories the transaction created go when empty.
 */
function rollBack(root: string, j: Journal): string[] {
  const left: string[] = [];
  const at = (path: string): string => join(root, path);
  // Directories the transaction removed come back first, so restored files have a home.
  for (const d of [...j.removedDirs].sort((a, b) => depth(a.path) - depth(b.path))) {
    const k = kind(at(d.path));
    if (k === 'dir') continue;
    if (k === 'other') {
      left.push(`\`${d.path}\` was a directory and is now something else: left as it is`);
      continue;
    }
    failPoint('rollback', at(d.path));
    mkdirSync(at(d.path), { mode: d.mode });
    chownSync(at(d.path), d.uid, d.gid);
    chmodSync(at(d.path), d.mode);
  }
  const names = new StagingNames(j.txid, j.trees);
  for (const p of [...j.puts].sort((a, b) => depth(b.dest) - depth(a.dest))) {
    failPoint('rollback', at(p.dest));
    removePut(at(names.file(p.dest)), names.file(p.dest), left);
    const backup = backupName(p.dest, j.txid);
    if (kind(at(backup)) === 'other') putBack(root, backup, p.dest, left);
    else if (!p.existed) removePut(at(p.dest), p.dest, left);
  }
  for (const d of [...j.deletes].sort((a, b) => depth(a) - depth(b))) {
    const backup = backupName(d, j.txid);
    if (kind(at(backup)) !== 'other') continue;
    failPoint('rollback', at(d));
    putBack(root, backup, d, left);
  }
  for (const d of j.changedDirs) {
    if (kind(at(d.path)) !== 'dir') continue;
    failPoint('rollback', at(d.path));
    chownSync(at(d.path), d.uid, d.gid);
    chmodSync(at(d.path), d.mode);
  }
  for (const d of [...j.createdDirs].sort((a, b) => depth(b) - depth(a))) {
    // A directory of a new tree is under the tree's hidden name until apply lands the tree (side-names.ts).
    for (const where of new Set([names.dir(d), d])) {
      try {
        rmdirSync(at(where));
      } catch {
        // Not empty (something else was put there) or already gone.
      }
    }
  }
  return left;
}

/** Finishes or undoes every interrupted transaction of the image; the caller holds the lock. */
export function recoverImage(image: Image): Recovered[] {
  const done: Recovered[] = [];
  sweepTemporaries(image.paths.work, image.paths.cache);
  clearBackupLeftovers(image.db);
  for (const j of pendingJournals(image.paths.work)) {
    const committed = historyIdOf(image.db, j.txid) !== undefined;
    let left: string[] = [];
    try {
      if (committed) complete(image.paths.root, j);
      else left = rollBack(image.paths.root, j);
    } catch (err) {
      throw recoveryFailed(j, committed, err);
    }
    syncFilesystem(image.paths.root);
    removeJournal(image.paths.work, j.txid);
    done.push({ txid: j.txid, command: j.command, outcome: committed ? 'completed' : 'rolled back', left });
  }
  return done;
}

export function hasPendingJournal(image: Image): boolean {
  return existsSync(join(image.paths.work, 'journal')) && pendingJournals(image.paths.work).length > 0;
}

/** A step of recovery the system refused (a read-only or failing disk, say): the journal stays, so running recovery again resumes it. */
function recoveryFailed(j: Journal, committed: boolean, err: unknown): ZpkgError {
  const e = err as NodeJS.ErrnoException;
  return new ZpkgError('E_RECOVERY_FAILED', `the interrupted transaction ${j.txid} (${j.command}) could not be ${committed ? 'finished' : 'undone'}: ${e.code ? `${e.code}: ` : ''}${e.message.replace(/^\w+: /, '')}`, {
    hint: 'its journal is kept and every step of recovery can be repeated: fix the cause (a read-only or failing filesystem, permissions), then run `zpkg recover`',
    details: { txid: j.txid, path: e.path, errno: e.code },
  });
}

/**
 * After a failure inside apply (or after it, before the commit): undo the
 * transaction at once, as recovery would. The failure is what the caller
 * reports; when undoing fails too, it says so and that `recover` finishes
 * the job.
 */
export function undoAfterFailure(image: Image, failure: unknown): unknown {
  try {
    recoverImage(image);
    return failure;
  } catch (undo) {
    const f = failure as Error & { code?: string; hint?: string; details?: Record<string, unknown> };
    const reason = undo instanceof ZpkgError ? undo.message : String(undo);
    return new ZpkgError(f instanceof ZpkgError ? f.code : 'E_IO', `${f.message}; undoing the transaction failed too: ${reason}`, {
      hint: 'the image is between two states until recovery finishes: fix the cause, then run `zpkg recover` (every changing command runs it first)',
      details: { ...(f instanceof ZpkgError ? f.details : {}), recovery: 'pending' },
      cause: failure,
    });
  }
}
