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
import type { PathExpect, PathFinding } from '../fs/path-check.js';
import { isPathAction, parseMode, type FileAction, type Manifest, type PathAction } from '../core/manifest.js';
import type { Image } from '../image/image.js';
import { countFiles, getPackage, iterateFileRecords, listPackages, type FileRecord, type PackageRow } from '../image/state.js';
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
}

export async function verifyImage(image: Image, names: string[], options: VerifyOptions = {}): Promise<VerifyResult> {
  let rows: PackageRow[];
  let checker: PathChecker | undefined;
  let early: EarlyChecks;
  try {
    if (names.length) {
      rows = names.map((n) => {
        const r = getPackage(image.db, n);
        if (!r) throw new ZpkgError('E_NOT_INSTALLED', `${n} is not installed`);
        return r;
      });
    } else rows = listPackages(image.db);
    // Nothing under a directory that leads out of the image is read: the host is not the image.
    checker = new PathChecker(rows.length ? countFiles(image.db) : 0, undefined, realpathSync(image.paths.root));
    // The files the state records go to the workers first: they hash while the state is checked and the manifests are decoded.
    early = new EarlyChecks(image, rows, checker);
    options.stateCheck?.();
  } catch (err) {
    await checker?.close();
    options.stateCheck?.();
    throw err;
  }
  const result: VerifyResult = { packages: rows.length, paths: 0, absentByFacet: 0, problems: [], changedConfig: [] };
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

interface EarlyCheck {
  expect: PathExpect;
  found: Promise<Map<number, PathFinding>>;
  index: number;
}

/** `root` + `/` + an image path (already checked: relative, no `.`/`..`/`//`): join() normalizes, at a cost per path. */
const under = (root: string): ((path: string) => string) => {
  const prefix = root.endsWith('/') ? root : `${root}/`;
  return (path) => prefix + path;
};

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
  private readonly byPackage = new Map<string, Map<string, EarlyCheck>>();
  /** Each package's rows by path (owner ids, whether the path is still the package's). */
  readonly records = new Map<string, Map<string, FileRecord>>();

  constructor(image: Image, rows: readonly PackageRow[], checker: PathChecker) {
    const at = under(image.paths.root);
    for (const pkg of rows) {
      const records = new Map<string, FileRecord>();
      const checks = new Map<string, EarlyCheck>();
      this.records.set(pkg.name, records);
      this.byPackage.set(pkg.name, checks);
      let group: FileRecord[] = [];
      let weight = 0;
      const post = (): void => {
        const expects = group.map((r): PathExpect => ({ path: at(r.path), kind: 'file', size: r.size!, digest: r.digest!, mode: r.mode!, ...(r.uid != null ? { uid: r.uid } : {}), ...(r.gid != null ? { gid: r.gid } : {}) }));
        const found = checker.check(expects, undefined, expects.length);
        found.catch(() => undefined); // awaited where used
        group.forEach((r, index) => checks.set(r.path, { expect: expects[index]!, found, index }));
        group = [];
        weight = 0;
      };
      for (const r of iterateFileRecords(image.db, pkg.name)) {
        records.set(r.path, r);
        if (r.type !== 'file' || r.digest === null || r.size === null || r.mode === null) continue;
        group.push(r);
        weight += r.size + PER_FILE;
        if (weight >= EARLY_WEIGHT) post();
      }
      if (group.length) post();
    }
  }

  /** The early check of `pkg`'s path when it expected exactly what `e` expects. */
  matching(pkg: string, e: Entry): EarlyCheck | undefined {
    if (e.action.type !== 'file') return undefined;
    const x = this.byPackage.get(pkg)?.get(e.action.path);
    const y = e.expect;
    if (!x) return undefined;
    const a = x.expect;
    return a.path === y.path && a.kind === y.kind && a.size === y.size && a.digest === y.digest && a.mode === y.mode && a.uid === y.uid && a.gid === y.gid ? x : undefined;
  }
}

/** One path to check, with how to word what the check finds. */
interface Entry {
  pkg: string;
  action: PathAction;
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

/**
 * Builds one expectation per path of each package (Maps only: no scan of a
 * manifest per path) and hands the package's paths to the checker at once, so
 * the workers check one package while the next is prepared; then words the
 * findings as verify always has.
 */
async function verifyPackages(image: Image, rows: PackageRow[], result: VerifyResult, c: Context): Promise<void> {
  const add = (pkg: string, path: string, problem: string, config = false, kind: ProblemKind = 'path'): void => {
    (config ? result.changedConfig : result.problems).push({ kind, package: pkg, path, problem, ...(config ? { config } : {}) });
  };
  const onChecked = (n: number): void => {
    for (let i = 0; i < n; i++) c.onPath?.();
  };
  /** A part of a package's entries: those checked now (`fresh`, by index into `entries`) and those the early checks answer. */
  const checks: { entries: Entry[]; fresh: number[]; found: Promise<Map<number, PathFinding>>; reused: { i: number; early: EarlyCheck }[] }[] = [];
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
    const ids = c.early.records.get(pkg.name)!;
    let paths: Map<string, PathAction> | undefined;
    const pathsOf = (): Map<string, PathAction> => (paths ??= new Map(manifest.actions.filter(isPathAction).map((x) => [x.path, x])));
    // In parts, yielding after each: the workers start on the first part while the next is built.
    for (let at = 0; at < actions.length; at += PART) {
      const entries = packageEntries(image, pkg.name, pathsOf, actions.slice(at, at + PART), ids);
      const fresh: number[] = [];
      const reused: { i: number; early: EarlyCheck }[] = [];
      entries.forEach((e, i) => {
        const early = c.early.matching(pkg.name, e);
        if (early) reused.push({ i, early });
        else fresh.push(i);
      });
      const found = c.checker.check(fresh.map((i) => entries[i]!.expect), onChecked);
      found.catch(() => undefined); // awaited below, in order
      checks.push({ entries, fresh, found, reused });
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  for (const { entries, fresh, found, reused } of checks) {
    const findings = new Map<number, PathFinding>();
    const f = await found;
    fresh.forEach((i, k) => {
      const x = f.get(k);
      if (x) findings.set(i, x);
    });
    for (const { i, early } of reused) {
      const x = (await early.found).get(early.index);
      if (x) findings.set(i, x);
      c.onPath?.();
    }
    entries.forEach((e, i) => {
      const x = findings.get(i);
      if (x) report(e, x, (problem, config) => add(e.pkg, e.action.path, problem, config));
    });
  }
}

/** Paths per part handed to the checker at once: a few batches for each worker. */
const PART = 2048;

const inPathOrder = (actions: readonly PathAction[]): boolean => actions.every((a, i) => i === 0 || actions[i - 1]!.path < a.path);

/** `pathsOf`: the manifest's path actions by path (a hardlink's target is looked up there). */
function packageEntries(image: Image, pkg: string, pathsOf: () => ReadonlyMap<string, PathAction>, actions: PathAction[], fileRows: ReadonlyMap<string, { uid: number | null; gid: number | null }>): Entry[] {
  const at = under(image.paths.root);
  const ids = (r: { uid: number | null; gid: number | null } | undefined): Pick<PathExpect, 'uid' | 'gid'> => ({
    ...(r?.uid != null ? { uid: r.uid } : {}),
    ...(r?.gid != null ? { gid: r.gid } : {}),
  });
  return actions.map((a): Entry => {
    const path = at(a.path);
    // A directory's kind and mode are checked, not its owner (verify never has).
    if (a.type === 'dir') return { pkg, action: a, expect: { path, kind: 'dir', mode: parseMode(a.mode) } };
    const row = fileRows.get(a.path);
    // Another package owns the path now: only its presence is this package's to check.
    if (!row) return { pkg, action: a, expect: { path, kind: 'any' } };
    if (a.type === 'link') return { pkg, action: a, expect: { path, kind: 'link', target: a.target, ...ids(row) } };
    let f: PathAction | undefined = a;
    if (a.type === 'hardlink') f = pathsOf().get(a.target);
    if (f?.type !== 'file') return { pkg, action: a, expect: { path, kind: 'any' }, whenPresent: 'hardlink target is not a file of the package' };
    return { pkg, action: a, file: f, expect: { path, kind: 'file', size: f.size, digest: f.digest, mode: parseMode(f.mode), ...ids(row) } };
  });
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
