/**
 * Packing a tree: walks a directory without following symlinks and turns it
 * into actions (dir, file, link, hardlink) plus the blob each file's content
 * becomes. Owners come from the recipe or from the files (the build host's
 * account names); modes from the recipe's attributes or the files.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import picomatch from 'picomatch';
import { digestOf, type Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { formatMode, type Action } from '../core/manifest.js';
import { readAccounts } from './accounts.js';
import type { Recipe } from './recipe.js';

export interface PackedTree {
  actions: Action[];
  /** Blob digest → a file holding its content. */
  blobs: Map<Digest, string>;
  files: number;
  bytes: number;
}

export function packTree(recipe: Recipe, onFile?: (bytes: number) => void): PackedTree {
  let rootStat: Stats;
  try {
    rootStat = lstatSync(recipe.root);
  } catch {
    throw new ZpkgError('E_RECIPE_INVALID', `recipe ${recipe.file}: root \`${recipe.root}\` does not exist`);
  }
  if (!rootStat.isDirectory()) throw new ZpkgError('E_RECIPE_INVALID', `recipe ${recipe.file}: root \`${recipe.root}\` is not a directory`);
  const accounts = readAccounts('/');
  const isConfig = recipe.config.length ? picomatch(recipe.config, { dot: true }) : () => false;
  const attrs = recipe.attributes.map((a) => ({ ...a, match: picomatch(a.path, { dot: true }) }));
  const ownership = (path: string, st: Stats): { owner: string; group: string; mode?: string } => {
    let owner = recipe.owner ?? accounts.userNames.get(st.uid) ?? String(st.uid);
    let group = recipe.group ?? accounts.groupNames.get(st.gid) ?? String(st.gid);
    let mode: string | undefined;
    for (const a of attrs) {
      if (!a.match(path)) continue;
      owner = a.owner ?? owner;
      group = a.group ?? group;
      mode = a.mode ? formatMode(parseInt(a.mode, 8)) : mode;
    }
    return { owner, group, mode };
  };
  const actions: Action[] = [];
  const blobs = new Map<Digest, string>();
  const inodes = new Map<string, string>();
  let files = 0;
  let bytes = 0;
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      const path = rel ? `${rel}/${name}` : name;
      const st = lstatSync(abs);
      const own = ownership(path, st);
      if (st.isDirectory()) {
        actions.push({ type: 'dir', path, mode: own.mode ?? formatMode(st.mode), owner: own.owner, group: own.group });
        walk(abs, path);
      } else if (st.isSymbolicLink()) {
        actions.push({ type: 'link', path, target: readlinkSync(abs), owner: own.owner, group: own.group });
      } else if (st.isFile()) {
        const inode = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? inodes.get(inode) : undefined;
        if (first !== undefined) {
          actions.push({ type: 'hardlink', path, target: first });
          continue;
        }
        if (st.nlink > 1) inodes.set(inode, path);
        const content = readFileSync(abs);
        const digest = digestOf(content);
        blobs.set(digest, abs);
        files += 1;
        bytes += content.length;
        onFile?.(content.length);
        const action: Action = { type: 'file', path, mode: own.mode ?? formatMode(st.mode), owner: own.owner, group: own.group, size: content.length, digest };
        if (isConfig(path)) action.config = true;
        actions.push(action);
      } else {
        throw new ZpkgError('E_RECIPE_INVALID', `recipe ${recipe.file}: ${abs} is a special file (device, socket or fifo); packages deliver only files, directories and links`);
      }
    }
  };
  walk(recipe.root, '');
  return { actions, blobs, files, bytes };
}
