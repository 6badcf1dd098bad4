/**
 * An image: a root directory zpkg manages. Its state lives under
 * `<root>/var/lib/zpkg/`: `state.db` (SQLite, WAL), `cache/` (manifests and
 * blobs already fetched), `repos/` (each remote's last root metadata and catalog)
 * and `lock` (held by the one transaction in flight).
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ZpkgError } from '../core/errors.js';
import { STATE_DIR } from '../core/paths.js';
import { acquireLock, type Lock } from '../fs/lock.js';
import { migrate, SCHEMA, SCHEMA_VERSION } from './schema.js';

export interface ImagePaths {
  root: string;
  /** zpkg's directory inside the image (`var/lib/zpkg`): the journal, pending lifecycles and the hook store, which describe this image. */
  work: string;
  /** Where state.db and the lock are: `work`, or a directory outside the image. */
  state: string;
  db: string;
  cache: string;
  repos: string;
  lock: string;
}

export function imagePaths(root: string): ImagePaths {
  const abs = resolve(root);
  const state = join(abs, STATE_DIR);
  return { root: abs, work: state, state, db: join(state, 'state.db'), cache: join(state, 'cache'), repos: join(state, 'repos'), lock: join(state, 'lock') };
}

export interface Image {
  paths: ImagePaths;
  db: Database.Database;
  close(): void;
}

export interface OpenOptions {
  /** Create the state when the image has none (commands that change it). */
  create?: boolean;
}

/** Opens an image's state; an image that has none reads as empty unless `create`. */
export function openImage(root: string, options: OpenOptions = {}): Image {
  const paths = imagePaths(root);
  if (!existsSync(paths.root)) {
    if (!options.create) throw new ZpkgError('E_IMAGE_INVALID', `image root ${paths.root} does not exist`);
    mkdirSync(paths.root, { recursive: true });
  }
  if (!statSync(paths.root).isDirectory()) throw new ZpkgError('E_IMAGE_INVALID', `image root ${paths.root} is not a directory`);
  const fresh = !existsSync(paths.db);
  if (fresh && !options.create) {
    const db = new Database(':memory:');
    db.exec(SCHEMA);
    return { paths, db, close: () => db.close() };
  }
  mkdirSync(paths.state, { recursive: true, mode: 0o755 });
  const db = new Database(paths.db);
  db.pragma('journal_mode = WAL');
  // FULL: a commit is on disk when zpkg reports success (WAL fsync per commit).
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 10000');
  const version = fresh ? 0 : Number((db.prepare("SELECT value FROM meta WHERE key = 'schema'").pluck().get() as string | undefined) ?? 0);
  if (version > SCHEMA_VERSION) {
    db.close();
    throw new ZpkgError('E_IMAGE_INVALID', `${paths.db} was written by a newer zpkg (schema ${version}, this one knows ${SCHEMA_VERSION})`);
  }
  if (version < SCHEMA_VERSION) migrate(db, version, paths);
  return { paths, db, close: () => db.close() };
}

export interface LockImageOptions {
  noWait?: boolean;
  onWait?: () => void;
}

/** One transaction per image at a time; read-only commands never take this. */
export function lockImage(image: Image, options: LockImageOptions = {}): Lock {
  return acquireLock(image.paths.lock, { ...options, code: 'E_IMAGE_LOCKED', what: `image ${image.paths.root}` });
}
