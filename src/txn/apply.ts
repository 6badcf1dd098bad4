/**
 * Apply: staged files are renamed into place — each replaced path first gets a
 * backup link — paths that go are renamed to backups, and directories no
 * package keeps are removed (after the commit) when empty. Every step is a
 * link or rename: nothing here can run out of space, and the journal written
 * before says how to undo each one. Backups go once the commit is durable.
 */
import { chmodSync, chownSync, linkSync, lstatSync, renameSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { ZpkgError } from '../core/errors.js';
import { dirOwners } from '../image/state.js';
import { crashPoint, failPoint } from './crash-point.js';
import { dropBackup, type Journal, type JournalDir } from './journal.js';
import { unlinkMany } from '../fs/unlink-many.js';
import { backupName } from './side-names.js';
import { stagedPath, type Staged } from './stage.js';
import type { Changeset } from './types.js';
import { hostPath } from '../core/paths.js';

export interface Applied {
  removedDirs: string[];
  keptDirs: string[];
}

/** Declared directories that already exist and take the package's attributes (no other package owns them). */
function dirsToChange(db: Database.Database, cs: Changeset) {
  return cs.dirs.filter((d) => !d.create && d.declared && !dirOwners(db, d.path).some((o) => o.package !== d.package));
}

/** Directories whose last owner goes: removed when empty, deepest first. */
function dirsToRemove(db: Database.Database, cs: Changeset): string[] {
  const staying = new Set(cs.dirs.map((d) => d.path));
  const going = new Set(cs.dropDirs.map((d) => `${d.path}\0${d.package}`));
  const paths = [...new Set(cs.dropDirs.map((d) => d.path))].filter(
    (path) => !staying.has(path) && !cs.dirsLeftAlone.has(path) && dirOwners(db, path).every((o) => going.has(`${o.path}\0${o.package}`)),
  );
  return paths.sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? 1 : -1));
}

/** Paths of removed packages and of dropped paths, minus those written again. */
function pathsToDelete(cs: Changeset): string[] {
  const putPaths = new Set(cs.put.map((p) => p.dest));
  return cs.delete.map((f) => f.path).filter((p) => !putPaths.has(p));
}

function attributes(root: string, path: string): JournalDir {
  const st = lstatSync(hostPath(root, path));
  return { path, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

/** The journal of a changeset: everything apply may touch, with what recovery needs to undo it. */
export function journalOf(root: string, db: Database.Database, cs: Changeset, txid: string, command: string, trees: readonly string[] = []): Journal {
  const dropRows = new Map(cs.dropDirs.map((d) => [d.path, d]));
  return {
    format: trees.length ? 2 : 1,
    txid,
    command,
    startedAt: new Date().toISOString(),
    puts: cs.put.map((p) => ({ dest: p.dest, existed: p.existed, ...(p.keepOld ? { keepOld: p.keepOld } : {}) })),
    deletes: pathsToDelete(cs),
    createdDirs: cs.dirs.filter((d) => d.create).map((d) => d.path),
    removedDirs: dirsToRemove(db, cs).map((path) => {
      const row = dropRows.get(path)!;
      return { path, mode: row.mode, uid: row.uid, gid: row.gid };
    }),
    changedDirs: dirsToChange(db, cs).map((d) => attributes(root, d.path)),
    ...(trees.length ? { trees: [...trees] } : {}),
  };
}

function missingOk(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

export interface ApplyOptions {
  chown: boolean;
  /**
   * Land only the paths these packages put (a wave a pre-hook needs in place);
   * absent: every staged path not landed yet, then directory attributes and
   * deletions. Every wave is covered by the one journal.
   */
  packages?: ReadonlySet<string>;
}

export function apply(root: string, db: Database.Database, cs: Changeset, staged: Staged, journal: Journal, options: ApplyOptions): void {
  const only = options.packages;
  if (!only) {
    for (const d of dirsToChange(db, cs)) {
      const abs = hostPath(root, d.path);
      if (options.chown) chownSync(abs, d.uid, d.gid);
      chmodSync(abs, d.mode);
    }
  }
  const existed = new Map(cs.put.map((p) => [p.dest, p.existed]));
  const owner = new Map(cs.put.map((p) => [p.dest, p.package]));
  // A wave lands the paths of some packages only; a new tree may hold others', so trees land with the whole (the
  // transaction stages none when a pre-hook needs a wave: transaction.ts).
  if (!only) {
    for (const tree of staged.trees) {
      step(tree, 'putting the new directory in place', () => {
        const abs = hostPath(root, tree);
        failPoint('apply', abs);
        renameSync(hostPath(root, staged.names.dir(tree)), abs);
      });
      crashPoint('apply');
    }
  }
  for (const dest of staged.dests) {
    if (only && !only.has(owner.get(dest)!)) continue;
    if (staged.names.treeOf(dest) !== undefined) {
      // In place with its tree, if this is the whole apply; else with a later one.
      if (!only) staged.dests.delete(dest);
      continue;
    }
    const tmp = stagedPath(staged, dest);
    const abs = hostPath(root, dest);
    step(dest, 'putting it in place', () => {
      if (existed.get(dest)) missingOk(() => linkSync(abs, hostPath(root, backupName(dest, journal.txid))));
      failPoint('apply', abs);
      renameSync(tmp, abs);
    });
    staged.dests.delete(dest);
    crashPoint('apply');
  }
  if (only) return;
  for (const path of journal.deletes) {
    step(path, 'removing it', () => {
      const abs = hostPath(root, path);
      failPoint('apply', abs);
      missingOk(() => renameSync(abs, hostPath(root, backupName(path, journal.txid))));
    });
    crashPoint('apply');
  }
}

/** A step of apply that failed becomes a typed error naming the image path and the system's reason (the caller undoes the transaction). */
function step(path: string, doing: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ZpkgError('E_IO', `\`${path}\` could not be applied (${doing}): ${e.code ?? 'error'}: ${e.message.replace(/^\w+: /, '')}`, {
      details: { path, errno: e.code },
    });
  }
}

/** Unlinks in flight while backups go (fs/unlink-many.ts). */
const UNLINKS_IN_FLIGHT = 8;

/**
 * After the commit: backups go, then directories whose last owner went, when
 * empty. The backups of a removal or an upgrade of 20,000 files are 20,000
 * unlinks, most of the time such a transaction takes: several are in flight
 * at once.
 */
export async function finish(root: string, journal: Journal): Promise<Applied> {
  const backups: string[] = [];
  for (const p of journal.puts) {
    if (!p.existed) continue;
    if (p.keepOld) dropBackup(root, p, journal.txid);
    else backups.push(hostPath(root, backupName(p.dest, journal.txid)));
  }
  for (const d of journal.deletes) backups.push(hostPath(root, backupName(d, journal.txid)));
  await unlinkMany(backups, UNLINKS_IN_FLIGHT);
  const done: Applied = { removedDirs: [], keptDirs: [] };
  for (const d of journal.removedDirs) {
    try {
      rmdirSync(join(root, d.path));
      done.removedDirs.push(d.path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // ENOTDIR: something else stands there now (a link the image put in its place): not the transaction's to remove.
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') done.keptDirs.push(d.path);
      else if (code !== 'ENOENT') throw err;
    }
  }
  return done;
}
