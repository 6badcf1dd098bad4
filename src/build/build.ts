/**
 * `zpkg build` for one recipe: make its tree (as-is for `root:`, by running
 * the `build:` script over its sources otherwise), pack it, and turn it into a
 * validated manifest with its hooks and services, ready to publish.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestOf, type Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { decodeManifest, encodeManifest, isPathAction, MANIFEST_FORMAT, sortActions, type Action, type HookPhase, type HookRef, type Manifest } from '../core/manifest.js';
import { formatAtom, formatClause, parseAtom, parseClause } from '../core/relation.js';
import { packageBlobs } from '../repo/blob-map.js';
import type { BlobFile } from '../repo/pack-build.js';
import type { BuiltPackage } from '../repo/publish.js';
import { packageFromDeb } from './deb/index.js';
import { deriveRelations, mergeRelations } from './deps/index.js';
import { packTree, type PackedTree } from './pack.js';
import { hashTree, type Speculation } from './file-digests.js';
import { loadRecipe, type Recipe } from './recipe.js';
import { weakRelations } from './weak.js';
import { checkContained, runBuildScript, type BuildDirs } from './script.js';
import { stageSources } from './sources.js';

export interface BuildResult extends BuiltPackage {
  files: number;
  /** Uncompressed bytes of all files. */
  contentBytes: number;
}

/** What a tree's origin declares (a .deb's control file): relations are added to the recipe's, texts fill what it leaves empty. */
export type Origin = Pick<Manifest, 'arch' | 'summary' | 'description' | 'license' | 'depends' | 'conflicts' | 'provides' | 'replaces' | 'recommends' | 'suggests'>;

/** A packed tree with the recipe's accounts and hooks: everything the manifest holds but its texts and relations. */
interface Contents {
  packed: PackedTree;
  /** Sorted, as the manifest lists them. */
  actions: Action[];
  hooks: Partial<Record<HookPhase, HookRef>>;
  /** Blob digest → the file holding it: the tree's and the hooks'. */
  blobs: Map<Digest, string>;
}

function contentsOf(recipe: Recipe, packed: PackedTree): Contents {
  const blobs = new Map(packed.blobs);
  const hooks: Partial<Record<HookPhase, HookRef>> = {};
  for (const h of recipe.hooks) {
    const content = readFileSync(h.path);
    const digest = digestOf(content);
    blobs.set(digest, h.path);
    hooks[h.phase] = { digest, size: content.length, ...(h.timeout !== undefined ? { timeout: h.timeout } : {}) };
  }
  return { packed, actions: sortActions([...recipe.accounts, ...packed.actions]), hooks, blobs };
}

/** The blobs of `c` in the order publishing packs them (the manifest to come has the same actions and hooks). */
function blobFiles(c: Contents): BlobFile[] {
  return packageBlobs(c).map((b) => ({ ...b, path: c.blobs.get(b.digest)! }));
}

/** The manifest of a packed tree; hook files become blobs published with it. */
function assemble(recipe: Recipe, c: Contents, origin?: Origin): BuildResult {
  const { packed, hooks, blobs } = c;
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    name: recipe.name,
    version: recipe.version,
    arch: recipe.arch === 'all' && origin ? origin.arch : recipe.arch,
    summary: recipe.summary || (origin?.summary ?? ''),
    description: recipe.description || (origin?.description ?? ''),
    license: recipe.license || (origin?.license ?? ''),
    depends: unique([...(origin?.depends ?? []), ...recipe.depends.map((d) => formatClause(parseClause(d)))]),
    conflicts: unique([...(origin?.conflicts ?? []), ...recipe.conflicts.map((c) => formatAtom(parseAtom(c)))]),
    provides: unique([...(origin?.provides ?? []), ...recipe.provides.map((c) => formatAtom(parseAtom(c)))]),
    replaces: unique([...(origin?.replaces ?? []), ...recipe.replaces.map((c) => formatAtom(parseAtom(c)))]),
    ...weakRelations([...(origin?.recommends ?? []), ...recipe.recommends], [...(origin?.suggests ?? []), ...recipe.suggests]),
    actions: c.actions,
    ...(recipe.hooks.length ? { hooks } : {}),
    ...(recipe.services.length ? { services: recipe.services } : {}),
    ...(recipe.essential ? { essential: true } : {}),
  };
  // so:/file: relations derived from the ELF objects and scripts shipped (src/build/deps/derive.ts).
  // A .deb declares its interpreters itself (as import-deb assumes), so its scripts are not scanned.
  Object.assign(manifest, mergeRelations(manifest, deriveRelations(manifest.actions.filter(isPathAction), packed.blobs, { enabled: recipe.derive, ...(origin ? { scripts: false } : {}) })));
  const { bytes, digest } = encodeManifest(manifest);
  // The published bytes are decoded as an installer decodes them, so a recipe can never publish what an installer would refuse.
  decodeManifest(bytes);
  return { manifest, bytes, digest, blobs, files: packed.files, contentBytes: packed.bytes };
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

/**
 * Packs `treeDir` (default: the recipe's `root:`) into a package. `onPacked`
 * hears the blobs to publish, in order, before the manifest is assembled.
 */
export function packageTree(recipe: Recipe, treeDir?: string, onFile?: (bytes: number) => void, onPacked?: (blobs: BlobFile[]) => void): BuildResult {
  const c = contentsOf(recipe, packTree(recipe, onFile, treeDir));
  onPacked?.(blobFiles(c));
  return assemble(recipe, c);
}

/** Builds a `root:` recipe at once (nothing to run); `buildRecipe` handles every kind. */
export function buildPackage(srcDir: string, onFile?: (bytes: number) => void): BuildResult {
  const recipe = loadRecipe(srcDir);
  if (recipe.tree.from !== 'root') throw new ZpkgError('E_RECIPE_INVALID', `recipe ${recipe.file} has a \`build:\` script: build it with buildRecipe`);
  return packageTree(recipe, undefined, onFile);
}

export interface BuildOptions {
  /** Download cache for URL sources. */
  sourceCache: string;
  /** Where the build script's output goes. */
  log: string;
  onFile?: (bytes: number) => void;
  /** Called as the build enters a step (`sources`, `script`, `pack`). */
  onStep?: (step: string) => void;
  signal?: AbortSignal;
  /**
   * Hears the package's blobs (and the files holding them), in the order
   * publishing packs them, once the tree is packed and before the manifest is
   * assembled: a build run starts compressing them then (PackBuilder).
   */
  onPacked?: (blobs: BlobFile[]) => void;
  /**
   * A directory the caller has just walked with hashTree (build-all: the
   * recipe's, for its input digest): a `root:` tree inside it is not walked
   * again. Packing still checks each file against its digest as it reads it.
   */
  walked?: string;
  /** Sends a tree's files to the pack as they are first read (file-digests.ts: Speculation), those its selection keeps. */
  speculate?: (tree: string) => Speculation;
}

/** A built package whose blobs may live in a temporary tree: call `cleanup` once it is published. */
export interface StagedBuild {
  result: BuildResult;
  cleanup: () => void;
}

export async function buildRecipe(recipe: Recipe, options: BuildOptions): Promise<StagedBuild> {
  const { tree } = recipe;
  if (tree.from === 'root') {
    options.onStep?.('pack');
    if (!(options.walked && (tree.dir === options.walked || tree.dir.startsWith(`${options.walked}/`)))) await hashTree(tree.dir, options.speculate?.(tree.dir));
    return { result: packageTree(recipe, tree.dir, options.onFile, options.onPacked), cleanup: () => undefined };
  }
  const top = mkdtempSync(join(tmpdir(), `zpkg-build-${recipe.name}-`));
  const cleanup = (): void => rmSync(top, { recursive: true, force: true });
  try {
    if (tree.from === 'deb') {
      options.onStep?.('pack');
      return { result: fromDeb(recipe, tree.path, top, options.onFile, options.onPacked), cleanup };
    }
    const dirs: BuildDirs = { top, src: join(top, 'src'), work: join(top, 'work'), dest: join(top, 'dest') };
    for (const d of [dirs.src, dirs.work, dirs.dest]) mkdirSync(d);
    options.onStep?.('sources');
    await stageSources(recipe, dirs.src, options.sourceCache, options.signal);
    options.onStep?.('script');
    await runBuildScript(recipe, tree.script, dirs, options.log, options.signal);
    checkContained(recipe, dirs);
    options.onStep?.('pack');
    await hashTree(dirs.dest, options.speculate?.(dirs.dest));
    return { result: packageTree(recipe, dirs.dest, options.onFile, options.onPacked), cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}

/**
 * A `from-deb:` recipe: the Debian package is read as `import-deb` reads it
 * (owner names, conffiles, relations; maintainer scripts are not run), then
 * its unpacked tree is packed with the recipe's selection, attributes, config
 * globs, hooks and services, and its relations are added to the recipe's.
 */
function fromDeb(recipe: Recipe, debPath: string, top: string, onFile?: (bytes: number) => void, onPacked?: (blobs: BlobFile[]) => void): BuildResult {
  const deb = packageFromDeb(debPath, { workDir: join(top, 'blobs'), derive: false });
  const treeDir = join(top, 'tree');
  mkdirSync(treeDir);
  const x = spawnSync('dpkg-deb', ['-x', debPath, treeDir], { encoding: 'utf8' });
  if (x.status !== 0) throw new ZpkgError('E_ARCHIVE_INVALID', `${debPath}: dpkg-deb -x failed: ${(x.stderr || x.error?.message || '').trim()}`);
  const facts = new Map<string, { owner?: string; group?: string; config?: boolean }>();
  for (const a of deb.manifest.actions) {
    if (a.type === 'file') facts.set(a.path, { owner: a.owner, group: a.group, ...(a.config ? { config: true } : {}) });
    else if (a.type === 'dir' || a.type === 'link') facts.set(a.path, { owner: a.owner, group: a.group });
  }
  const c = contentsOf(recipe, packTree(recipe, onFile, treeDir, facts));
  onPacked?.(blobFiles(c));
  const m = deb.manifest;
  return assemble(recipe, c, { arch: m.arch, summary: m.summary, description: m.description, license: m.license, depends: m.depends, conflicts: m.conflicts, provides: m.provides, replaces: m.replaces, recommends: m.recommends, suggests: m.suggests });
}
