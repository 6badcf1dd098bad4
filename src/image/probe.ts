/**
 * A look at an image's state.db that changes nothing: no lock, no migration,
 * no file created — what a zpkg that has just landed (its self-test) or an
 * operator may ask while another zpkg holds the image in a transaction (WAL:
 * a reader never waits for the writer).
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { ZpkgError } from '../core/errors.js';
import { imagePaths } from './image.js';
import { SCHEMA_VERSION } from './schema.js';

export interface StateProbe {
  db: string;
  /** False for an image zpkg has never changed (no state.db yet). */
  exists: boolean;
  /** The schema state.db is at (0 when it does not exist); this zpkg migrates an older one on its first change. */
  schema: number;
  /** The schema this zpkg writes. */
  known: number;
  packages: number;
}

/** Opens state.db read-only and reads its schema and package count; E_IMAGE_INVALID when this zpkg cannot read it. */
export function probeState(root: string): StateProbe {
  const { db: path } = imagePaths(root);
  if (!existsSync(path)) return { db: path, exists: false, schema: 0, known: SCHEMA_VERSION, packages: 0 };
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new ZpkgError('E_IMAGE_INVALID', `cannot open ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const schema = Number((db.prepare("SELECT value FROM meta WHERE key = 'schema'").pluck().get() as string | undefined) ?? 0);
    if (schema > SCHEMA_VERSION) throw new ZpkgError('E_IMAGE_INVALID', `${path} was written by a newer zpkg (schema ${schema}, this one knows ${SCHEMA_VERSION})`);
    const packages = Number(db.prepare('SELECT count(*) FROM packages').pluck().get());
    return { db: path, exists: true, schema, known: SCHEMA_VERSION, packages };
  } catch (err) {
    if (err instanceof ZpkgError) throw err;
    throw new ZpkgError('E_IMAGE_INVALID', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  } finally {
    db.close();
  }
}
