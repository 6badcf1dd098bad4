/**
 * Opening an image for commands that only read it (`list`, `verify`): they
 * keep working when the state cannot be used as is. A damaged state.db
 * (E_STATE_CORRUPT, found at open or by SQLite's quick_check) is replaced by
 * the backup of the last commit, opened read-only; an image that cannot be
 * written (E_IMAGE_READONLY) is read from an in-memory copy of state.db.
 * The Image says which (`fromBackup`, `readOnly`), so the command can say so.
 */
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { isZpkgError, ZpkgError } from '../core/errors.js';
import { openImage, resolvedPaths, type Image, type OpenOptions } from './image.js';
import { findBackup } from './state-backup.js';
import { corruptHint, stateError } from './state-errors.js';

/** Throws E_STATE_CORRUPT unless SQLite's quick_check finds the state's pages and tables whole. */
export function checkState(db: Database.Database, paths: { root: string; db: string }): void {
  let result: unknown;
  try {
    result = db.pragma('quick_check(1)', { simple: true });
  } catch (err) {
    throw stateError(err, paths) ?? err;
  }
  if (result !== 'ok') throw new ZpkgError('E_STATE_CORRUPT', `${paths.db} is damaged: ${String(result)}`, { hint: corruptHint(paths.db) });
}

/**
 * A state database file as an in-memory database: a WAL-mode file's header
 * says WAL (bytes 18 and 19 = 2), which a deserialized copy cannot use, so
 * the copy says "rollback journal" (1). What only the -wal file holds is not
 * read: zpkg checkpoints it when it closes the state.
 */
function snapshotOf(path: string): Database.Database {
  const bytes = readFileSync(path);
  if (bytes.length >= 20 && bytes[18] === 2 && bytes[19] === 2) bytes[18] = bytes[19] = 1;
  return new Database(bytes, { readonly: true });
}

export function openImageForReading(root: string, options: OpenOptions = {}): Image {
  try {
    const image = openImage(root, options);
    try {
      checkState(image.db, image.paths);
    } catch (err) {
      image.close();
      throw err;
    }
    return image;
  } catch (err) {
    const paths = resolvedPaths(root, options);
    if (isZpkgError(err, 'E_STATE_CORRUPT')) {
      const backup = findBackup(paths.db);
      if (!backup) throw err;
      const db = new Database(backup.path, { readonly: true, fileMustExist: true });
      checkState(db, { root: paths.root, db: backup.path });
      return { paths, db, fromBackup: { ...backup, reason: err.message }, close: () => db.close() };
    }
    if (isZpkgError(err, 'E_IMAGE_READONLY')) {
      let db: Database.Database;
      try {
        db = snapshotOf(paths.db);
        checkState(db, paths);
      } catch (inner) {
        throw stateError(inner, paths) ?? err;
      }
      return { paths, db, readOnly: true, close: () => db.close() };
    }
    throw err;
  }
}

/**
 * An image opened for reading with SQLite's quick_check left to the caller: a
 * cold `verify` posts its file records to the check workers first and runs the
 * check after (it costs ~50–80 ms here, all before the first file read
 * otherwise). The caller reports nothing it read before `check()` passes; when
 * it throws E_STATE_CORRUPT, the caller starts again with
 * openImageForReading, which reads the backup. An image that could not be
 * opened as it is (damaged at open, not writable) comes back from
 * openImageForReading, already checked.
 */
export function openImageForReadingUnchecked(root: string, options: OpenOptions = {}): UncheckedImage {
  let image: Image;
  try {
    image = openImage(root, options);
  } catch (err) {
    if (isZpkgError(err, 'E_STATE_CORRUPT') || isZpkgError(err, 'E_IMAGE_READONLY')) return { image: openImageForReading(root, options), check: () => undefined, foundDamaged: () => false };
    throw err;
  }
  let outcome: { error: unknown } | undefined;
  return {
    image,
    check: () => {
      if (!outcome) {
        try {
          checkState(image.db, image.paths);
          outcome = { error: undefined };
        } catch (err) {
          outcome = { error: err };
        }
      }
      if (outcome.error !== undefined) throw outcome.error;
    },
    foundDamaged: (err) => outcome?.error !== undefined && err === outcome.error && isZpkgError(err, 'E_STATE_CORRUPT'),
  };
}

/** An image opened without its state check (openImageForReadingUnchecked). */
export interface UncheckedImage {
  image: Image;
  /** The state's check: throws what it finds (the same error on every call). */
  check: () => void;
  /** Whether `err` is the check's finding that the state is damaged: read it again with openImageForReading, which reads the backup. */
  foundDamaged: (err: unknown) => boolean;
}
