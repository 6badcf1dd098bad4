/** Commit: the image's new state is recorded in one SQLite transaction, with its history row. */
import type Database from 'better-sqlite3';
import { isPathAction, parseMode } from '../core/manifest.js';
import { addHistory, currentGeneration, deletePackage, insertDirs, insertFiles, putPackage, setRequested, type DirRow, type FileRow, type TransactionChanges } from '../image/state.js';
import { backupState } from '../image/state-backup.js';
import type { Changeset } from './types.js';
import { writeFacetOverrides } from '../image/facet-state.js';
import { writeMediatorChoices } from '../image/mediator-state.js';

export interface HistoryEntry {
  txid: string;
  command: string;
  startedAt: string;
  changes: TransactionChanges;
}

export function commit(db: Database.Database, cs: Changeset, history: HistoryEntry, flags: readonly { name: string; requested: boolean }[] = []): number {
  const now = new Date().toISOString();
  const yielded = new Set((cs.yielded ?? []).map((y) => `${y.package}\0${y.path}`));
  const run = db.transaction(() => {
    for (const p of cs.removes) deletePackage(db, p.name);
    for (const c of cs.installs) {
      if (c.from) deletePackage(db, c.name);
      const m = c.manifest;
      putPackage(db, {
        name: c.name,
        version: c.version,
        arch: m.arch,
        summary: m.summary,
        manifest: c.digest,
        remote: c.remote,
        requested: c.requested,
        held: c.held,
        // A repair leaves the package as it was installed: its time, and whether its setup failed.
        installedAt: c.repair && c.from ? c.from.installedAt : now,
        problem: c.repair ? (c.from?.problem ?? null) : null,
        essential: m.essential === true,
        size: m.actions.reduce((n, a) => n + (a.type === 'file' ? a.size : 0), 0),
        relations: { depends: m.depends, conflicts: m.conflicts, provides: m.provides, replaces: m.replaces },
      });
      const files: FileRow[] = [];
      for (const a of m.actions) {
        if (!isPathAction(a) || a.type === 'dir' || yielded.has(`${c.name}\0${a.path}`)) continue;
        const ids = cs.owners.get(a.path);
        files.push({
          path: a.path,
          package: c.name,
          type: a.type,
          digest: a.type === 'file' ? a.digest : null,
          size: a.type === 'file' ? a.size : null,
          mode: a.type === 'file' ? parseMode(a.mode) : null,
          uid: ids?.uid ?? null,
          gid: ids?.gid ?? null,
          target: a.type === 'file' ? null : a.target,
          config: a.type === 'file' && a.config === true,
        });
      }
      insertFiles(db, files);
    }
    if (cs.returned?.length) insertFiles(db, cs.returned);
    const dirs: DirRow[] = cs.dirs.map((d) => ({ path: d.path, package: d.package, mode: d.mode, uid: d.uid, gid: d.gid, declared: d.declared ? 1 : 0 }));
    insertDirs(db, dirs);
    setRequested(db, flags);
    if (cs.facets) writeFacetOverrides(db, cs.facets);
    if (cs.mediators) writeMediatorChoices(db, cs.mediators);
    return addHistory(db, { startedAt: history.startedAt, finishedAt: now, command: history.command, status: 'committed', changes: history.changes, message: null, txid: history.txid, packages: currentGeneration(db) });
  });
  const id = run();
  backupState(db);
  return id;
}
