/**
 * Packing a tree: walks a directory without following symlinks and turns it
 * into actions (dir, file, link, hardlink) plus the blob each file's content
 * becomes. The recipe's `files` selection decides which entries are packed
 * (select.ts); owners come from the recipe or from the files (the build host's
 * account names); modes and restarts from the recipe's attributes.
 */
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import picomatch from 'picomatch';
import type { Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { tagFacets } from '../core/facets.js';
import { formatMode, type Action, type FileAction } from '../core/manifest.js';
import { readAccounts } from '../image/accounts.js';
import type { Recipe } from './recipe.js';
import { selector } from './select.js';
import { factsOf, lstatWalked, readdirWalked } from './file-digests.js';
import { hostPath } from '../core/paths.js';
import type { StatLike } from '../fs/path-stat.js';

export interface PackedTree {
  actions: Action[];
  /** Blob digest → a file holding its content. */
  blobs: Map<Digest, string>;
  files: number;
  bytes: number;
}

/** The tree a recipe packs by default: its `root:` directory. */
function defaultTree(recipe: Recipe): string {
  if (recipe.tree.from !== 'root') throw new ZpkgError('E_INTERNAL', `recipe ${recipe.file}: a \`${recipe.tree.from}\` tree must be made before it is packed`);
  return recipe.tree.dir;
}

/** What a tree's origin says about a path (a .deb's owner names and conffiles); the recipe's own settings still win. */
export type PathFacts = ReadonlyMap<string, { owner?: string; group?: string; config?: boolean }>;

/** Packs `treeDir` (default: the recipe's `root:`) as the recipe says. */
export function packTree(recipe: Recipe, onFile?: (bytes: number) => void, treeDir: string = defaultTree(recipe), facts?: PathFacts): PackedTree {
  let rootStat: Stats;
  try {
    rootStat = lstatSync(treeDir);
  } catch {
    throw new ZpkgError('E_RECIPE_INVALID', `recipe ${recipe.file}: the tree \`${treeDir}\` does not exist`);
  }
  if (!rootStat.isDirectory()) throw new ZpkgError('E_RECIPE_INVALID', `recipe ${recipe.file}: the tree \`${treeDir}\` is not a directory`);
  const accounts = readAccounts('/');
  const isConfig = recipe.config.length ? picomatch(recipe.config, { dot: true }) : () => false;
  const attrs = recipe.attributes.map((a) => ({ ...a, match: picomatch(a.path, { dot: true }) }));
  const ownership = (path: string, st: StatLike): { owner: string; group: string; mode?: string; restart?: string[]; mediator?: { name: string; implementation?: string; priority?: number } } => {
    const known = facts?.get(path);
    let owner = recipe.owner ?? known?.owner ?? accounts.userNames.get(st.uid) ?? String(st.uid);
    let group = recipe.group ?? known?.group ?? accounts.groupNames.get(st.gid) ?? String(st.gid);
    let mode: string | undefined;
    let restart: string[] | undefined;
    let mediator: { name: string; implementation?: string; priority?: number } | undefined;
    for (const a of attrs) {
      if (!a.match(path)) continue;
      owner = a.owner ?? owner;
      group = a.group ?? group;
      mode = a.mode ? formatMode(parseInt(a.mode, 8)) : mode;
      restart = a.restart ?? restart;
      mediator = a.mediator ?? mediator;
    }
    return { owner, group, mode, restart, mediator };
  };
  const select = selector(recipe.files);
  const actions: Action[] = [];
  const blobs = new Map<Digest, string>();
  const inodes = new Map<string, string>();
  let files = 0;
  let bytes = 0;
  /** Packs the entries of `dir` that the selection keeps; true when it kept any. */
  const walk = (dir: string, rel: string, included: boolean): boolean => {
    let kept = false;
    for (const name of readdirWalked(dir)) {
      const abs = hostPath(dir, name);
      const path = rel ? `${rel}/${name}` : name;
      const verdict = select.entry(path, included);
      if (verdict === 'excluded') continue;
      const st = lstatWalked(abs);
      const own = ownership(path, st);
      if (st.isDirectory()) {
        const at = actions.length;
        const inner = walk(abs, path, verdict === 'included');
        if (!inner && verdict !== 'included') continue;
        actions.splice(at, 0, { type: 'dir', path, mode: own.mode ?? formatMode(st.mode), owner: own.owner, group: own.group });
        kept = true;
        continue;
      }
      if (verdict !== 'included') continue;
      kept = true;
      if (st.isSymbolicLink()) {
        const med = own.mediator;
        actions.push({ type: 'link', path, target: readlinkSync(abs), owner: own.owner, group: own.group, ...(med ? { mediator: med.name, ...(med.implementation !== undefined ? { implementation: med.implementation } : {}), ...(med.priority !== undefined ? { priority: med.priority } : {}) } : {}) });
      } else if (st.isFile()) {
        const inode = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? inodes.get(inode) : undefined;
        if (first !== undefined) {
          actions.push({ type: 'hardlink', path, target: first });
          continue;
        }
        if (st.nlink > 1) inodes.set(inode, path);
        const { digest, size } = factsOf(abs, st);
        blobs.set(digest, abs);
        files += 1;
        bytes += size;
        onFile?.(size);
        const action: FileAction = { type: 'file', path, mode: own.mode ?? formatMode(st.mode), owner: own.owner, group: own.group, size, digest };
        if (isConfig(path) || facts?.get(path)?.config) action.config = true;
        if (own.restart?.length) action.restart = own.restart;
        actions.push(action);
      } else {
        throw new ZpkgError('E_RECIPE_INVALID', `recipe ${recipe.file}: ${abs} is a special file (device, socket or fifo); packages deliver only files, directories and links`);
      }
    }
    return kept;
  };
  walk(treeDir, '', false);
  const facetRules = recipe.facets.map((r) => ({ facets: r.facets, match: picomatch(r.glob, { dot: true }) }));
  tagFacets(actions, (path) => facetRules.filter((r) => r.match(path)).flatMap((r) => r.facets));
  const unused = select.unmatched();
  if (unused.length > 0) {
    throw new ZpkgError('E_RECIPE_INVALID', `recipe ${recipe.file}: \`files.include\` ${unused.map((g) => `\`${g}\``).join(', ')} matched nothing in the tree`, {
      hint: `the tree packed was ${treeDir}`,
    });
  }
  return { actions, blobs, files, bytes };
}
