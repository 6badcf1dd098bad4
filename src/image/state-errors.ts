/**
 * What a failure to open or read state.db means for a person: a damaged
 * state (`E_STATE_CORRUPT`: empty where a backup says there was a state,
 * truncated, garbage, tables missing) or an image zpkg cannot write
 * (`E_IMAGE_READONLY`: a read-only mount, no write permission). Each names
 * what zpkg can still do safely: `list` and `verify` read the backup of the
 * last commit, or a read-only state as it is.
 */
import { accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import { ZpkgError } from '../core/errors.js';
import { backupPathOf, findBackup } from './state-backup.js';

interface StatePaths {
  root: string;
  db: string;
}

const CORRUPT = /^SQLITE_(CORRUPT|NOTADB)/;
const READONLY = /^SQLITE_READONLY/;

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The hint of E_STATE_CORRUPT for the state at `db`: what still works, and how to put the backup back. */
export function corruptHint(db: string): string {
  const backup = findBackup(db);
  if (!backup) return `zpkg has no backup of it (${backupPathOf(db)} is written at each commit): move ${db} aside and run \`zpkg adopt\` or install again; the files in the image are untouched`;
  return `\`zpkg list\` and \`zpkg verify\` read the backup zpkg wrote at the last commit (${backup.path}, ${backup.writtenAt}); to put it back: mv ${db} ${db}.damaged && cp ${backup.path} ${db}, then \`zpkg verify\` (a transaction after that commit is not in it)`;
}

/** A ZpkgError for an error met opening or reading the state at `paths`, or undefined when it is not one of these. */
export function stateError(err: unknown, paths: StatePaths): ZpkgError | undefined {
  if (err instanceof ZpkgError) return err;
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (CORRUPT.test(code) || /^no such (table|column)/.test(message)) {
    return new ZpkgError('E_STATE_CORRUPT', `${paths.db} is damaged: ${message}`, { hint: corruptHint(paths.db), cause: err });
  }
  // SQLite says only "unable to open" when a WAL database's -shm cannot be made beside it.
  if (READONLY.test(code) || code === 'EROFS' || code === 'EACCES' || code === 'EPERM' || (code === 'SQLITE_CANTOPEN' && !writable(dirname(paths.db)))) {
    return new ZpkgError('E_IMAGE_READONLY', `image ${paths.root}: cannot write its state (${message})`, {
      hint: 'the image (or its state directory) is read-only: remount it read-write, or give a writable `--state-dir`; `zpkg list` and `zpkg verify` still read it',
      cause: err,
    });
  }
  return undefined;
}
