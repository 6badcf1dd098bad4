/**
 * `verify`: installed paths against the manifests they came from. The manifest
 * is read from the image cache and must hash to the digest recorded at install
 * (which the repository's catalog named), so a check cannot be satisfied by
 * editing the cached manifest. Checked: type, digest, size, mode, owner, group,
 * link target. Changes to config files are reported apart: they are expected.
 */
import { ZpkgError } from '../core/errors.js';
import { excludedPaths, type FacetSettings } from '../core/facets.js';
import { imageFacets } from './facets.js';
import { installedMediatedOut } from './mediate.js';
import { realpathSync } from 'node:fs';
import { PathChecker } from '../fs/check-paths.js';
import { checkReaders } from '../fs/cold-readers.js';
import { ExpectList } from '../fs/expect-list.js';
import type { PathExpect, PathFinding } from '../fs/path-check.js';
import { isPathAction, parseMode, type FileAction, type Manifest, type PathAction } from '../core/manifest.js';
import type { Image } from '../image/image.js';
import { countFiles, countPackageFiles, getPackage, iterateFileRecords, listPackages, sampleFilePaths, type FileRecord, type PackageRow } from '../image/state.js';
import { pendingJournals } from './journal.js';
import { pendingLifecycles } from '../hooks/pending-dir.js';
import { readCachedManifest } from '../image/cache.js';

/**
 * What a problem is about: a `path` that differs from its manifest (what `fix`
 * rewrites); the package's cached `manifest` (missing or damaged); its `setup`
 * (a post-* hook or a service start failed); an `interrupted` transaction.
 */
export type ProblemKind = 'path' | 'manifest' | 'setup' | 'interrupted';

export interface VerifyProblem {
  kind: ProblemKind;
  package: string;
  /** The image path; empty for a problem that is not about one path. */
  path: string;
  problem: string;
  /** A changed config file: reported, not a failure. */
  config?: boolean;
}

export interface VerifyResult {
  packages: number;
  paths: number;
  /** Paths the manifests deliver that the image's facets leave out: absent on purpose, not checked. */
  absentByFacet: number;
  problems: VerifyProblem[];
  changedConfig: VerifyProblem[];
  /** The check workers the files were read by, and whether they were judged to come from a disk (absent: read on this thread). */
  readers?: { workers: number; fromDisk: boolean };
}

const mode4 = (m: number): string => (m & 0o7777).toString(8).padStart(4, '0');

export interface VerifyOptions {
  onPath?: () => void;
  /** Manifests to check against instead of the cached ones (fix, after fetching a damaged one again). */
  manifests?: ReadonlyMap<string, Manifest>;
  /**
   * The state's quick_check when the image was opened without it
   * (openImageForReadingUnchecked): run once the file records are with the
   * workers. Whatever went wrong before it is reported only after it passes,
   * so a damaged state is answered E_STATE_CORRUPT, never with what it held.
   */
  stateCheck?: () => void;
  /** One thread's estimated µs of checking at which check workers start (fs/check-work.ts; default WORKERS_MIN_US; 0: always). */
  minWork?: number;
}

export async function verifyImage(image: Image, names: string[], options: VerifyOptions = {}): Promise<VerifyResult> {
  let rows: PackageRow[];
  let checker: PathChecker | undefined;
  let early: EarlyChecks;
  let readersUsed: VerifyResult['readers'];
  try {
    if (names.length) {
      rows = names.map((n) => {
        const r = getPackage(image.db, n);
        if (!r) throw new ZpkgError('E_NOT_INSTALLED', `${n} is not installed`);
        return r;
      });
    } else rows = listPackages(image.db);
    // The files to check, of the packages named or of every package, and their bytes as each package's row records them (no scan of the file rows).
    const pkgs = names.length ? rows.map((r) => r.name) : undefined;
    const files = pkgs ? pkgs.reduce((n, p) => n + countPackageFiles(image.db, p), 0) : rows.length ? countFiles(image.db) : 0;
    const bytes = rows.reduce((n, r) => n + r.size, 0);
    // Nothing under a directory that leads out of the image is read: the host is not the image.
    const realRoot = realpathSync(image.paths.root);
    // Workers for enough work, more than cores when the files come from a disk (fs/cold-readers.ts); before any task is posted, so all share them.
    const prefix = prefixOf(image.paths.root);
    const sample = (): string[] => sampleFilePaths(image.db, PROBE_FILES, pkgs?.[0]).map((p) => prefix + p);
    const { readers, fromDisk } = checkReaders(files, bytes, sample, realRoot, options.minWork);
    checker = new PathChecker(readers, realRoot);
    if (checker.onWorkers) readersUsed = { workers: checker.workers, fromDisk };
    // The files the state records go to the workers first: they hash while the state is checked and the manifests are decoded.
    early = new EarlyChecks(image, rows, checker);
    options.stateCheck?.();
  } catch (err) {
    await checker?.close();
    options.stateCheck?.();
    throw err;
  }
  const result: VerifyResult = { packages: rows.length, paths: 0, absentByFacet: 0, problems: [], changedConfig: [], readers: readersUsed };
  try {
    for (const j of pendingJournals(image.paths.work)) {
      result.problems.push({ kind: 'interrupted', package: '', path: '', problem: `transaction ${j.txid} (${j.command}) was interrupted: files and state may disagree until \`zpkg recover\` (or any changing command) finishes or undoes it` });
    }
    for (const txid of pendingLifecycles(image.paths.root)) {
      result.problems.push({ kind: 'interrupted', package: '', path: '', problem: `transaction ${txid} was interrupted before its post-hooks and service starts (or restarts) ran: \`zpkg recover\` (or any changing command) runs them` });
    }
    const manifests = new CachedManifests(image, options.manifests);
    const facets = imageFacets(image);
    // Mediated links of implementations the image did not choose are absent on purpose too (txn/mediate.ts).
    const all = names.length ? listPackages(image.db) : rows;
    const mediatedOut = installedMediatedOut(image, all, facets, manifests.readable(all));
    await verifyPackages(image, rows, result, { onPath: options.onPath, checker, early, cached: manifests, facets, mediatedOut });
  } finally {
    await checker.close();
  }
  // Stable: the problems of one path keep the order they were found in.
  const order = (x: VerifyProblem, y: VerifyProblem): number => (x.package < y.package ? -1 : x.package > y.package ? 1 : x.path < y.path ? -1 : x.path > y.path ? 1 : 0);
  result.problems.sort(order);
  result.changedConfig.sort(order);
  return result;
}

/**
 * The cached manifests of installed packages, each read, checked against its
 * digest and decoded once (a 20,000-path manifest costs as much to decode as
 * its files cost to hash): mediation and the path checks share them.
 */
class CachedManifests {
  private readonly read = new Map<string, Manifest | Error | undefined>();

  constructor(private readonly image: Image, given?: ReadonlyMap<string, Manifest>) {
    for (const [d, m] of given ?? []) this.read.set(d, m);
  }

  /** The manifest; undefined when it is not cached; an Error when its bytes are damaged. */
  get(digest: PackageRow['manifest']): Manifest | Error | undefined {
    if (!this.read.has(digest)) {
      let m: Manifest | Error | undefined;
      try {
        m = readCachedManifest(this.image.paths.cache, digest);
      } catch (err) {
        m = err as Error;
      }
      this.read.set(digest, m);
    }
    return this.read.get(digest);
  }

  /** The manifests of `rows` that could be read, by digest. */
  readable(rows: readonly PackageRow[]): Map<string, Manifest> {
    const out = new Map<string, Manifest>();
    for (const r of rows) {
      const m = this.get(r.manifest);
      if (m && !(m instanceof Error)) out.set(r.manifest, m);
    }
    return out;
  }
}

/** What a file costs a check worker besides its bytes (lstat, open, close), in bytes of hashing: ~40 µs at ~1.3 GB/s. */
export const PER_FILE = 64 << 10;
/**
 * The weight of an early task (bytes + PER_FILE per file): the first is
 * posted after a few hundred records, so reading starts at once; ~100 tasks
 * for the bench tree keep the two workers within a task of each other.
 */
export const EARLY_WEIGHT = 16 << 20;

/** `root` + `/`: what the paths of an ExpectList are relative to. */
const prefixOf = (root: string): string => (root.endsWith('/') ? root : `${root}/`);
/** Files timed to judge whether the image is read from a disk (fs/cold-readers.ts). */
const PROBE_FILES = 16;

/** A FileRecord's columns. */
const PATH = 0;
const TYPE = 1;
const DIGEST = 2;
const SIZE = 3;
const MODE = 4;
const UID = 5;
const GID = 6;

/**
 * One package's rows as the state records them, and where each regular
 * file's early check is. A regular file's row is kept only as its early
 * check (the list's columns hold what the row said): 300,000 row arrays
 * kept alive cost their promotion and collection.
 */
class PackageRecords {
  /** Each row's path, in the rows' order. */
  readonly paths: string[] = [];
  /** By row: the index of its early check in `list`, or -1 (not a regular file: its row is in `others`). */
  readonly early: number[] = [];
  /** The rows with no early check (links, hardlinks, a file row missing a field), by row. */
  readonly others = new Map<number, FileRecord>();
  /** The early checks' findings, by the index of their first check. */
  readonly found: { from: number; found: Promise<Map<number, PathFinding>> }[] = [];
  private byPath: Map<string, number> | undefined;
  private cursor = 0;

  constructor(readonly list: ExpectList) {}

  /** Row `row` as the state recorded it. */
  record(row: number): FileRecord {
    const e = this.early[row]!;
    if (e < 0) return this.others.get(row)!;
    const l = this.list;
    return [this.paths[row]!, 'file', l.digest(e)!, l.size(e)!, l.mode(e)!, l.uid(e) ?? null, l.gid(e) ?? null];
  }

  /**
   * The row of `path`, or -1 when the package holds no row there. Asked in
   * the manifest's path order, which is the rows' order but for names the
   * two orders sort apart (UTF-8 bytes against UTF-16 units): the next row
   * answers without a lookup, anything else is looked up by path.
   */
  rowOf(path: string): number {
    const paths = this.paths;
    if (this.cursor < paths.length && paths[this.cursor] === path) return this.cursor++;
    this.byPath ??= new Map(paths.map((p, i) => [p, i]));
    const i = this.byPath.get(path);
    if (i === undefined) return -1;
    this.cursor = i + 1;
    return i;
  }

  /** The early checks' findings by early index; only paths that differ. */
  async findings(): Promise<Map<number, PathFinding>> {
    const out = new Map<number, PathFinding>();
    for (const { from, found } of this.found) for (const [i, f] of await found) out.set(from + i, f);
    return out;
  }
}

/**
 * Each package's regular files as the state records them (size, digest,
 * mode, owner), checked before any manifest is decoded: posted in tasks as
 * the records are read (in path order, so a task is mostly whole
 * directories), every one at once (PathChecker: the workers need nothing
 * more from this thread while it decodes). A path's early finding stands
 * only where the manifest's expectation turns out the same in every field —
 * the state was written from that manifest, so it always does unless the
 * state is damaged; any other path is checked against the manifest. What is
 * found is the same either way; only when the hashing starts differs.
 */
class EarlyChecks {
  readonly byPackage = new Map<string, PackageRecords>();

  constructor(image: Image, rows: readonly PackageRow[], checker: PathChecker) {
    const prefix = prefixOf(image.paths.root);
    for (const pkg of rows) {
      const records = new PackageRecords(new ExpectList(prefix));
      this.byPackage.set(pkg.name, records);
      const { list } = records;
      let from = 0;
      let weight = 0;
      const post = (): void => {
        const found = checker.check(list, undefined, list.length - from, from, list.length);
        found.catch(() => undefined); // awaited where used
        records.found.push({ from, found });
        from = list.length;
        weight = 0;
      };
      for (const r of iterateFileRecords(image.db, pkg.name)) {
        const size = r[SIZE];
        const digest = r[DIGEST];
        const mode = r[MODE];
        if (r[TYPE] !== 'file' || digest === null || size === null || mode === null) {
          records.others.set(records.paths.length, r);
          records.paths.push(r[PATH]);
          records.early.push(-1);
          continue;
        }
        records.paths.push(r[PATH]);
        records.early.push(list.length);
        list.addFile(r[PATH], size, digest, mode, r[UID], r[GID]);
        weight += size + PER_FILE;
        if (weight >= EARLY_WEIGHT) post();
      }
      if (list.length > from) post();
    }
  }
}

/** One path to check, with how to word what the check finds. */
interface Entry {
  pkg: string;
  action: PathAction;
  /** `path` relative to the image root. */
  expect: PathExpect;
  /** The file action a file or hardlink is checked against (its mode and config flag). */
  file?: FileAction;
  /** Reported when the path exists: what is wrong with the manifest's entry itself. */
  whenPresent?: string;
}

interface Context {
  onPath?: () => void;
  checker: PathChecker;
  early: EarlyChecks;
  cached: CachedManifests;
  facets: FacetSettings;
  mediatedOut: ReadonlyMap<string, Set<string>>;
}

/** Paths whose early check stands, as two parallel lists (no object per path): the manifest's action and the early check's index. */
interface Reused {
  actions: PathAction[];
  early: number[];
}

/**
 * Goes through each package's manifest in path order: a regular file whose
 * row expected exactly what the manifest expects takes its early check (no
 * object built); every other path gets an expectation, handed to the
 * checker in parts, so the workers check one part while the next is
 * prepared. Then words the findings as verify always has.
 */
async function verifyPackages(image: Image, rows: PackageRow[], result: VerifyResult, c: Context): Promise<void> {
  const add = (pkg: string, path: string, problem: string, config = false, kind: ProblemKind = 'path'): void => {
    (config ? result.changedConfig : result.problems).push({ kind, package: pkg, path, problem, ...(config ? { config } : {}) });
  };
  const onChecked = (n: number): void => {
    for (let i = 0; i < n; i++) c.onPath?.();
  };
  const prefix = prefixOf(image.paths.root);
  /** A part of a package's paths checked now, with the entries they were built from. */
  const checks: { entries: Entry[]; found: Promise<Map<number, PathFinding>> }[] = [];
  const reusedOf: { pkg: string; records: PackageRecords; reused: Reused; entryOf: (a: PathAction, row: number) => Entry }[] = [];
  for (const pkg of rows) {
    // A post-* hook or a service start failed for it: files may be right, the package is not set up.
    if (pkg.problem) add(pkg.name, '', `not fully set up: ${pkg.problem}`, false, 'setup');
    const manifest = c.cached.get(pkg.manifest);
    if (manifest instanceof Error) {
      add(pkg.name, '', `its manifest in the cache is corrupt: ${manifest.message}`, false, 'manifest');
      continue;
    }
    if (!manifest) {
      add(pkg.name, '', `its manifest ${pkg.manifest} is missing from the image cache`, false, 'manifest');
      continue;
    }
    const absent = excludedPaths(manifest, c.facets);
    result.absentByFacet += absent.size;
    for (const p of c.mediatedOut.get(pkg.name) ?? []) absent.add(p);
    const actions = manifest.actions.filter(isPathAction).filter((a) => !absent.has(a.path));
    result.paths += actions.length;
    // By path: a batch is then mostly one directory's entries (a canonical manifest is in path order already).
    if (!inPathOrder(actions)) actions.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
    const records = c.early.byPackage.get(pkg.name)!;
    let paths: Map<string, PathAction> | undefined;
    const pathsOf = (): Map<string, PathAction> => (paths ??= new Map(manifest.actions.filter(isPathAction).map((x) => [x.path, x])));
    const entryOf = (a: PathAction, row: number): Entry => entryFor(pkg.name, pathsOf, a, row < 0 ? undefined : records.record(row));
    const reused: Reused = { actions: [], early: [] };
    reusedOf.push({ pkg: pkg.name, records, reused, entryOf });
    let entries: Entry[] = [];
    let list = new ExpectList(prefix);
    const flush = (): void => {
      const found = c.checker.check(list, onChecked);
      found.catch(() => undefined); // awaited below, in order
      checks.push({ entries, found });
      entries = [];
      list = new ExpectList(prefix);
    };
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i]!;
      const row = a.type === 'dir' ? -1 : records.rowOf(a.path);
      const early = row < 0 ? -1 : records.early[row]!;
      if (early >= 0 && a.type === 'file') {
        const l = records.list;
        if (l.size(early) === a.size && l.digest(early) === a.digest && l.mode(early) === parseMode(a.mode)) {
          reused.actions.push(a);
          reused.early.push(early);
          continue;
        }
      }
      const e = entryOf(a, row);
      entries.push(e);
      list.add(e.expect);
      // In parts, yielding after each: the workers start on the first part while the next is built.
      if (list.length >= PART) {
        flush();
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    if (list.length) flush();
  }
  for (const { entries, found } of checks) {
    const f = await found;
    entries.forEach((e, i) => {
      const x = f.get(i);
      if (x) report(e, x, (problem, config) => add(e.pkg, e.action.path, problem, config));
    });
  }
  for (const { pkg, records, reused, entryOf } of reusedOf) {
    if (!reused.actions.length) continue;
    const f = await records.findings();
    reused.actions.forEach((a, i) => {
      c.onPath?.();
      const x = f.get(reused.early[i]!);
      if (!x) return;
      const e = entryOf(a, records.rowOf(a.path));
      report(e, x, (problem, config) => add(pkg, a.path, problem, config));
    });
  }
}

/** Paths per part handed to the checker at once: a few batches for each worker. */
const PART = 2048;

const inPathOrder = (actions: readonly PathAction[]): boolean => actions.every((a, i) => i === 0 || actions[i - 1]!.path < a.path);

/**
 * The expectation of one of `pkg`'s paths (relative to the image root), from
 * its manifest action and its row in the state (undefined: the package holds
 * no row there). `pathsOf`: the manifest's path actions by path (a
 * hardlink's target is looked up there).
 */
function entryFor(pkg: string, pathsOf: () => ReadonlyMap<string, PathAction>, a: PathAction, row: FileRecord | undefined): Entry {
  const path = a.path;
  // A directory's kind and mode are checked, not its owner (verify never has).
  if (a.type === 'dir') return { pkg, action: a, expect: { path, kind: 'dir', mode: parseMode(a.mode) } };
  // Another package owns the path now: only its presence is this package's to check.
  if (!row) return { pkg, action: a, expect: { path, kind: 'any' } };
  const ids: Pick<PathExpect, 'uid' | 'gid'> = {
    ...(row[UID] != null ? { uid: row[UID] } : {}),
    ...(row[GID] != null ? { gid: row[GID] } : {}),
  };
  if (a.type === 'link') return { pkg, action: a, expect: { path, kind: 'link', target: a.target, ...ids } };
  let f: PathAction | undefined = a;
  if (a.type === 'hardlink') f = pathsOf().get(a.target);
  if (f?.type !== 'file') return { pkg, action: a, expect: { path, kind: 'any' }, whenPresent: 'hardlink target is not a file of the package' };
  return { pkg, action: a, file: f, expect: { path, kind: 'file', size: f.size, digest: f.digest, mode: parseMode(f.mode), ...ids } };
}

/** Words a finding, in the order verify has always reported them: kind, size or content, mode, owner, group. */
function report(e: Entry, f: PathFinding, add: (problem: string, config?: boolean) => void): void {
  if (f.missing) return add('missing');
  if (f.outside) return add('lies under a symlink that leads out of the image: not read');
  if (e.whenPresent) return add(e.whenPresent);
  const a = e.action;
  if (f.kind) return add(a.type === 'dir' ? 'is no longer a directory' : a.type === 'link' ? 'is no longer a symlink' : 'is no longer a regular file');
  const config = e.file?.config === true;
  if (f.target !== undefined && a.type === 'link') add(`link target is \`${f.target}\`, expected \`${a.target}\``);
  if (f.size !== undefined) add(`size is ${f.size}, expected ${e.expect.size}`, config);
  if (f.digest !== undefined) add(`content differs (digest ${f.digest}, expected ${e.expect.digest})`, config);
  if (f.unreadable !== undefined) add(`cannot be read: ${f.unreadable}`);
  if (f.mode !== undefined) add(`mode is ${mode4(f.mode)}, expected ${a.type === 'dir' ? a.mode : e.file!.mode}`);
  if (f.uid !== undefined) add(`owner is uid ${f.uid}, expected ${e.expect.uid}`);
  if (f.gid !== undefined) add(`group is gid ${f.gid}, expected ${e.expect.gid}`);
}
