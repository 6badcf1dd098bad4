/**
 * An image: a root directory zpkg manages. zpkg's own directory inside it,
 * `<root>/var/lib/zpkg/` (`work`), holds what describes that tree: the
 * journal of a transaction in flight, pending lifecycles, the hook store.
 * The state — `state.db` (SQLite, WAL), `repos/` (each remote's last root
 * metadata and catalog) and `lock` — and the content cache live there too by
 * default, or in directories outside the image (`state:`/`cache:` in
 * etc/zpkg/zpkg.yaml, `--state-dir`/`--cache-dir`): on a diskless node
 * (zos) the root is a RAM filesystem rebuilt at every boot and only a cache
 * disk persists.
 *
 * Outside state remembers which image it describes: an id kept both in
 * state.db and in `<work>/image-id`. When the image no longer carries it (a
 * new boot: the root holds only the base again), the recorded installed set
 * is stale and is dropped when the image is opened — history, generations,
 * remotes, trust and the cache stay — so the next `sync --boot` installs
 * into the fresh root, from the cache, as into an empty image.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parseYaml } from '../fs/yaml.js';
import { ZpkgError } from '../core/errors.js';
import { STATE_DIR } from '../core/paths.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { dirInRoot, expectRegularOrMissing, readBounded } from '../fs/in-root.js';
import { acquireLock, type Lock } from '../fs/lock.js';
import { CONFIG_FILE, readConfigText } from './config-file.js';
import { migrate, SCHEMA, SCHEMA_VERSION } from './schema.js';
import { findBackup } from './state-backup.js';
import { corruptHint, stateError } from './state-errors.js';

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

/** Where the state and the content cache live, when not inside the image. */
export interface StorageDirs {
  state?: string;
  cache?: string;
}

/**
 * The directories of an image. zpkg's directory inside it is resolved in the
 * image (fs/in-root.ts): a link on the way (`var` → `/elsewhere`) leads to
 * the image's `elsewhere`, never out of the image.
 */
export function imagePaths(root: string, dirs: StorageDirs = {}): ImagePaths {
  const abs = resolve(root);
  const work = existsSync(abs) ? dirInRoot(abs, STATE_DIR, { what: `zpkg's directory ${STATE_DIR} in ${abs}`, hint: `${STATE_DIR} must be a directory of the image; repair it by hand` }) : join(abs, STATE_DIR);
  const state = dirs.state ? resolve(dirs.state) : work;
  const cache = dirs.cache ? resolve(dirs.cache) : join(state, 'cache');
  return { root: abs, work, state, db: join(state, 'state.db'), cache, repos: join(state, 'repos'), lock: join(state, 'lock') };
}

export interface Image {
  paths: ImagePaths;
  db: Database.Database;
  /** The installed set a new boot made stale and that opening dropped (packages it had), when that happened. */
  rebuilt?: { packages: number };
  /**
   * Set for an `--offline` transaction: no remote is read — a remote reader
   * cannot be opened, catalogs are never refreshed — and everything comes
   * from the cache (txn/offline.ts).
   */
  offline?: boolean;
  /**
   * Set when the image has no state and was opened without creating it: an
   * empty state in memory. A command that changes nothing on such an image
   * (nothing is installed) leaves no trace; locking it is a no-op.
   */
  stateless?: boolean;
  /** Set when state.db was damaged and this is its backup from the last commit, read-only (see read-image.ts). */
  fromBackup?: { path: string; writtenAt: string; reason: string };
  /** Set when the image cannot be written and its state was read as a read-only snapshot. */
  readOnly?: boolean;
  close(): void;
}

export interface OpenOptions extends StorageDirs {
  /** Create the state when the image has none (commands that change it). */
  create?: boolean;
}

/**
 * `state:` and `cache:` of the image's etc/zpkg/zpkg.yaml (absolute paths);
 * the rest of that file is the lifecycle's (hooks/config.ts validates it all).
 */
export function configuredStorage(root: string): StorageDirs {
  const file = join(resolve(root), CONFIG_FILE);
  let raw: unknown;
  const text = readConfigText(root);
  if (text === undefined) return {};
  try {
    raw = parseYaml(text, { version: '1.2' });
  } catch (err) {
    throw new ZpkgError('E_CONFIG_INVALID', `${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const out: StorageDirs = {};
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    for (const key of ['state', 'cache'] as const) {
      const v = (raw as Record<string, unknown>)[key];
      if (v === undefined) continue;
      if (typeof v !== 'string' || !isAbsolute(v)) throw new ZpkgError('E_CONFIG_INVALID', `${file}: \`${key}\` must be an absolute path`, { hint: 'see "Diskless nodes" in the README' });
      out[key] = v;
    }
  }
  return out;
}

/** The image's paths: `--state-dir`/`--cache-dir` first, then zpkg.yaml's `state:`/`cache:`. */
export function resolvedPaths(root: string, options: StorageDirs = {}): ImagePaths {
  const configured = existsSync(resolve(root)) ? configuredStorage(root) : {};
  return imagePaths(root, { state: options.state ?? configured.state, cache: options.cache ?? configured.cache });
}

/** Whether the image has zpkg state — a state.db, or the backup of one — rather than none yet (what `create` would make). */
export function hasState(root: string, options: StorageDirs = {}): boolean {
  const db = resolvedPaths(root, options).db;
  return existsSync(db) || Boolean(findBackup(db));
}

/** Opens an image's state; an image that has none reads as empty unless `create`. */
export function openImage(root: string, options: OpenOptions = {}): Image {
  const paths = resolvedPaths(root, options);
  if (!existsSync(paths.root)) {
    if (!options.create) throw new ZpkgError('E_IMAGE_INVALID', `image root ${paths.root} does not exist`);
    mkdirSync(paths.root, { recursive: true });
  }
  if (!statSync(paths.root).isDirectory()) throw new ZpkgError('E_IMAGE_INVALID', `image root ${paths.root} is not a directory`);
  // SQLite opens these by name and would follow a link (a hook can leave one in the image).
  // A state.db that is some other kind of file (a directory, a FIFO) is damage like any other (E_STATE_CORRUPT below: list and verify read the backup).
  const stateFiles = isLink(paths.db) ? [paths.db] : [];
  for (const file of [...stateFiles, `${paths.db}-wal`, `${paths.db}-shm`, paths.lock]) expectRegularOrMissing(file, { hint: "zpkg's state files must be regular files; inspect them by hand" });
  // An empty state.db with no backup beside it is one whose creation was interrupted: start it again.
  const fresh = !existsSync(paths.db) || (statSync(paths.db).isFile() && statSync(paths.db).size === 0 && !findBackup(paths.db));
  if (fresh && !options.create) {
    const db = new Database(':memory:');
    db.exec(SCHEMA);
    return { paths, db, stateless: true, close: () => db.close() };
  }
  if (!fresh && !statSync(paths.db).isFile()) throw new ZpkgError('E_STATE_CORRUPT', `${paths.db} is not a regular file`, { hint: corruptHint(paths.db) });
  let db: Database.Database | undefined;
  let version: number;
  try {
    mkdirSync(paths.state, { recursive: true, mode: 0o755 });
    if (!fresh && statSync(paths.db).size === 0) throw new ZpkgError('E_STATE_CORRUPT', `${paths.db} is damaged: it is empty`, { hint: corruptHint(paths.db) });
    db = new Database(paths.db);
    db.pragma('busy_timeout = 10000');
    // Read before anything is written: a file that is not zpkg's state is refused as it is.
    version = fresh ? 0 : Number((db.prepare("SELECT value FROM meta WHERE key = 'schema'").pluck().get() as string | undefined) ?? 0);
    db.pragma('journal_mode = WAL');
    // FULL: a commit is on disk when zpkg reports success (WAL fsync per commit).
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // A command that changes the image first makes sure every page it may touch is whole.
    if (!fresh && options.create) {
      const check = db.pragma('quick_check(1)', { simple: true });
      if (check !== 'ok') throw new ZpkgError('E_STATE_CORRUPT', `${paths.db} is damaged: ${String(check)}`, { hint: corruptHint(paths.db) });
    }
  } catch (err) {
    db?.close();
    throw stateError(err, paths) ?? err;
  }
  if (version > SCHEMA_VERSION) {
    db.close();
    throw new ZpkgError('E_IMAGE_INVALID', `${paths.db} was written by a newer zpkg (schema ${version}, this one knows ${SCHEMA_VERSION})`);
  }
  if (version < SCHEMA_VERSION) migrate(db, version, paths);
  const opened = db;
  const image: Image = { paths, db: opened, close: () => opened.close() };
  if (paths.state !== paths.work) checkIdentity(image);
  return image;
}

const IMAGE_ID = 'image-id';

/**
 * Outside state and the image it describes: the same id on both sides, or
 * the image was rebuilt (a new boot) and its recorded installed set goes.
 */
function checkIdentity(image: Image): void {
  const { db, paths } = image;
  const marker = join(paths.work, IMAGE_ID);
  const readMarker = (): string | undefined => readBounded(marker, { maxBytes: 4096, noFollow: true, what: marker })?.toString('utf8').trim();
  const onDisk = readMarker();
  const recorded = db.prepare("SELECT value FROM meta WHERE key = 'image-id'").pluck().get() as string | undefined;
  if (onDisk !== undefined && onDisk === recorded) return;
  const lock = lockImage(image, {});
  try {
    const again = db.prepare("SELECT value FROM meta WHERE key = 'image-id'").pluck().get() as string | undefined;
    const now = readMarker();
    if (now !== undefined && now === again) return;
    const id = now ?? randomBytes(16).toString('hex');
    const packages = db.prepare('SELECT COUNT(*) FROM packages').pluck().get() as number;
    db.transaction(() => {
      if (again !== undefined) {
        // A state that knew another image: what it says is installed is not in this one.
        db.prepare('DELETE FROM files').run();
        db.prepare('DELETE FROM dirs').run();
        db.prepare('DELETE FROM packages').run();
      }
      db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('image-id', ?)").run(id);
    })();
    if (now === undefined) writeFileAtomic(marker, `${id}\n`, { durable: true });
    if (again !== undefined && packages > 0) image.rebuilt = { packages };
  } finally {
    lock.release();
  }
}

export interface LockImageOptions {
  noWait?: boolean;
  onWait?: () => void;
}

/** One transaction per image at a time; read-only commands never take this. */
export function lockImage(image: Image, options: LockImageOptions = {}): Lock {
  // No state to guard, and no directory to put a lock in (making one would leave a trace).
  if (image.stateless) return { release: () => undefined };
  return acquireLock(image.paths.lock, { ...options, code: 'E_IMAGE_LOCKED', what: `image ${image.paths.root}` });
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
