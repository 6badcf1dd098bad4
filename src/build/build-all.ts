/**
 * A build run: several recipes (`zpkg build DIR...`, or every recipe under a
 * directory with `--all`) built one after the other, skipping those that are
 * up to date (build-state.ts), then published together in one repository
 * version, so a run never leaves half of a set published. With `isolate`
 * (`--all`) a failing recipe is recorded and the others go on; without it the
 * first failure is thrown and nothing is published. `--all` ends with the
 * consistency check of `zpkg repo check` over the result.
 */
import { existsSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { entryKey, type Candidate } from '../core/catalog.js';
import type { Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { threadBudget } from '../fs/threads.js';
import { toZpkgError, type Report } from '../report/report.js';
import { formatBytes } from '../report/table.js';
import { entryFromManifest } from '../repo/catalog-codec.js';
import { repositoryBlobs } from '../repo/content.js';
import { openRepoWriter } from '../repo/open.js';
import type { RepoWriter } from '../repo/backend.js';
import { PackBuilder, type BlobFile } from '../repo/pack-build.js';
import { publishPackages, scratchDirOf, scratchFor, type PublishResult } from '../repo/publish.js';
import { MAX_SPAN } from '../repo/repack.js';
import type { Signer } from '../repo/trust/sign.js';
import { readCandidates, readRoot, readSnapshot } from '../repo/snapshot.js';
import { archGroups } from '../solver/admit.js';
import { buildPool, checkInstallable, type Uninstallable } from '../solver/index.js';
import { buildRecipe, type StagedBuild } from './build.js';
import { buildLog, ensureStateDir, inputDigest, readBuildState, writeBuildState } from './build-state.js';
import { forgetFiles, hashTree, type Speculation } from './file-digests.js';
import { loadRecipe, RECIPE_FILE, type Recipe } from './recipe.js';

export interface BuildRunOptions {
  /** Keys that sign the repository's new root metadata. */
  signer?: Signer;
  /** Bearer token when the repository is a depot. */
  token?: string;
  /** Repository directory to publish into; without it nothing is published or recorded and every recipe is built. */
  repo?: string;
  replace?: boolean;
  level?: number;
  /** Build even what is up to date. */
  force?: boolean;
  /** Record a failing recipe and go on with the others (`--all`), instead of stopping at it. */
  isolate: boolean;
  /** End with the installability check of the whole result. */
  check: boolean;
  sourceCache: string;
  report: Report;
  signal?: AbortSignal;
}

export interface BuiltEntry {
  name: string;
  version: string;
  dir: string;
  manifest: Digest;
  files: number;
  bytes: number;
  /** What publishing did with it: added, replaced, or unchanged (the same manifest was already there). */
  status?: PublishResult['packages'][number]['status'];
}

export interface UpToDateEntry {
  name: string;
  version: string;
  dir: string;
  manifest: Digest;
}

export interface FailedEntry {
  /** Absent when the recipe could not even be read. */
  name?: string;
  dir: string;
  error: { code: string; message: string; hint?: string; log?: string; tail?: string[] };
}

export interface CheckResult {
  packages: number;
  uninstallable: (Uninstallable & { builtNow: boolean })[];
  seconds: number;
}

export interface BuildRunResult {
  built: BuiltEntry[];
  upToDate: UpToDateEntry[];
  failed: FailedEntry[];
  publish?: PublishResult;
  /** Versions published now whose blobs lie in more packs than a fresh install should ask for: what `repo repack` gathers. */
  scattered?: { name: string; version: string; packs: number }[];
  check?: CheckResult;
}

/** Every directory under `root` holding a recipe, sorted; hidden directories and recipes' own subtrees are not searched. */
export function findRecipes(root: string): string[] {
  const top = resolve(root);
  let st;
  try {
    st = statSync(top);
  } catch {
    throw new ZpkgError('E_NOT_FOUND', `recipes directory ${top} does not exist`);
  }
  if (!st.isDirectory()) throw new ZpkgError('E_NOT_FOUND', `${top} is not a directory`);
  const found: string[] = [];
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true });
    if (entries.some((e) => e.name === RECIPE_FILE && e.isFile())) {
      found.push(dir);
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) if (e.isDirectory() && !e.name.startsWith('.')) walk(join(dir, e.name));
  };
  walk(top);
  if (found.length === 0) throw new ZpkgError('E_NOT_FOUND', `no recipe (${RECIPE_FILE}) under ${top}`);
  return found.sort();
}

function errorDoc(err: unknown): FailedEntry['error'] {
  const e = toZpkgError(err);
  const doc: FailedEntry['error'] = { code: e.code, message: e.message };
  if (e.hint) doc.hint = e.hint;
  if (typeof e.details?.log === 'string') doc.log = e.details.log;
  if (Array.isArray(e.details?.explanation)) doc.tail = e.details.explanation.map(String);
  return doc;
}

interface Staged {
  recipe: Recipe;
  inputs: Digest;
  build: StagedBuild;
}

export async function runBuilds(dirs: readonly string[], o: BuildRunOptions): Promise<BuildRunResult> {
  forgetFiles();
  const writer = o.repo ? openRepoWriter(o.repo, { token: o.token }) : undefined;
  const inRepo = new Map<string, Digest | undefined>();
  if (writer) for (const e of (await readSnapshot(writer)).entries) inRepo.set(entryKey(e), e.manifest);
  const result: BuildRunResult = { built: [], upToDate: [], failed: [] };
  const staged: Staged[] = [];
  const makers = new Map<string, string>();
  // The pack of the run, written as each recipe's tree is packed (PackBuilder): compression overlaps the
  // assembly of the manifest and the next recipe's build. Publishing takes it when it holds what it needs.
  let ahead: PackBuilder | undefined;
  let known: Map<Digest, unknown> | undefined;
  // The scratch directory this run made for `ahead`: removed again when nothing was published, so a
  // run that fails leaves the repository exactly as it found it.
  let scratchMade: string | undefined;
  const aheadPack = (writer: RepoWriter): PackBuilder => {
    if (!ahead) {
      const scratch = scratchDirOf(writer);
      scratchMade = scratch !== undefined && !existsSync(scratch) ? scratch : undefined;
      ahead = new PackBuilder(scratchFor(writer), { level: o.level, workers: threadBudget(), known });
    }
    return ahead;
  };
  try {
    for (const [i, dir] of dirs.entries()) {
      let recipe: Recipe | undefined;
      try {
        recipe = loadRecipe(dir);
        const key = entryKey(recipe);
        const other = makers.get(key);
        if (other) throw new ZpkgError('E_RECIPE_INVALID', `recipe ${recipe.file}: ${recipe.name} ${recipe.version} is also made by ${other} in this run`);
        makers.set(key, recipe.file);
        const state = writer && !o.force ? readBuildState(recipe.dir) : undefined;
        const maybeUpToDate = state !== undefined && state.name === recipe.name && state.version === recipe.version && inRepo.get(key) === state.manifest;
        const what = `${recipe.name} ${recipe.version}`;
        // A recipe that will be built has its tree hashed and compressed in one read (file-digests.ts: Speculation).
        let speculate: ((tree: string) => Speculation) | undefined;
        if (writer && !maybeUpToDate && treeApart(recipe)) {
          known ??= await repositoryBlobs(writer);
          speculate = (tree) => ({ under: tree, pack: aheadPack(writer), what, files: recipe!.files });
        }
        await hashTree(recipe.dir, recipe.tree.from === 'root' ? speculate?.(recipe.tree.dir) : undefined);
        const inputs = inputDigest(recipe.dir);
        if (maybeUpToDate && state.inputs === inputs) {
          result.upToDate.push({ name: recipe.name, version: recipe.version, dir: recipe.dir, manifest: state.manifest });
          o.report.progress(`[${i + 1}/${dirs.length}] ${recipe.name}`, 0).done('up to date');
          continue;
        }
        o.report.info(`[${i + 1}/${dirs.length}] building ${recipe.name} ${recipe.version} (${recipe.tree.from === 'root' ? 'packing its root' : recipe.tree.from === 'deb' ? 'unpacking its .deb' : 'running its build script'})`);
        const progress = o.report.progress(`[${i + 1}/${dirs.length}] ${recipe.name}`, 0);
        if (recipe.tree.from !== 'root') ensureStateDir(recipe.dir);
        if (writer) known ??= await repositoryBlobs(writer);
        const onPacked = writer
          ? (blobs: BlobFile[]): void =>
              aheadPack(writer).add(
                blobs.filter((b) => !known!.has(b.digest)),
                what,
              )
          : undefined;
        const build = await buildRecipe(recipe, { sourceCache: o.sourceCache, log: buildLog(recipe.dir), onFile: (n) => progress.tick(1, n), signal: o.signal, walked: recipe.dir, onPacked, speculate });
        const b = build.result;
        const there = inRepo.get(key);
        if (inRepo.has(key) && there !== b.digest && !o.replace) {
          build.cleanup();
          throw new ZpkgError('E_PACKAGE_EXISTS', `${b.manifest.name} ${b.manifest.version} is already published in ${writer!.location} with other content`, {
            hint: 'published packages are immutable: raise the version (e.g. a new revision `-2`), or pass --replace',
          });
        }
        staged.push({ recipe, inputs, build });
        progress.done(`built: ${b.files} files, ${formatBytes(b.contentBytes)}`);
      } catch (err) {
        if (!o.isolate) throw err;
        const entry: FailedEntry = { dir: resolve(dir), error: errorDoc(err) };
        if (recipe) entry.name = recipe.name;
        result.failed.push(entry);
        o.report.progress(`[${i + 1}/${dirs.length}] ${recipe?.name ?? dir}`, 0).done(`failed: ${entry.error.message}`);
      }
    }
    const outcomes = new Map<string, BuiltEntry['status']>();
    if (writer && staged.length > 0) {
      const pkgs = staged.map((s) => s.build.result);
      const progress = o.report.progress('publish', pkgs.reduce((n, b) => n + b.blobs.size, 0));
      result.publish = await publishPackages(writer, pkgs, { replace: o.replace, level: o.level, signer: o.signer, onBlob: (n, blobs = 1) => progress.tick(blobs, n), prepared: ahead });
      progress.done(`${result.publish.blobsWritten} blobs written, ${result.publish.blobsReused} already there`);
      const scattered = result.publish.packages.filter((p) => (p.packs ?? 0) > MAX_SPAN);
      if (scattered.length) result.scattered = scattered.map((p) => ({ name: p.name, version: p.version, packs: p.packs! }));
      for (const p of result.publish.packages) outcomes.set(entryKey(p), p.status);
      for (const s of staged) {
        const b = s.build.result;
        writeBuildState(s.recipe.dir, { inputs: s.inputs, name: b.manifest.name, version: b.manifest.version, manifest: b.digest });
      }
    }
    for (const s of staged) {
      const b = s.build.result;
      result.built.push({ name: b.manifest.name, version: b.manifest.version, dir: s.recipe.dir, manifest: b.digest, files: b.files, bytes: b.contentBytes, ...(writer ? { status: outcomes.get(entryKey(b.manifest)) } : {}) });
    }
    if (o.check) result.check = await consistency(o, staged);
    return result;
  } finally {
    await ahead?.abort();
    if (scratchMade && !result.publish) {
      try {
        rmdirSync(scratchMade); // only when empty: another publisher's pack may be in it
      } catch {
        /* not empty or already gone: left as it is */
      }
    }
    for (const s of staged) s.build.cleanup();
  }
}

/**
 * Whether the tree the recipe packs lies apart from the recipe itself (not
 * `root: .`, whose walk meets the recipe and its build state): then the files
 * its selection keeps can go to the pack as they are first read.
 */
function treeApart(recipe: Recipe): boolean {
  const { tree } = recipe;
  return tree.from !== 'root' || !(recipe.dir === tree.dir || recipe.dir.startsWith(`${tree.dir}/`));
}

/** `zpkg repo check` over the repository after publishing (or over the packages built, without a repository). */
async function consistency(o: BuildRunOptions, staged: Staged[]): Promise<CheckResult> {
  const t0 = process.hrtime.bigint();
  const progress = o.report.progress('check', 0);
  let candidates: Candidate[];
  if (o.repo) {
    const writer = openRepoWriter(o.repo, { token: o.token });
    candidates = await readCandidates(writer, await readRoot(writer));
  } else {
    candidates = staged.map((s) => ({ ...entryFromManifest(s.build.result.manifest, s.build.result.digest, 0, 0), remote: 'build', priority: 0 }));
  }
  // Name and version only: an Uninstallable carries no arch.
  const builtNow = new Set(staged.map((s) => `${s.build.result.manifest.name}@${s.build.result.manifest.version}`));
  // Checked as each arch's images see the set (one group unless it names several arches).
  const uninstallable = archGroups(candidates).flatMap((g) =>
    checkInstallable(buildPool(g.candidates)).map((u) => ({ ...u, ...(g.arch === undefined ? {} : { reason: u.reason.map((l) => `on ${g.arch}: ${l}`) }), builtNow: builtNow.has(`${u.name}@${u.version}`) })),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  progress.done(uninstallable.length ? `${uninstallable.length} cannot be installed` : `${candidates.length} packages, all installable`);
  return { packages: candidates.length, uninstallable, seconds };
}
