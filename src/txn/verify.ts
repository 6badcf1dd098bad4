/**
 * `verify`: installed paths against the manifests they came from. The manifest
 * is read from the image cache and must hash to the digest recorded at install
 * (which the repository's catalog named), so a check cannot be satisfied by
 * editing the cached manifest. Checked: type, digest, size, mode, owner, group,
 * link target. Changes to config files are reported apart: they are expected.
 */
import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ZpkgError } from '../core/errors.js';
import { excludedPaths, type FacetSettings } from '../core/facets.js';
import { imageFacets } from './facets.js';
import { installedMediatedOut } from './mediate.js';
import { HashPool } from '../fs/hash-pool.js';
import { isPathAction, parseMode, type Manifest } from '../core/manifest.js';
import type { Image } from '../image/image.js';
import { countFiles, dirsOf, filesOf, getPackage, listPackages, type PackageRow } from '../image/state.js';
import { pendingJournals } from './journal.js';
import { pendingLifecycles } from './resume.js';
import { readCachedManifest } from '../image/cache.js';
import { forEachLimited } from './concurrency.js';

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
  const { onPath } = options;
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
  // Installed files are hashed on every core, in batches, with synchronous reads (fs/hash-pool.ts).
  const hashes = new HashPool(rows.length ? countFiles(image.db) : 0);
  try {
    const facets = imageFacets(image);
    // Mediated links of implementations the image did not choose are absent on purpose too (txn/mediate.ts).
    const mediatedOut = installedMediatedOut(image, names.length ? listPackages(image.db) : rows, facets, options.manifests);
    await verifyPackages(image, rows, result, hashes, options, facets, mediatedOut);
  } finally {
    await hashes.close();
  }
  const order = (x: VerifyProblem, y: VerifyProblem): number => (x.package < y.package ? -1 : x.package > y.package ? 1 : x.path < y.path ? -1 : 1);
  result.problems.sort(order);
  result.changedConfig.sort(order);
  return result;
}

async function verifyPackages(image: Image, rows: PackageRow[], result: VerifyResult, hashes: HashPool, options: VerifyOptions, facets: FacetSettings, mediatedOut: ReadonlyMap<string, Set<string>>): Promise<void> {
  const { onPath } = options;
  for (const pkg of rows) {
    const add = (path: string, problem: string, config = false, kind: ProblemKind = 'path'): void => {
      (config ? result.changedConfig : result.problems).push({ kind, package: pkg.name, path, problem, ...(config ? { config } : {}) });
    };
    // A post-* hook or a service start failed for it: files may be right, the package is not set up.
    if (pkg.problem) add('', `not fully set up: ${pkg.problem}`, false, 'setup');
    let manifest = options.manifests?.get(pkg.manifest);
    try {
      manifest ??= readCachedManifest(image.paths.cache, pkg.manifest);
    } catch (err) {
      add('', `its manifest in the cache is corrupt: ${(err as Error).message}`, false, 'manifest');
      continue;
    }
    if (!manifest) {
      add('', `its manifest ${pkg.manifest} is missing from the image cache`, false, 'manifest');
      continue;
    }
    const fileRows = new Map(filesOf(image.db, pkg.name).map((f) => [f.path, f]));
    const dirRows = new Map(dirsOf(image.db, pkg.name).map((d) => [d.path, d]));
    const absent = excludedPaths(manifest, facets);
    result.absentByFacet += absent.size;
    for (const p of mediatedOut.get(pkg.name) ?? []) absent.add(p);
    const actions = manifest.actions.filter((a) => isPathAction(a) && !absent.has(a.path)).filter(isPathAction);
    result.paths += actions.length;
    await forEachLimited(actions, 256, async (a) => {
      onPath?.();
      const abs = join(image.paths.root, a.path);
      const st = await lstat(abs).catch(() => null);
      if (!st) return add(a.path, 'missing');
      const row = a.type === 'dir' ? undefined : fileRows.get(a.path);
      if (a.type !== 'dir' && row?.package !== pkg.name) return;
      const ids = a.type === 'dir' ? dirRows.get(a.path) : row;
      const checkOwner = (): void => {
        if (ids?.uid != null && st.uid !== ids.uid) add(a.path, `owner is uid ${st.uid}, expected ${ids.uid}`);
        if (ids?.gid != null && st.gid !== ids.gid) add(a.path, `group is gid ${st.gid}, expected ${ids.gid}`);
      };
      switch (a.type) {
        case 'dir':
          if (!st.isDirectory() && !st.isSymbolicLink()) return add(a.path, 'is no longer a directory');
          if (st.isDirectory() && (st.mode & 0o7777) !== parseMode(a.mode)) add(a.path, `mode is ${mode4(st.mode)}, expected ${a.mode}`);
          return;
        case 'link': {
          if (!st.isSymbolicLink()) return add(a.path, 'is no longer a symlink');
          const target = await readlink(abs);
          if (target !== a.target) add(a.path, `link target is \`${target}\`, expected \`${a.target}\``);
          return checkOwner();
        }
        case 'file':
        case 'hardlink': {
          const f = a.type === 'file' ? a : manifest.actions.find((x) => isPathAction(x) && x.path === a.target);
          if (!f || f.type !== 'file') return add(a.path, 'hardlink target is not a file of the package');
          if (!st.isFile()) return add(a.path, 'is no longer a regular file');
          const config = f.config === true;
          if (st.size !== f.size) add(a.path, `size is ${st.size}, expected ${f.size}`, config);
          else {
            const digest = await hashes.digest(abs);
            if (digest !== f.digest) add(a.path, `content differs (digest ${digest}, expected ${f.digest})`, config);
          }
          if ((st.mode & 0o7777) !== parseMode(f.mode)) add(a.path, `mode is ${mode4(st.mode)}, expected ${f.mode}`);
          return checkOwner();
        }
      }
    });
  }
}
