/**
 * An flist's tree, its contents fetched, as a package.
 *
 * | flist                                  | package                                         |
 * | ---                                    | ---                                             |
 * | the root inode (`/`)                   | nothing: it is the image root                   |
 * | directory                              | `dir` (mode, owner, group)                      |
 * | regular file and its blocks            | `file` (mode, owner, group, size, sha256)       |
 * | symlink and its `extra` target         | `link` (target verbatim, owner, group)          |
 * | uid / gid                              | the names the tree's own etc/passwd / etc/group give them, else `root` for 0, else the number |
 * | ELF objects, `#!` scripts              | `so:` / `file:` relations (src/build/deps, as a build derives them) |
 * | tag `description`                      | summary                                         |
 * | devices, fifos, sockets                | refused: a package cannot hold them             |
 * | ctime, mtime, rdev, directory sizes    | dropped: manifests hold no times                |
 *
 * An flist zpkg exported carries the manifest in its `zpkg` tag
 * (zpkg-tag.ts): then the package is that manifest, once the tree is shown to
 * agree with it.
 */
import { readFileSync } from 'node:fs';
import type { Digest } from '../core/digest.js';
import { ZpkgError, isZpkgError } from '../core/errors.js';
import { encodeManifest, formatMode, isPathAction, MANIFEST_FORMAT, sortActions, validateManifest, type Action, type Manifest } from '../core/manifest.js';
import { imagePathProblem } from '../core/paths.js';
import { parseAccountFile } from '../image/accounts.js';
import type { BuiltPackage } from '../repo/publish.js';
import { deriveRelations, mergeRelations } from '../build/deps/index.js';
import type { Fetched } from './fetch.js';
import type { Flist, FlInode } from './format.js';
import { treeDisagreement, type ZpkgTag } from './zpkg-tag.js';

export interface FlistPackage extends BuiltPackage {
  /** Regular files of the tree. */
  files: number;
  /** Plain bytes of those files. */
  contentBytes: number;
  blocks: number;
  /** What the import noticed (relations left out, …). */
  warnings: string[];
  /** The manifest came from the flist's `zpkg` tag. */
  fromTag: boolean;
}

export interface PackageOptions {
  name: string;
  version: string;
  /** Package arch for a plain flist (default `all`). */
  arch?: string;
  /** Derive so:/file: relations (default true). */
  derive?: boolean;
}

const ACCOUNT = /^[a-z_][a-z0-9_-]*\$?$/;

/** id → name from one of the tree's account files (the first name given an id wins, as getpwuid does). */
function namesFrom(fl: Flist, contents: ReadonlyMap<number, Fetched>, path: string): Map<number, string> {
  const out = new Map<number, string>();
  const i = fl.inodes.find((n) => n.path === path && n.kind === 'file');
  const local = i && contents.get(i.ino)?.local;
  if (!local) return out;
  for (const [name, id] of parseAccountFile(readFileSync(local, 'utf8'))) if (!out.has(id) && ACCOUNT.test(name)) out.set(id, name);
  return out;
}

function refuseKinds(fl: Flist): void {
  for (const i of fl.inodes) {
    if (i.kind !== 'dir' && i.kind !== 'file' && i.kind !== 'link') {
      throw new ZpkgError('E_FLIST_INVALID', `${fl.source}: \`${i.path}\` (inode ${i.ino}) is a ${i.kind}; a package holds only files, directories and links`, {
        hint: 'devices belong to the running system (devtmpfs), not to a package',
      });
    }
    const problem = i.path === '' ? undefined : imagePathProblem(i.path);
    if (problem) throw new ZpkgError('E_PATH_UNSAFE', `${fl.source}: \`${i.path}\`: ${problem}`);
  }
}

function plainManifest(fl: Flist, contents: ReadonlyMap<number, Fetched>, o: PackageOptions): { manifest: Manifest; warnings: string[]; blobs: Map<Digest, string> } {
  const users = namesFrom(fl, contents, 'etc/passwd');
  const groups = namesFrom(fl, contents, 'etc/group');
  const user = (uid: number): string => users.get(uid) ?? (uid === 0 ? 'root' : String(uid));
  const group = (gid: number): string => groups.get(gid) ?? (gid === 0 ? 'root' : String(gid));
  const actions: Action[] = [];
  const blobs = new Map<Digest, string>();
  const own = (i: FlInode) => ({ owner: user(i.uid), group: group(i.gid) });
  for (const i of fl.inodes) {
    if (i.path === '') continue;
    if (i.kind === 'dir') actions.push({ type: 'dir', path: i.path, mode: formatMode(i.mode), ...own(i) });
    else if (i.kind === 'link') actions.push({ type: 'link', path: i.path, target: i.target!, ...own(i) });
    else {
      const c = contents.get(i.ino)!;
      blobs.set(c.digest, c.local);
      actions.push({ type: 'file', path: i.path, mode: formatMode(i.mode), ...own(i), size: c.size, digest: c.digest });
    }
  }
  const blocks = fl.inodes.reduce((n, i) => n + i.blocks.length, 0);
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    name: o.name,
    version: o.version,
    arch: o.arch ?? 'all',
    summary: fl.tags.get('description') ?? `${o.name} ${o.version}, imported from an flist`,
    description: `Imported from the flist ${fl.source} (${fl.inodes.length} inodes, ${blocks} blocks).`,
    license: '',
    depends: [],
    conflicts: [],
    provides: [],
    replaces: [],
    actions: sortActions(actions),
  };
  const derived = deriveRelations(manifest.actions.filter(isPathAction), blobs, { enabled: o.derive !== false });
  Object.assign(manifest, mergeRelations(manifest, derived));
  return { manifest, warnings: derived.warnings.map((w) => `${o.name}: ${w}`), blobs };
}

function taggedManifest(fl: Flist, contents: ReadonlyMap<number, Fetched>, tag: ZpkgTag, hooks: ReadonlyMap<Digest, Fetched>, o: PackageOptions): { manifest: Manifest; blobs: Map<Digest, string> } {
  const disagreement = treeDisagreement(fl, tag, (ino) => contents.get(ino)?.digest);
  if (disagreement) {
    throw new ZpkgError('E_FLIST_INVALID', `${fl.source}: its \`zpkg\` tag does not describe its tree: ${disagreement}`, {
      hint: 'the flist was changed after zpkg exported it; to import the tree alone, delete the tag (sqlite3 FL "DELETE FROM tag WHERE key = \'zpkg\'")',
    });
  }
  const blobs = new Map<Digest, string>();
  for (const c of contents.values()) blobs.set(c.digest, c.local);
  for (const [phase, ref] of Object.entries(tag.manifest.hooks ?? {})) {
    const c = hooks.get(ref!.digest);
    if (!c || c.digest !== ref!.digest || c.size !== ref!.size) throw new ZpkgError('E_DIGEST_MISMATCH', `${fl.source}: the ${phase} hook's blocks do not hold the blob ${ref!.digest} its manifest names`);
    blobs.set(c.digest, c.local);
  }
  return { manifest: { ...tag.manifest, name: o.name, version: o.version }, blobs };
}

/** The package of a checked flist whose file contents (by ino) and tag hook blobs are fetched. */
export function flistToPackage(fl: Flist, contents: ReadonlyMap<number, Fetched>, tag: ZpkgTag | undefined, hooks: ReadonlyMap<Digest, Fetched>, o: PackageOptions): FlistPackage {
  refuseKinds(fl);
  const warnings: string[] = [];
  let manifest: Manifest;
  let blobs: Map<Digest, string>;
  if (tag) {
    ({ manifest, blobs } = taggedManifest(fl, contents, tag, hooks, o));
  } else {
    const plain = plainManifest(fl, contents, o);
    ({ manifest, blobs } = plain);
    warnings.push(...plain.warnings);
  }
  try {
    validateManifest(JSON.parse(JSON.stringify(manifest)));
  } catch (err) {
    if (!isZpkgError(err)) throw err;
    throw new ZpkgError(err.code, `${fl.source}: it does not make a valid package: ${err.message}`, { cause: err });
  }
  const { bytes, digest } = encodeManifest(manifest);
  const files = fl.inodes.filter((i) => i.kind === 'file');
  return {
    manifest,
    bytes,
    digest,
    blobs,
    files: files.length,
    contentBytes: files.reduce((n, i) => n + i.size, 0),
    blocks: fl.inodes.reduce((n, i) => n + i.blocks.length, 0),
    warnings,
    fromTag: tag !== undefined,
  };
}
