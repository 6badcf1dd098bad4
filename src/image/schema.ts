/**
 * The schema of `state.db`. Bumped with a migration whenever it changes; an
 * image written by a newer zpkg is refused rather than misread.
 *
 * state.db holds the image's facts (what is installed, which remotes it uses,
 * which keys it trusts for them and what it accepted last); `cache/` and
 * `repos/` hold only bytes fetched that can be fetched again.
 */
import type Database from 'better-sqlite3';
import { importEssential } from './migrate-essential.js';
import { importRemoteFiles } from './migrate-remote-files.js';

export const SCHEMA_VERSION = 6;

/** Steps from each older schema to the next: SQL that reshapes existing tables (new tables come from SCHEMA). */
export const MIGRATIONS: Record<number, string> = {
  1: 'ALTER TABLE history ADD COLUMN txid TEXT; ALTER TABLE history ADD COLUMN packages TEXT; ALTER TABLE dirs ADD COLUMN declared INTEGER NOT NULL DEFAULT 1;',
  2: 'ALTER TABLE packages ADD COLUMN problem TEXT;',
  3: '-- remote_mirrors and remote_trust are new tables (SCHEMA); IMPORTS[3] fills them',
  4: '-- holds is a new table (SCHEMA)',
  5: 'ALTER TABLE packages ADD COLUMN essential INTEGER;',
};

/** What a data step may look at besides the database. */
export interface MigrationPaths {
  /** `var/lib/zpkg/repos` of the image. */
  repos: string;
  /** The image's content cache (cached manifests). */
  cache: string;
}

/**
 * Data steps from an older schema: run after every SQL step and SCHEMA, inside
 * the same transaction, to move facts an older release kept elsewhere into
 * state.db. Each returns what to do once that transaction has committed
 * (remove the files it imported: until the commit they are still the truth).
 */
export const IMPORTS: Record<number, (db: Database.Database, paths: MigrationPaths) => () => void> = {
  3: importRemoteFiles,
  5: importEssential,
};

/**
 * Brings a state.db at schema `from` (0: new) to SCHEMA_VERSION in one
 * transaction, the schema version recorded inside it. The transaction is
 * taken for writing first and the version read again inside it, so two
 * processes opening the same old image migrate it once.
 */
export function migrate(db: Database.Database, from: number, paths: MigrationPaths): void {
  const readVersion = (): number => Number((db.prepare("SELECT value FROM meta WHERE key = 'schema'").pluck().get() as string | undefined) ?? 0);
  const afterCommit: (() => void)[] = [];
  db.transaction(() => {
    const version = from === 0 ? 0 : readVersion();
    if (version >= SCHEMA_VERSION) return;
    for (let v = version; v > 0 && v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
    db.exec(SCHEMA);
    for (let v = version; v > 0 && v < SCHEMA_VERSION; v++) {
      const step = IMPORTS[v];
      if (step) afterCommit.push(step(db, paths));
    }
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)").run(String(SCHEMA_VERSION));
  }).immediate();
  for (const done of afterCommit) done();
}

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
-- One row per installed package.
CREATE TABLE IF NOT EXISTS packages (
  name         TEXT PRIMARY KEY,
  version      TEXT NOT NULL,
  arch         TEXT NOT NULL,
  summary      TEXT NOT NULL,
  manifest     TEXT NOT NULL,          -- sha256:… of the canonical manifest
  remote       TEXT,                   -- where it came from
  requested    INTEGER NOT NULL,       -- 1: asked for by name; 0: pulled in as a dependency
  held         INTEGER NOT NULL DEFAULT 0,
  installed_at TEXT NOT NULL,
  size         INTEGER NOT NULL,       -- installed bytes
  relations    TEXT NOT NULL,          -- JSON {depends, conflicts, provides, replaces} as Debian strings
  problem      TEXT,                   -- set when a post-* hook or a service start failed for it; cleared when it lands again
  essential    INTEGER                 -- 1: its manifest says essential: true; 0: not; NULL: not recorded (landed before schema 6)
);
-- Every path a package delivers except directories: one owner per path.
CREATE TABLE IF NOT EXISTS files (
  path    TEXT PRIMARY KEY,
  package TEXT NOT NULL,
  type    TEXT NOT NULL,               -- file | link | hardlink
  digest  TEXT,                        -- file, hardlink
  size    INTEGER,
  mode    INTEGER,
  uid     INTEGER,
  gid     INTEGER,
  target  TEXT,                        -- link target, hardlink target path
  config  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS files_by_package ON files(package);
-- Directories are shared: one row per (path, package); the count is the reference count.
CREATE TABLE IF NOT EXISTS dirs (
  path    TEXT NOT NULL,
  package TEXT NOT NULL,
  mode    INTEGER NOT NULL,
  uid     INTEGER NOT NULL,
  gid     INTEGER NOT NULL,
  declared INTEGER NOT NULL DEFAULT 1, -- 1: the manifest declares it; 0: implied by a deeper path
  PRIMARY KEY (path, package)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dirs_by_package ON dirs(package);
CREATE TABLE IF NOT EXISTS remotes (
  name     TEXT PRIMARY KEY,
  url      TEXT NOT NULL,
  priority INTEGER NOT NULL DEFAULT 0,
  added_at TEXT NOT NULL
);
-- Other URLs of a remote's repository, tried in order (seq) after its url.
CREATE TABLE IF NOT EXISTS remote_mirrors (
  remote TEXT NOT NULL REFERENCES remotes(name) ON DELETE CASCADE,
  seq    INTEGER NOT NULL,
  url    TEXT NOT NULL,
  PRIMARY KEY (remote, seq)
) WITHOUT ROWID;
-- What the image trusts for a remote and what it accepted last (repo/trust/accept.ts TrustState).
-- No row: a remote added before zpkg checked signatures, refused until added again.
CREATE TABLE IF NOT EXISTS remote_trust (
  remote         TEXT PRIMARY KEY REFERENCES remotes(name) ON DELETE CASCADE,
  insecure       INTEGER NOT NULL,       -- 1: added with --insecure, signatures not checked (digests are)
  pinned         TEXT NOT NULL,          -- JSON [key id]: the keys given at remote add
  keys           TEXT,                   -- JSON {key id: public key}: the key set accepted last; NULL before the first refresh
  threshold      INTEGER NOT NULL,
  key_generation INTEGER NOT NULL,
  repository     TEXT,                   -- the repository id met first
  version        INTEGER NOT NULL,       -- the root metadata version accepted last
  digest         TEXT                    -- sha256 of the canonical signed part of that root metadata
);
-- Holds with a version range or a reason (\`zpkg hold\`): only versions satisfying range may land.
-- An exact hold at the installed version is packages.held; its reason, if any, is here with range NULL.
CREATE TABLE IF NOT EXISTS holds (
  name    TEXT PRIMARY KEY,
  range   TEXT,                        -- Debian atom \`NAME (< 2.0)\`; NULL: the exact hold of packages.held
  reason  TEXT,
  held_at TEXT NOT NULL
);
-- One row per committed transaction: its id is the generation number of the package set it left.
CREATE TABLE IF NOT EXISTS history (
  id          INTEGER PRIMARY KEY,
  started_at  TEXT NOT NULL,
  finished_at TEXT,
  command     TEXT NOT NULL,
  status      TEXT NOT NULL,           -- committed | committed-with-errors (a post-* hook or a service start failed)
  changes     TEXT NOT NULL,           -- JSON {install, upgrade, remove}
  message     TEXT,
  txid        TEXT,                    -- the journal's id: its presence marks the transaction committed
  packages    TEXT                     -- JSON: the package set after it (name, version, manifest, remote, requested, held): the generation
);
CREATE INDEX IF NOT EXISTS history_by_txid ON history(txid);
-- What ran around a committed transaction: hooks (with their captured output) and service operations.
CREATE TABLE IF NOT EXISTS lifecycle (
  history_id INTEGER NOT NULL,         -- history.id
  seq        INTEGER NOT NULL,
  kind       TEXT NOT NULL,            -- hook | service
  package    TEXT,
  name       TEXT NOT NULL,            -- the hook's phase, or the service's name
  action     TEXT NOT NULL,            -- the phase, or stop | start | reload | monitor | forget
  status     TEXT NOT NULL,            -- ok | failed | timeout | skipped | protected
  detail     TEXT,                     -- exit status or error message
  seconds    REAL,
  output     TEXT,                     -- a hook's stdout and stderr, interleaved
  PRIMARY KEY (history_id, seq)
) WITHOUT ROWID;
`;
