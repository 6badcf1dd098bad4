/**
 * The backup of state.db written after each commit (src/image/state-backup.ts):
 * when a passive checkpoint folds the whole WAL into state.db, the file is
 * copied as it is (VACUUM INTO had spent 0.23 s of a one-file install's
 * commit on an image of 100,000 files); when a reader still holds an older
 * snapshot, the checkpoint cannot finish and VACUUM INTO copies the last
 * commit instead. Either way the backup is the last commit, a rollback-journal
 * database that opens read-only with nothing beside it. Real SQLite files.
 */
import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backupPathOf, backupState } from '../src/image/state-backup.js';
import { tempDir } from './helpers/zpkg.js';

const open: Database.Database[] = [];
afterEach(() => {
  for (const d of open.splice(0)) d.close();
});

/** A state-like database in WAL mode (as image.ts opens state.db) holding `rows` rows, with the SQL it prepares recorded. */
function walDb(rows: number): { db: Database.Database; path: string; prepared: string[] } {
  const path = join(tempDir('zpkg-state-backup-'), 'state.db');
  const db = new Database(path);
  open.push(db);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE files (path TEXT PRIMARY KEY, package TEXT NOT NULL)');
  add(db, 0, rows);
  const prepared: string[] = [];
  const real = db.prepare.bind(db);
  vi.spyOn(db, 'prepare').mockImplementation((sql: string) => {
    prepared.push(sql);
    return real(sql);
  });
  return { db, path, prepared };
}

function add(db: Database.Database, from: number, count: number): void {
  const insert = db.prepare('INSERT INTO files VALUES (?, ?)');
  db.transaction(() => {
    for (let i = from; i < from + count; i++) insert.run(`usr/share/p/f${i}`, 'p');
  })();
}

/** The backup's rows, read as `list` reads it: read-only. */
function backupRows(path: string): number {
  const b = new Database(backupPathOf(path), { readonly: true, fileMustExist: true });
  try {
    expect(b.pragma('integrity_check', { simple: true })).toBe('ok');
    return b.prepare('SELECT count(*) FROM files').pluck().get() as number;
  } finally {
    b.close();
  }
}

/** Bytes 18 and 19 of the SQLite header: 1 for a rollback journal, 2 for WAL. */
const journalVersions = (file: string): number[] => [...readFileSync(file).subarray(18, 20)];

describe('state.db backup', () => {
  it('with no reader behind, copies the checkpointed file (no VACUUM INTO) as a rollback-journal database', () => {
    const { db, path, prepared } = walDb(2_000);
    expect(backupState(db)).toBe(true);
    expect(backupRows(path)).toBe(2_000);
    expect(prepared.some((sql) => /VACUUM INTO/i.test(sql))).toBe(false);
    expect(journalVersions(backupPathOf(path))).toEqual([1, 1]);
    expect(journalVersions(path)).toEqual([2, 2]);
    // Nothing of the temporary copy (its WAL, shared memory, journal) is left beside the state.
    expect(readdirSync(join(path, '..')).filter((n) => n.includes('backup')).sort()).toEqual(['state.db.backup']);

    add(db, 2_000, 500);
    expect(backupState(db)).toBe(true);
    expect(backupRows(path)).toBe(2_500);
    expect(prepared.some((sql) => /VACUUM INTO/i.test(sql))).toBe(false);
  });

  it('while a reader holds an older snapshot, VACUUM INTO writes the last commit (a copy of the file would miss it)', () => {
    const { db, path, prepared } = walDb(1_000);
    expect(backupState(db)).toBe(true);
    const reader = new Database(path, { readonly: true });
    open.push(reader);
    reader.exec('BEGIN');
    expect(reader.prepare('SELECT count(*) FROM files').pluck().get()).toBe(1_000);

    add(db, 1_000, 1_000);
    expect(backupState(db)).toBe(true);
    expect(backupRows(path)).toBe(2_000);
    expect(prepared.some((sql) => /VACUUM INTO/i.test(sql))).toBe(true);
    expect(journalVersions(backupPathOf(path))).toEqual([1, 1]);
    // The reader still sees its snapshot: the backup did not wait for it or disturb it.
    expect(reader.prepare('SELECT count(*) FROM files').pluck().get()).toBe(1_000);
    reader.exec('COMMIT');
  });
});
