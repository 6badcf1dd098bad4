/**
 * `verify`: installed paths against the manifests they came from. The manifest
 * is read from the image cache and must hash to the digest recorded at install
 * (which the repository's catalog named), so a check cannot be satisfied by
 * editing the cached manifest. Checked: type, digest, size, mode, owner, group,
 * link target. Changes to config files are reported apart: they are expected.
 */
import { join } from 'node:path';
import { ZpkgError } from '../core/errors.js';
import { excludedPaths, type FacetSettings } from '../core/facets.js';
import { imageFacets } from './facets.js';
import { installedMediatedOut } from './mediate.js';
import { realpathSync } from 'node:fs';
import { PathChecker } from '../fs/check-paths.js';
import type { PathExpect, PathFinding } from '../fs/path-check.js';
import { isPathAction, parseMode, type FileAction, type Manifest, type PathAction } from '../core/manifest.js';
import type { Image } from '../image/image.js';
import { countFiles, fileIdsOf, getPackage, listPackages, type PackageRow } from '../image/state.js';
import { pendingJournals } from './journal.js';
import { pendingLifecycles } from './resume.js';
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
}

export async function verifyImage(image: Image, names: string[], options: VerifyOptions = {}): Promise<VerifyResult> {
  let rows: PackageRow[];
  if (names.length) {
    rows = names.map((n) => {
      const r = getPackage(image.db, n);
      if (!r) throw new ZpkgError('E_NOT_INSTALLED', `${n} is not installed`);
      return r;
    });
  } else rows = listPackages(image.db);
  const result: VerifyResult = { packages: rows.length, paths: 0, absentByFacet: 0, problems: [], changedConfig: [] };
  for (const j of pendingJournals(image.paths.work)) {
    result.problems.push({ kind: 'interrupted', package: '', path: '', problem: `transaction ${j.txid} (${j.command}) was interrupted: files and state may disagree until \`zpkg recover\` (or any changing command) finishes or undoes it` });
  }
  for (const txid of pendingLifecycles(image.paths.root)) {
    result.problems.push({ kind: 'interrupted', package: '', path: '', problem: `transaction ${txid} was interrupted before its post-hooks and service starts (or restarts) ran: \`zpkg recover\` (or any changing command) runs them` });
  }
  // The workers boot while the manifests are decoded (fs/check-paths.ts).
  // Nothing under a directory that leads out of the image is read: the host is not the image.
  const checker = new PathChecker(rows.length ? countFiles(image.db) : 0, undefined, realpathSync(image.paths.root));
  try {
    const manifests = new CachedManifests(image, options.manifests);
    const facets = imageFacets(image);
    // Mediated links of implementations the image did not choose are absent on purpose too (txn/mediate.ts).
    const all = names.length ? listPackages(image.db) : rows;
    const mediatedOut = installedMediatedOut(image, all, facets, manifests.readable(all));
    await verifyPackages(image, rows, result, { onPath: options.onPath, checker, cached: manifests, facets, mediatedOut });
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
  const checks: { entries: Entry[]; found: Promise<Map<number, PathFinding>> }[] = [];
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
    const ids = fileIdsOf(image.db, pkg.name);
    let paths: Map<string, PathAction> | undefined;
    const pathsOf = (): Map<string, PathAction> => (paths ??= new Map(manifest.actions.filter(isPathAction).map((x) => [x.path, x])));
    // In parts, yielding after each: the workers start on the first part while the next is built.
    for (let at = 0; at < actions.length; at += PART) {
      const entries = packageEntries(image, pkg.name, pathsOf, actions.slice(at, at + PART), ids);
      const found = c.checker.check(entries.map((e) => e.expect), onChecked);
      found.catch(() => undefined); // awaited below, in order
      checks.push({ entries, found });
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  for (const { entries, found } of checks) {
    const f = await found;
    entries.forEach((e, i) => {
      const x = f.get(i);
      if (x) report(e, x, (problem, config) => add(e.pkg, e.action.path, problem, config));
    });
  }
}

/** Paths per part handed to the checker at once: a few batches for each worker. */
const PART = 2048;

const inPathOrder = (actions: readonly PathAction[]): boolean => actions.every((a, i) => i === 0 || actions[i - 1]!.path < a.path);

/** `pathsOf`: the manifest's path actions by path (a hardlink's target is looked up there). */
function packageEntries(image: Image, pkg: string, pathsOf: () => ReadonlyMap<string, PathAction>, actions: PathAction[], fileRows: ReadonlyMap<string, { uid: number | null; gid: number | null }>): Entry[] {
  const root = image.paths.root;
  const ids = (r: { uid: number | null; gid: number | null } | undefined): Pick<PathExpect, 'uid' | 'gid'> => ({
    ...(r?.uid != null ? { uid: r.uid } : {}),
    ...(r?.gid != null ? { gid: r.gid } : {}),
  });
  return actions.map((a): Entry => {
    const path = join(root, a.path);
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
