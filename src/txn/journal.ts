/**
 * The journal of the transaction in flight (`var/lib/zpkg/journal/<txid>.json`).
 * It is written and made durable before the first change to the image and names
 * every path the transaction may touch, so that after an interruption at any
 * instant `recover` can put each path back (or finish), whatever step it
 * reached. Per path, the steps are atomic renames:
 *
 *   put:    stage to TMP → link DEST to BACKUP (if DEST existed) → rename TMP over DEST
 *   delete: rename PATH to BACKUP
 *
 * The commit marker is the history row carrying the journal's txid: SQLite
 * commits it atomically with the new state.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ZpkgError } from '../core/errors.js';
import { checkShape, count, v } from '../core/shape.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { dirInRoot, readBounded } from '../fs/in-root.js';
import { backupName } from './side-names.js';
import { hostPath } from '../core/paths.js';

/** The most bytes a journal may hold (a transaction of a million paths fits). */
export const JOURNAL_LIMIT = 512 * 1024 * 1024;

export interface JournalPut {
  dest: string;
  /** DEST existed before (and is backed up before being replaced). */
  existed: boolean;
  /** Once committed, the backup of DEST becomes `DEST.zpkg-old` instead of going (`revert`). */
  keepOld?: true;
}

/** Where `revert` keeps the local version of a config file it wrote back. */
export function keptOldName(dest: string): string {
  return `${dest}.zpkg-old`;
}

/** After the commit: the backup of a put goes, or becomes `DEST.zpkg-old` when the put keeps it. */
export function dropBackup(root: string, put: JournalPut, txid: string): void {
  const backup = hostPath(root, backupName(put.dest, txid));
  if (put.keepOld && existsSync(backup)) renameSync(backup, hostPath(root, keptOldName(put.dest)));
  else rmSync(backup, { force: true });
}

export interface JournalDir {
  path: string;
  mode: number;
  uid: number;
  gid: number;
}

/**
 * 1: every path staged beside itself. 2: some new trees staged whole
 * (`trees`): a zpkg from before trees reads only format 1, so it refuses such
 * a journal with an error instead of recovering it as if the trees' paths
 * were staged beside themselves (which would leave a tree's hidden name).
 */
export type JournalFormat = 1 | 2;

export interface Journal {
  format: JournalFormat;
  txid: string;
  command: string;
  startedAt: string;
  puts: JournalPut[];
  deletes: string[];
  /** Directories this transaction creates (removed again on rollback when empty). */
  createdDirs: string[];
  /** Directories it may remove, with what they were (recreated on rollback). */
  removedDirs: JournalDir[];
  /** Existing directories whose attributes it changes, with their old ones. */
  changedDirs: JournalDir[];
  /**
   * New trees staged whole (new-trees.ts): where each put and created
   * directory was staged follows from them (side-names.ts `StagingNames`).
   * Present (and non-empty) exactly in a format 2 journal.
   */
  trees?: string[];
}

/** A path a journal names: relative to the image root, never leaving it. */
const journalPath = v.pipe(
  v.string(),
  v.check((p: string) => p !== '' && !p.includes('\0') && !p.startsWith('/') && !p.split('/').includes('..'), 'expected a relative path inside the image'),
);
const journalDirRow = v.looseObject({ path: journalPath, mode: count, uid: count, gid: count });
/** What recovery trusts of a journal: its shape and that every path stays inside the image (loose: fields a newer zpkg adds are kept). */
const JOURNAL = v.looseObject({
  format: v.union([v.literal(1), v.literal(2)]),
  txid: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/)),
  command: v.string(),
  startedAt: v.string(),
  puts: v.array(v.looseObject({ dest: journalPath, existed: v.boolean() })),
  deletes: v.array(journalPath),
  createdDirs: v.array(journalPath),
  removedDirs: v.array(journalDirRow),
  changedDirs: v.array(journalDirRow),
  trees: v.optional(v.array(journalPath)),
});

/** A journal's format says whether it has trees: a tree listed in format 1, or format 2 with none, is not a journal this zpkg wrote. */
function formatAgrees(j: Journal): boolean {
  return (j.format === 2) === (j.trees !== undefined && j.trees.length > 0);
}

/** The journal directory under zpkg's directory `state`, resolved inside it (a link there never leads out). */
export function journalDir(state: string, create = false): string {
  if (!existsSync(state)) {
    if (!create) return join(state, 'journal');
    mkdirSync(state, { recursive: true });
  }
  return dirInRoot(state, 'journal', { create, what: `the journal directory of ${state}`, hint: 'it must be a directory; inspect it by hand' });
}

/** Writes the journal durably (fsync of the file and its directory). */
export function writeJournal(state: string, journal: Journal): string {
  const dir = journalDir(state, true);
  const path = join(dir, `${journal.txid}.json`);
  writeFileAtomic(path, JSON.stringify(journal), { durable: true });
  return path;
}

/**
 * Temporaries an interrupted writer left in zpkg's own state: half-written
 * journals (never acted on: only complete `.json` files are journals) and
 * files being put into the content cache. Removed under the image lock.
 */
export function sweepTemporaries(work: string, cache: string): number {
  let removed = 0;
  for (const dir of [journalDir(work), join(cache, 'tmp')]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (dir === journalDir(work) && name.endsWith('.json') && !name.startsWith('.')) continue;
      rmSync(join(dir, name), { force: true, recursive: true });
      removed += 1;
    }
  }
  return removed;
}

export function removeJournal(state: string, txid: string): void {
  rmSync(join(journalDir(state), `${txid}.json`), { force: true });
}

/** Journals of interrupted transactions, oldest first. */
export function pendingJournals(state: string): Journal[] {
  const dir = journalDir(state);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
    .map((n) => {
      const path = join(dir, n);
      const hint = 'it was written durably before any change, so this is damage from outside zpkg; inspect it by hand';
      let raw: unknown;
      try {
        raw = JSON.parse(readBounded(path, { maxBytes: JOURNAL_LIMIT, noFollow: true, what: `the journal ${path}` })!.toString('utf8'));
      } catch (err) {
        throw new ZpkgError('E_IMAGE_INVALID', `the journal ${path} cannot be read: ${(err as Error).message}`, { hint });
      }
      let journal: Journal;
      try {
        journal = checkShape(JOURNAL, raw, 'E_IMAGE_INVALID', `the journal ${path}`) as Journal;
      } catch (err) {
        throw new ZpkgError('E_IMAGE_INVALID', (err as Error).message, { hint });
      }
      if (!formatAgrees(journal)) {
        throw new ZpkgError('E_IMAGE_INVALID', `the journal ${path} is format ${journal.format} ${journal.format === 2 ? 'but lists no new tree' : 'but lists new trees (format 2 does)'}`, { hint });
      }
      return journal;
    })
    .sort((a, b) => (a.startedAt < b.startedAt ? -1 : 1));
}
