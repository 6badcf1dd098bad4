/**
 * `verify --unowned`: the paths under the given image paths that no installed
 * package (an adopted base included) owns — IPS's `verify --unpackaged`, apk's
 * `audit --system`. On a node whose every file comes from packages, this is
 * tamper detection: anything listed was put there by something else.
 *
 * Owned means: a row of the file table (file, link, hardlink) or of the
 * directory table (declared or implied by a deeper path), by its recorded
 * name or the one the image's directory links give it (image/path-aliases.ts). The walk never
 * follows a symlink, stays on the image root's filesystem (like `find -xdev`:
 * a mount there is listed as skipped, not entered), and never enters zpkg's
 * own directories — the state directory, and the state and content cache
 * directories when they lie inside the image (their parents count as owned). Devices, fifos and sockets are
 * listed (no package delivers one: each is worth a look).
 */
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join, relative } from 'node:path';
import { ZpkgError } from '../core/errors.js';
import { parentsOf, STATE_DIR, toImagePath } from '../core/paths.js';
import type { Image } from '../image/image.js';
import { PathAliases } from '../image/path-aliases.js';
import { allDirs, allFiles } from '../image/state.js';

export type UnownedType = 'file' | 'dir' | 'link' | 'device' | 'fifo' | 'socket';

export interface UnownedPath {
  path: string;
  type: UnownedType;
  /** Bytes (regular files). */
  size?: number;
  /** What zpkg knows of it: a config file's `.zpkg-new` / `.zpkg-old` sibling that zpkg itself wrote. */
  note?: string;
}

export interface UnownedResult {
  /** The image paths walked ('' is the whole image). */
  under: string[];
  /** Paths examined (owned or not). */
  examined: number;
  unowned: UnownedPath[];
  /** Paths not walked, and why (another filesystem mounted there). */
  skipped: { path: string; why: string }[];
}

function typeOf(st: Stats): UnownedType {
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'link';
  if (st.isFile()) return 'file';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return 'device';
}

/** Image paths of directories zpkg keeps for itself inside the image (never listed). */
function ownDirectories(image: Image): Set<string> {
  const own = new Set([STATE_DIR]);
  for (const dir of [image.paths.state, image.paths.cache, image.paths.repos]) {
    const rel = relative(image.paths.root, dir);
    if (rel && !rel.startsWith('..') && !rel.startsWith('/')) own.add(rel);
  }
  return own;
}

/** A user's path as an image path that exists and is reached without passing a symlink. */
function startingPoint(root: string, input: string): string {
  const path = toImagePath(input);
  for (const parent of parentsOf(path)) {
    const st = lstatSync(join(root, parent), { throwIfNoEntry: false });
    if (st?.isSymbolicLink()) {
      throw new ZpkgError('E_PATH_UNSAFE', `\`/${path}\` lies under \`/${parent}\`, a symlink: the walk never follows one`, { hint: `name the path the symlink points to instead` });
    }
  }
  if (!lstatSync(join(root, path), { throwIfNoEntry: false })) throw new ZpkgError('E_NOT_FOUND', `\`/${path}\` does not exist in the image`);
  return path;
}

export function findUnowned(image: Image, paths: readonly string[], onPath?: () => void): UnownedResult {
  const root = image.paths.root;
  const starts = paths.length ? [...new Set(paths.map((p) => startingPoint(root, p)))] : [''];
  const files = new Map(allFiles(image.db).map((f) => [f.path, f]));
  const dirs = new Set(allDirs(image.db).map((d) => d.path));
  // A path recorded through a directory link of the image (merged /usr: bin/bash) is owned under the name the walk meets.
  const aliases = new PathAliases(root);
  for (const [path, f] of [...files]) {
    const real = aliases.file(path);
    if (real !== null && real !== path && !files.has(real)) files.set(real, f);
  }
  for (const path of [...dirs]) {
    const real = aliases.directory(path);
    if (real !== null) dirs.add(real);
  }
  const own = ownDirectories(image);
  const ownParents = new Set([...own].flatMap(parentsOf));
  const rootDev = lstatSync(root).dev;
  const result: UnownedResult = { under: starts, examined: 0, unowned: [], skipped: [] };
  const seen = new Set<string>();

  const visit = (path: string): void => {
    if (seen.has(path) || own.has(path)) return;
    seen.add(path);
    const abs = path ? join(root, path) : root;
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st) return;
    onPath?.();
    result.examined += 1;
    if (path && st.isDirectory() && st.dev !== rootDev) {
      result.skipped.push({ path, why: 'another filesystem is mounted there' });
      return;
    }
    const owned = path === '' || ownParents.has(path) || files.has(path) || (st.isDirectory() && dirs.has(path));
    if (!owned) {
      const entry: UnownedPath = { path, type: typeOf(st), ...(st.isFile() ? { size: st.size } : {}) };
      const sibling = /^(.*)\.zpkg-(new|old)$/.exec(path);
      if (sibling && files.get(sibling[1]!)?.config) entry.note = sibling[2] === 'new' ? 'the shipped version beside a changed config file' : 'a local version kept by `revert`';
      result.unowned.push(entry);
    }
    if (!st.isDirectory()) return;
    for (const name of readdirSync(abs).sort()) visit(path ? `${path}/${name}` : name);
  };
  for (const start of starts) visit(start);
  result.unowned.sort((a, b) => (a.path < b.path ? -1 : 1));
  return result;
}
