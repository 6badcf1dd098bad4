/** Typed reads and writes of `state.db`. Every write runs inside a caller's SQLite transaction. */
import type Database from 'better-sqlite3';
import type { Digest } from '../core/digest.js';
import { parseAtom, parseClause } from '../core/relation.js';
import type { InstalledPackage } from '../core/catalog.js';
import { ZpkgError } from '../core/errors.js';
import { checkShape, v } from '../core/shape.js';

const strings = v.optional(v.array(v.string()), []);
const RELATIONS = v.object({ depends: strings, conflicts: strings, provides: strings, replaces: strings });
const TAKEOVER = v.looseObject({ from: v.string(), to: v.string(), paths: v.pipe(v.number(), v.integer(), v.minValue(1)), first: v.string() });
const CHANGES = v.looseObject({
  install: v.optional(v.array(v.unknown())),
  upgrade: v.optional(v.array(v.unknown())),
  downgrade: v.optional(v.array(v.unknown())),
  remove: v.optional(v.array(v.unknown())),
  takeovers: v.optional(v.array(TAKEOVER)),
});

const CORRUPT_ROW_HINT = 'state.db was changed from outside zpkg; the backup written at the last commit (state.db.backup) can replace it: see the README "Damaged state"';

/** A JSON column of state.db, of the expected shape, or E_STATE_CORRUPT naming it (a hand edit or damage from outside). */
export function stateJson<S extends v.GenericSchema>(schema: S, text: string, what: string): v.InferOutput<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ZpkgError('E_STATE_CORRUPT', `state.db: ${what} is not JSON (${(err as Error).message})`, { hint: CORRUPT_ROW_HINT });
  }
  return checkShape(schema, raw, 'E_STATE_CORRUPT', `state.db: ${what}`, CORRUPT_ROW_HINT);
}

export interface RelationStrings {
  depends: string[];
  conflicts: string[];
  provides: string[];
  replaces: string[];
}

export interface PackageRow {
  name: string;
  version: string;
  arch: string;
  summary: string;
  manifest: Digest;
  remote: string | null;
  requested: boolean;
  held: boolean;
  installedAt: string;
  size: number;
  relations: RelationStrings;
  /** Why the package is not fully set up: a post-* hook or a service start failed (see `history`). */
  problem?: string | null;
  /** Written only: whether its manifest says `essential: true` (read back with `essentialRecorded`). */
  essential?: boolean;
}

export interface FileRow {
  path: string;
  package: string;
  type: 'file' | 'link' | 'hardlink';
  digest: Digest | null;
  size: number | null;
  mode: number | null;
  uid: number | null;
  gid: number | null;
  target: string | null;
  config: boolean;
}

export interface DirRow {
  path: string;
  package: string;
  mode: number;
  uid: number;
  gid: number;
  /** Declared by the manifest (its attributes count), not only implied by a deeper path. */
  declared: number;
}

interface RawPackage {
  name: string;
  version: string;
  arch: string;
  summary: string;
  manifest: string;
  remote: string | null;
  requested: number;
  held: number;
  installed_at: string;
  size: number;
  relations: string;
  problem: string | null;
}

const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/** Prepared once per connection: hot paths run these per file. */
function stmt(db: Database.Database, sql: string): Database.Statement {
  let byDb = statements.get(db);
  if (!byDb) statements.set(db, (byDb = new Map()));
  let s = byDb.get(sql);
  if (!s) byDb.set(sql, (s = db.prepare(sql)));
  return s;
}

function toPackage(r: RawPackage): PackageRow {
  return {
    name: r.name,
    version: r.version,
    arch: r.arch,
    summary: r.summary,
    manifest: r.manifest as Digest,
    remote: r.remote,
    requested: r.requested === 1,
    held: r.held === 1,
    installedAt: r.installed_at,
    size: r.size,
    relations: stateJson(RELATIONS, r.relations, `the relations of ${r.name}`),
    problem: r.problem ?? null,
  };
}

export function listPackages(db: Database.Database): PackageRow[] {
  return (stmt(db, 'SELECT * FROM packages ORDER BY name').all() as RawPackage[]).map(toPackage);
}

export function getPackage(db: Database.Database, name: string): PackageRow | undefined {
  const r = stmt(db, 'SELECT * FROM packages WHERE name = ?').get(name) as RawPackage | undefined;
  return r ? toPackage(r) : undefined;
}

/** The installed set as the solver sees it. */
export function toInstalled(p: PackageRow): InstalledPackage {
  return {
    name: p.name,
    version: p.version,
    arch: p.arch,
    summary: p.summary,
    depends: p.relations.depends.map(parseClause),
    conflicts: p.relations.conflicts.map((s) => parseAtom(s)),
    provides: p.relations.provides.map((s) => parseAtom(s)),
    replaces: p.relations.replaces.map((s) => parseAtom(s)),
    manifest: p.manifest,
    size: 0,
    installedSize: p.size,
    requested: p.requested,
    held: p.held,
  };
}

export function putPackage(db: Database.Database, p: PackageRow): void {
  stmt(db, 
    `INSERT OR REPLACE INTO packages (name, version, arch, summary, manifest, remote, requested, held, installed_at, size, relations, problem, essential)
     VALUES (@name, @version, @arch, @summary, @manifest, @remote, @requested, @held, @installedAt, @size, @relations, @problem, @essential)`,
  ).run({ ...p, requested: p.requested ? 1 : 0, held: p.held ? 1 : 0, relations: JSON.stringify(p.relations), problem: p.problem ?? null, essential: p.essential === undefined ? null : p.essential ? 1 : 0 });
}

/**
 * Whether the installed package `name`, at manifest `manifest`, is essential
 * as recorded when it landed; null when that was not recorded (it landed
 * before schema 6, or the state is an older one read as it is): the caller
 * reads its manifest instead.
 */
export function essentialRecorded(db: Database.Database, name: string, manifest: Digest): boolean | null {
  let v: unknown;
  try {
    v = stmt(db, 'SELECT essential FROM packages WHERE name = ? AND manifest = ?').pluck().get(name, manifest);
  } catch {
    return null;
  }
  return v === 1 ? true : v === 0 ? false : null;
}

export function deletePackage(db: Database.Database, name: string): void {
  stmt(db, 'DELETE FROM files WHERE package = ?').run(name);
  stmt(db, 'DELETE FROM dirs WHERE package = ?').run(name);
  stmt(db, 'DELETE FROM packages WHERE name = ?').run(name);
}

interface RawFile extends Omit<FileRow, 'config'> {
  config: number;
}

const toFile = (r: RawFile): FileRow => ({ ...r, config: r.config === 1 });

export function filesOf(db: Database.Database, name: string): FileRow[] {
  return (stmt(db, 'SELECT * FROM files WHERE package = ? ORDER BY path').all(name) as RawFile[]).map(toFile);
}

/**
 * A path of a package as the state records it, as a bare tuple: what `verify`
 * reads (not the whole row, and no object per row: 300,000 of them cost
 * their building and their collection).
 */
export type FileRecord = [path: string, type: FileRow['type'], digest: string | null, size: number | null, mode: number | null, uid: number | null, gid: number | null];

/** The file, link and hardlink rows of a package, one at a time, in path order (files_by_package holds them so: no sort). */
export function iterateFileRecords(db: Database.Database, name: string): IterableIterator<FileRecord> {
  return stmt(db, 'SELECT path, type, digest, size, mode, uid, gid FROM files WHERE package = ? ORDER BY path').raw().iterate(name) as IterableIterator<FileRecord>;
}

export function dirsOf(db: Database.Database, name: string): DirRow[] {
  return stmt(db, 'SELECT * FROM dirs WHERE package = ? ORDER BY path').all(name) as DirRow[];
}

export function allFiles(db: Database.Database): FileRow[] {
  return (stmt(db, 'SELECT * FROM files').all() as RawFile[]).map(toFile);
}

/**
 * The paths (files, links, hardlinks) one installed package owns, read along
 * the package index: what the solver's overlap check needs of the state for
 * an installed version no file index lists.
 */
export function packagePaths(db: Database.Database, name: string): string[] {
  return stmt(db, 'SELECT path FROM files WHERE package = ?').pluck().all(name) as string[];
}

/** How many installed paths are files (what `verify` may have to hash). */
export function countFiles(db: Database.Database): number {
  return (stmt(db, 'SELECT count(*) AS n FROM files').get() as { n: number }).n;
}

/** Regular files, links and hardlinks one installed package owns. */
export function countPackageFiles(db: Database.Database, name: string): number {
  return (stmt(db, 'SELECT count(*) AS n FROM files WHERE package = ?').get(name) as { n: number }).n;
}

/**
 * Up to `n` regular files with content (of one package, or of any), spread
 * over the first `n * 8` in path order: a cheap sample, read along an index,
 * never a scan of the table.
 */
export function sampleFilePaths(db: Database.Database, n: number, pkg?: string): string[] {
  const rows = (
    pkg === undefined
      ? stmt(db, "SELECT path FROM files WHERE type = 'file' AND size > 0 ORDER BY path LIMIT ?").pluck().all(n * 8)
      : stmt(db, "SELECT path FROM files WHERE package = ? AND type = 'file' AND size > 0 ORDER BY path LIMIT ?").pluck().all(pkg, n * 8)
  ) as string[];
  const step = Math.max(1, Math.floor(rows.length / n));
  return rows.filter((_, i) => i % step === 0).slice(0, n);
}

export function allDirs(db: Database.Database): DirRow[] {
  return stmt(db, 'SELECT * FROM dirs').all() as DirRow[];
}

/** The directory rows recorded at `path` (one per package that delivers or needs it). */
export function dirsAt(db: Database.Database, path: string): DirRow[] {
  return stmt(db, 'SELECT * FROM dirs WHERE path = ?').all(path) as DirRow[];
}

export function fileAt(db: Database.Database, path: string): FileRow | undefined {
  const r = stmt(db, 'SELECT * FROM files WHERE path = ?').get(path) as RawFile | undefined;
  return r ? toFile(r) : undefined;
}

/**
 * Rows of files whose last path component is one of `names`: one scan of the
 * table in SQLite (on 100,000 rows ~20 ms for one name, ~90 ms for any number,
 * the basename being what rtrim leaves after the last `/`), where reading
 * every row into JavaScript takes ~0.5 s. For one-off questions (`owns`) and
 * the twins of a small change (link-twins.ts).
 */
export function filesNamed(db: Database.Database, names: readonly string[]): FileRow[] {
  if (names.length === 0) return [];
  const rows =
    names.length === 1
      ? stmt(db, "SELECT * FROM files WHERE path = @name OR (length(path) > length(@name) AND substr(path, -length(@name) - 1) = '/' || @name)").all({ name: names[0] })
      : stmt(db, "SELECT * FROM files WHERE substr(path, length(rtrim(path, replace(path, '/', ''))) + 1) IN (SELECT value FROM json_each(?))").all(JSON.stringify(names));
  return (rows as RawFile[]).map(toFile);
}

export function dirOwners(db: Database.Database, path: string): DirRow[] {
  return stmt(db, 'SELECT * FROM dirs WHERE path = ? ORDER BY package').all(path) as DirRow[];
}

export function insertFiles(db: Database.Database, rows: readonly FileRow[]): void {
  const insert = stmt(
    db,
    'INSERT OR REPLACE INTO files (path, package, type, digest, size, mode, uid, gid, target, config) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  for (const r of rows) insert.run(r.path, r.package, r.type, r.digest, r.size, r.mode, r.uid, r.gid, r.target, r.config ? 1 : 0);
}

export function insertDirs(db: Database.Database, rows: readonly DirRow[]): void {
  const insert = stmt(db, 'INSERT OR REPLACE INTO dirs (path, package, mode, uid, gid, declared) VALUES (?, ?, ?, ?, ?, ?)');
  for (const r of rows) insert.run(r.path, r.package, r.mode, r.uid, r.gid, r.declared ? 1 : 0);
}

/** Paths delivered by installed packages whose path matches a LIKE pattern. */
export function searchFiles(db: Database.Database, like: string): { path: string; package: string }[] {
  return stmt(db, "SELECT path, package FROM files WHERE path LIKE ? ESCAPE '\\' ORDER BY path").all(like) as { path: string; package: string }[];
}

/** A package that moves from one version to another. */
export interface PackageMove {
  name: string;
  from: string;
  to: string;
}

/** What a transaction changed, by package: the `changes` of its history row. */
export interface TransactionChanges {
  install: { name: string; version: string }[];
  upgrade: PackageMove[];
  downgrade: PackageMove[];
  /** `replacedBy`: a package landing in the same transaction that renames it (replaces and conflicts with it). */
  remove: { name: string; version: string; replacedBy?: string }[];
  /**
   * Files that changed owner without their packages leaving: taken over by a
   * package that `replaces` their owner, or given back (give-back.ts). One
   * entry per pair of packages, with how many paths and the first of them.
   * Absent when none did (and in rows written before they were recorded).
   */
  takeovers?: Takeover[];
}

export interface Takeover {
  from: string;
  to: string;
  paths: number;
  /** The first path (in path order), to name one. */
  first: string;
}

/** `committed-with-errors`: committed, but a post-* hook or a service start failed. Both are generations. */
export type HistoryStatus = 'committed' | 'committed-with-errors';

export interface HistoryRow {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  command: string;
  status: HistoryStatus;
  changes: TransactionChanges;
  message: string | null;
  txid?: string | null;
  /** The generation: every package after this transaction. */
  packages?: GenerationPackage[] | null;
}

export interface GenerationPackage {
  name: string;
  version: string;
  manifest: Digest;
  remote: string | null;
  requested: boolean;
  held: boolean;
}

/** The installed set as a generation records it. */
export function currentGeneration(db: Database.Database): GenerationPackage[] {
  return listPackages(db).map((p) => ({ name: p.name, version: p.version, manifest: p.manifest, remote: p.remote, requested: p.requested, held: p.held }));
}

export function addHistory(db: Database.Database, row: Omit<HistoryRow, 'id'>): number {
  const r = stmt(db, 'INSERT INTO history (started_at, finished_at, command, status, changes, message, txid, packages) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run(row.startedAt, row.finishedAt, row.command, row.status, JSON.stringify(row.changes), row.message, row.txid ?? null, row.packages ? JSON.stringify(row.packages) : null);
  return Number(r.lastInsertRowid);
}

export function listHistory(db: Database.Database): HistoryRow[] {
  return (stmt(db, 'SELECT * FROM history ORDER BY id').all() as Record<string, unknown>[]).map((r) => ({
    id: r.id as number,
    startedAt: r.started_at as string,
    finishedAt: r.finished_at as string | null,
    command: r.command as string,
    status: r.status as HistoryStatus,
    changes: readChanges(r.changes as string),
    message: r.message as string | null,
    txid: (r.txid as string | null) ?? null,
    packages: r.packages ? (stateJson(v.array(v.looseObject({ name: v.string(), version: v.string() })), r.packages as string, `the packages of history row ${String(r.id)}`) as unknown as GenerationPackage[]) : null,
  }));
}

/** Rows written before downgrades were recorded apart lack `downgrade`: every kind is always present. */
function readChanges(text: string): TransactionChanges {
  const c = stateJson(CHANGES, text, 'the changes of a history row') as Partial<TransactionChanges>;
  return { install: c.install ?? [], upgrade: c.upgrade ?? [], downgrade: c.downgrade ?? [], remove: c.remove ?? [], ...(c.takeovers?.length ? { takeovers: c.takeovers } : {}) };
}

/** The history row id of a transaction by its journal id: present exactly when the transaction committed. */
export function historyIdOf(db: Database.Database, txid: string): number | undefined {
  return stmt(db, 'SELECT id FROM history WHERE txid = ?').pluck().get(txid) as number | undefined;
}

/** Generations whose package sets are still recorded (gc trims old ones), oldest first. */
export function listGenerations(db: Database.Database): (HistoryRow & { packages: GenerationPackage[] })[] {
  return listHistory(db).filter((h): h is HistoryRow & { packages: GenerationPackage[] } => Array.isArray(h.packages));
}

/** Drops the package sets of these generations: rollback can no longer reach them. */
export function trimGenerations(db: Database.Database, ids: readonly number[]): void {
  const clear = stmt(db, 'UPDATE history SET packages = NULL WHERE id = ?');
  db.transaction(() => {
    for (const id of ids) clear.run(id);
  })();
}

/** Records which packages were asked for by name (autoremove keeps those). */
export function setRequested(db: Database.Database, flags: readonly { name: string; requested: boolean }[]): void {
  const update = stmt(db, 'UPDATE packages SET requested = ? WHERE name = ?');
  db.transaction(() => {
    for (const f of flags) update.run(f.requested ? 1 : 0, f.name);
  })();
}

/** Holds keep packages at their installed version through install and update. */
export function setHeld(db: Database.Database, names: readonly string[], held: boolean): void {
  const update = stmt(db, 'UPDATE packages SET held = ? WHERE name = ?');
  db.transaction(() => {
    for (const n of names) update.run(held ? 1 : 0, n);
  })();
}
