/**
 * The schema of `state.db`. Bumped with a migration whenever it changes; an
 * image written by a newer zpkg is refused rather than misread.
 */
export const SCHEMA_VERSION = 3;

/** Steps from each older schema to the next. */
export const MIGRATIONS: Record<number, string> = {
  1: 'ALTER TABLE history ADD COLUMN txid TEXT; ALTER TABLE history ADD COLUMN packages TEXT; ALTER TABLE dirs ADD COLUMN declared INTEGER NOT NULL DEFAULT 1;',
  2: 'ALTER TABLE packages ADD COLUMN problem TEXT;',
};

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
  problem      TEXT                    -- set when a post-* hook or a service start failed for it; cleared when it lands again
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
