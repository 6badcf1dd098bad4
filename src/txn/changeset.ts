/**
 * From packages to paths: what a transaction writes, deletes and keeps, and
 * every reason to refuse it before a byte is written — two packages delivering
 * one path (unless `replaces`), a file where a directory is, a path that would
 * leave the image through a symlink already in it.
 */
import picomatch from 'picomatch';
import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ZpkgError } from '../core/errors.js';
import { PathStat } from '../fs/path-stat.js';
import { isPathAction, parseMode, type FileAction, type Manifest } from '../core/manifest.js';
import { hostPath, parentsOf } from '../core/paths.js';
import { groupBy } from '../core/group-by.js';
import { PathAliases } from '../image/path-aliases.js';
import { LinkTwins } from './link-twins.js';
import { parseAtom, providesAtom } from '../core/relation.js';
import type Database from 'better-sqlite3';
import { allDirs, allFiles, countPackageFiles, dirsAt, dirsOf, fileAt as fileRowAt, filesNamed, filesOf, getPackage, type DirRow, type FileRow, type PackageRow } from '../image/state.js';
import type { Ids } from '../image/accounts.js';
import { NAME_MAX } from './side-names.js';
import { newTrees } from './new-trees.js';
import type { Changeset, DirOp, PreparedPackage, PutOp } from './types.js';
import { holdsContent } from './same-file.js';

export interface ChangesetInput {
  db: Database.Database;
  root: string;
  ids: Ids;
  installs: PreparedPackage[];
  removes: PackageRow[];
  /** Remove changed config files too. */
  purge?: boolean;
  /** Globs of unowned paths that may be overwritten (`--overwrite`); any other unowned path in the way is refused. */
  overwrite?: readonly string[];
  /**
   * Whether an installed package is essential (the adopted base, Debian's
   * `Essential: yes`): its links that lead to a directory inside the image
   * carry other packages' directories. Asked only where a link meets a
   * directory; without it, only the adopted base's links do.
   */
  essential?: (name: string) => boolean;
  /**
   * The link the adopted base delivered at a path (its manifest keeps it after
   * an essential package took the path over): a package dropping that very
   * link gives it back instead of deleting it.
   */
  baseLink?: (path: string) => { package: string; target: string } | undefined;
  /** Paths up to which each is looked up in the state rather than every row read (default LOOKUP_LIMIT; tests set 0 or Infinity to take one way). */
  lookupLimit?: number;
}

class DiskView {
  /** Compact (PathStat): an upgrade of 300,000 files holds one per path until the plan is made. */
  private readonly cache = new Map<string, PathStat | null>();
  constructor(private readonly root: string, private readonly realRoot: string) {}

  /**
   * lstat of an image path, remembered. A path whose parent was found missing
   * is missing too, without a call: a fresh install into an empty image makes
   * one lstat per missing subtree instead of one per path (20,000 paths: 0.41
   * s of calls). The caller looks at parents before their children.
   */
  stat(path: string): PathStat | null {
    let st = this.cache.get(path);
    if (st === undefined) {
      const slash = path.lastIndexOf('/');
      if (slash > 0 && this.cache.get(path.slice(0, slash)) === null) st = null;
      else {
        try {
          st = new PathStat(lstatSync(hostPath(this.root, path)));
        } catch {
          st = null;
        }
      }
      this.cache.set(path, st);
    }
    return st;
  }

  /** Whether a path, its links followed, is a directory. */
  isDirectoryThrough(path: string): boolean {
    try {
      return statSync(join(this.root, path)).isDirectory();
    } catch {
      return false;
    }
  }

  /** The target of a symlink in the image; undefined when it is none. */
  readlink(path: string): string | undefined {
    try {
      return readlinkSync(join(this.root, path));
    } catch {
      return undefined;
    }
  }

  /** Whether a symlink in the image resolves to a place inside the image. */
  staysInside(path: string): boolean {
    try {
      const real = realpathSync(join(this.root, path));
      return real === this.realRoot || real.startsWith(`${this.realRoot}/`);
    } catch {
      return false;
    }
  }
}

/** Files whose being written restarts services: zinit's service files (and files with `restart:`). */
const ZINIT_SERVICE_FILE = /^etc\/zinit\/[^/]+\.yaml$/;

function conflict(message: string, hint?: string): ZpkgError {
  return new ZpkgError('E_FILE_CONFLICT', message, { hint });
}

/**
 * Whether the file at host path `abs` holds what a row or action records,
 * read as verify reads (same-file.ts): a link there is not followed and no
 * more than size + 1 bytes are read, so a config file an administrator
 * replaced by a link to a device, a FIFO or a file outside the image counts
 * as changed locally instead of hanging or reading outside.
 */
function holds(abs: string, size: number | null, digest: string | null): boolean {
  return size !== null && digest !== null && holdsContent(abs, size, digest);
}

export function computeChangeset(input: ChangesetInput): Changeset {
  const { db, root, ids } = input;
  // Read at the first lookup: a transaction that lands and removes nothing (an install of what is installed) reads no row.
  let loaded: ReturnType<typeof loadOwnership> | undefined;
  const owners = (): ReturnType<typeof loadOwnership> => (loaded ??= loadOwnership(db));
  // A small change asks the state about each path it meets; a large one reads every row once (LOOKUP_LIMIT).
  const few = changePaths(input) <= (input.lookupLimit ?? LOOKUP_LIMIT);
  const fileAt = few ? (path: string): FileRow | undefined => fileRowAt(db, path) : (path: string): FileRow | undefined => owners().files.get(path);
  const dirOwners = few ? (path: string): readonly DirRow[] => dirsAt(db, path) : (path: string): readonly DirRow[] => owners().dirs.get(path) ?? [];
  const disk = new DiskView(root, realpathSync(root));
  /**
   * Where a package delivers a directory and an essential one a link (a merged /usr: Debian's bookworm packages deliver
   * `bin/`, trixie's base-files and an adopted base the link `bin` → `usr/bin`), the link is that directory when it leads
   * to one inside the image, as dpkg keeps a link in a directory's place. An essential package's link only: a link any
   * package delivered carrying another's files would let that package move them (test/hostile/conflicts.test.ts).
   */
  const essentialInstalled = (name: string): boolean => getPackage(db, name)?.remote === null || input.essential?.(name) === true;
  const carriesDirectory = (path: string): boolean => disk.stat(path)?.isSymbolicLink() === true && disk.staysInside(path) && disk.isDirectoryThrough(path);
  /** An essential landing package's link the image already holds, same target: landing it changes nothing on disk. */
  const keepsCarrier = (change: PreparedPackage, a: { type: string; path: string; target?: string }): boolean =>
    a.type === 'link' && change.manifest.essential === true && carriesDirectory(a.path) && disk.readlink(a.path) === a.target;
  const twins = new LinkTwins(new PathAliases(root), () => owners().files, few ? (names) => filesNamed(db, names) : undefined);
  /** Paths written with one of the image's directory links among their parents (new-trees.ts). */
  const throughLinks: string[] = [];
  const cs: Changeset = { installs: input.installs, removes: input.removes, put: [], dirs: [], delete: [], dropDirs: [], keptConfig: [], newConfig: [], adopted: [], takenOver: [], owners: new Map(), inPlace: [], leftAlone: [], dirsLeftAlone: new Set() };
  /**
   * A path that goes (a removed package's, one an upgrade no longer delivers) under a parent the image now holds as a
   * link leading out of it is not the image's any more: deleting it would delete the host's file. Its record goes, the
   * disk is left alone (so is a directory the image holds as a link, as a merged-/usr image holds `bin` → `usr/bin`).
   */
  const leadsOut = (path: string): string | undefined => parentsOf(path).find((p) => disk.stat(p)?.isSymbolicLink() && !disk.staysInside(p));
  const goes = (f: FileRow): boolean => {
    const through = leadsOut(f.path);
    if (through === undefined) return true;
    cs.leftAlone.push({ path: f.path, through });
    return false;
  };
  const dropDirs = (rows: readonly DirRow[]): void => {
    for (const d of rows) {
      cs.dropDirs.push(d);
      if (disk.stat(d.path)?.isSymbolicLink() || leadsOut(d.path) !== undefined) cs.dirsLeftAlone.add(d.path);
    }
  };
  const leaving = new Set(input.removes.map((p) => p.name));
  const upgrading = new Map(input.installs.filter((c) => c.from).map((c) => [c.name, c]));
  const paths = new Map(input.installs.map((c) => [c.name, pathSets(c)]));
  /** Whether an installed file stays recorded after this transaction: its package stays and, upgraded, still delivers it. */
  const stays = (f: FileRow): boolean => !leaving.has(f.package) && !(upgrading.has(f.package) && !paths.get(f.package)!.all.has(f.path));
  const claimsFile = (change: PreparedPackage, path: string): boolean => paths.get(change.name)!.files.has(path);
  const unowned: string[] = [];
  /** An upgrade's links whose paths its new version delivers as directories (bookworm's base-files after trixie's): not deleted, they only lose their rows. */
  const linksBecomingDirs: FileRow[] = [];

  // Paths every landing package claims, to find overlaps between them.
  const claims = new Map<string, { pkg: PreparedPackage; type: string }>();
  const carriedClaims = new Set<string>();
  /** `package\0path` → the landing package that replaces it and delivers that path too: the path is the replacer's. */
  const yieldedClaims = new Map<string, string>();
  for (const change of input.installs) {
    for (const a of change.manifest.actions) {
      if (!isPathAction(a)) continue;
      refuseLongName(change, a.path);
      const prev = claims.get(a.path);
      if (prev && (prev.type !== 'dir' || a.type !== 'dir')) {
        const link = prev.type === 'link' && a.type === 'dir' ? { pkg: prev.pkg, action: prev.pkg.manifest.actions.find((x) => isPathAction(x) && x.path === a.path)! } : prev.type === 'dir' && a.type === 'link' ? { pkg: change, action: a } : undefined;
        if (link && isPathAction(link.action) && keepsCarrier(link.pkg, link.action)) {
          carriedClaims.add(a.path);
          if (a.type === 'link') claims.set(a.path, { pkg: change, type: a.type });
          continue;
        }
        // Two landing packages, one replacing the other (a fix-up and the package it took a file from, landing together
        // in a rollback or an update): the path is the replacer's, as with an installed owner.
        const winner = prev.type === 'dir' || a.type === 'dir' ? undefined : replacesPackage(change, prev.pkg) ? change : replacesPackage(prev.pkg, change) ? prev.pkg : undefined;
        if (winner) {
          yieldedClaims.set(`${(winner === change ? prev.pkg : change).name}\0${a.path}`, winner.name);
          if (winner === change) claims.set(a.path, { pkg: change, type: a.type });
          continue;
        }
        // A merged /usr delivered into an image that is not one yet: say how to make it one (debootstrap makes the links first).
        const merging = link && isPathAction(link.action) && link.action.type === 'link' && link.pkg.manifest.essential === true && !link.action.target.startsWith('/') && !a.path.includes('/');
        throw conflict(
          `${prev.pkg.name} ${prev.pkg.version} and ${change.name} ${change.version} both deliver \`${a.path}\``,
          merging && link.action.type === 'link'
            ? `${link.pkg.name} delivers \`${a.path}\` as a link to \`${link.action.target}\` (a merged /usr), the other a directory there: make the image's links first, as debootstrap does (\`mkdir -p ${link.action.target} && ln -s ${link.action.target} ${a.path}\` in the image, and the same for the others), then install`
            : undefined,
        );
      }
      claims.set(a.path, { pkg: change, type: a.type });
      if (a.type === 'link' && keepsCarrier(change, a)) carriedClaims.add(a.path);
    }
  }
  refuseNestedClaims(input.installs, claims, carriedClaims);
  refuseTwinClaims(claims, twins);

  /** Whether the installed owner of a path lets go of it in this transaction. */
  const ownerReleases = (owner: string, path: string, taker: PreparedPackage): boolean => {
    if (owner === taker.name) return true;
    if (leaving.has(owner)) return true;
    const up = upgrading.get(owner);
    if (up && !paths.get(owner)!.all.has(path)) return true;
    return false;
  };

  const dirSeen = new Map<string, DirOp>();
  const addDir = (path: string, change: PreparedPackage, mode: number, uid: number, gid: number, declared: boolean): void => {
    const key = `${path}\0${change.name}`;
    const have = dirSeen.get(key);
    if (have) {
      if (declared && !have.declared) Object.assign(have, { mode, uid, gid, declared });
      return;
    }
    // An installed package's claim is the conflict to name, before what its file on disk is. A link of the adopted base
    // (the image's own, recorded by `adopt`, not a repository's) that leads to a directory inside the image is that
    // directory: a merged-/usr base owns `lib` → `usr/lib`, and every Debian package delivers `lib/`; the directory lands
    // through it, as dpkg keeps a link in a directory's place. A repository package's link never carries another's files.
    const owner = fileAt(path);
    const st = disk.stat(path);
    if (owner && !leaving.has(owner.package) && !(upgrading.has(owner.package) && !claimsFile(upgrading.get(owner.package)!, path))) {
      const throughLink = owner.type === 'link' && essentialInstalled(owner.package) && carriesDirectory(path);
      if (!throughLink) throw conflict(`${change.name} ${change.version} delivers the directory \`${path}\`, which ${owner.package} installed as a ${owner.type}`);
    }
    if (st?.isSymbolicLink() && !disk.staysInside(path)) {
      throw new ZpkgError('E_PATH_UNSAFE', `${change.name} ${change.version} delivers the directory \`${path}\`, but in the image it is a symlink that leaves the image`, {
        hint: 'zpkg never writes outside the image root; remove or fix that symlink',
      });
    }
    if (st && !st.isDirectory() && !st.isSymbolicLink()) {
      throw conflict(`${change.name} ${change.version} delivers the directory \`${path}\`, but the image has a file there`);
    }
    const op: DirOp = { path, package: change.name, mode, uid, gid, create: st === null, declared };
    dirSeen.set(key, op);
    cs.dirs.push(op);
  };

  /** Packages sharing a directory must agree on what it is: declared attributes that differ are a conflict. */
  const attrs = (d: { mode: number; uid: number; gid: number }): string => `${d.mode.toString(8).padStart(4, '0')} ${d.uid}:${d.gid}`;
  const checkDirAgreement = (): void => {
    const declared = new Map<string, DirOp[]>();
    for (const d of cs.dirs) if (d.declared) declared.set(d.path, [...(declared.get(d.path) ?? []), d]);
    for (const [path, ops] of declared) {
      const others = [
        ...ops.slice(1).map((o) => ({ package: o.package, mode: o.mode, uid: o.uid, gid: o.gid })),
        ...dirOwners(path).filter((r) => r.declared && !leaving.has(r.package) && !upgrading.has(r.package)),
      ];
      const first = ops[0]!;
      const other = others.find((o) => attrs(o) !== attrs(first));
      if (other) {
        throw conflict(`${first.package} and ${other.package} deliver the directory \`${path}\` with different attributes (${attrs(first)} and ${attrs(other)})`, 'packages sharing a directory must declare the same mode, owner and group');
      }
    }
  };

  for (const change of input.installs) {
    const where = (path: string): string => `${change.name} ${change.version}: \`${path}\``;
    const declaredDirs = paths.get(change.name)!.dirs;
    for (const a of change.manifest.actions) {
      if (!isPathAction(a)) continue;
      // Every parent must be a directory inside the image: never write through a symlink that leaves it.
      for (const parent of parentsOf(a.path)) {
        const st = disk.stat(parent);
        if (!st) continue;
        if (st.isSymbolicLink()) {
          if (!disk.staysInside(parent)) {
            throw new ZpkgError('E_PATH_UNSAFE', `${where(a.path)} would be written through \`${parent}\`, a symlink that leaves the image`, {
              hint: 'zpkg never writes outside the image root; remove or fix that symlink',
            });
          }
          throughLinks.push(a.path);
        } else if (!st.isDirectory()) {
          throw conflict(`${where(a.path)} lies under \`${parent}\`, which is a file in the image`);
        }
      }
      if (a.type === 'dir') {
        addDir(a.path, change, parseMode(a.mode), ids.uid(a.owner, where(a.path), a.uid), ids.gid(a.group, where(a.path), a.gid), true);
        continue;
      }
      const yieldsTo = yieldedClaims.get(`${change.name}\0${a.path}`);
      if (yieldsTo !== undefined) {
        (cs.yielded ??= []).push({ path: a.path, package: change.name, to: yieldsTo });
        continue;
      }
      for (const parent of parentsOf(a.path)) if (!declaredDirs.has(parent)) addDir(parent, change, 0o755, 0, 0, false);
      const owner = fileAt(a.path);
      if (owner && change.repair?.back && owner.package !== change.name && change.repair.paths.has(a.path)) cs.takenOver.push({ path: a.path, from: owner.package, to: change.name });
      if (owner && !ownerReleases(owner.package, a.path, change)) {
        // An essential package delivering the very link the adopted base holds there (Debian 13's base-files and a
        // merged-/usr base: `bin` → `usr/bin`) takes it over: nothing changes on disk, and the base never goes.
        const sameBaseLink = owner.type === 'link' && getPackage(db, owner.package)?.remote === null && keepsCarrier(change, a);
        if (sameBaseLink || replacesOwner(change, owner.package, db)) {
          cs.takenOver.push({ path: a.path, from: owner.package, to: change.name });
        } else if (ownerReplaces(owner.package, change, db, upgrading.get(owner.package))) {
          // The holder took it over from this package: it stays the holder's, as dpkg keeps a file "replaced by files in
          // installed package" (an upgrade of the package a fix-up took a file from, a rollback to before the fix-up).
          (cs.yielded ??= []).push({ path: a.path, package: change.name, to: owner.package });
          continue;
        } else {
          throw conflict(`${change.name} ${change.version} and installed ${owner.package} both deliver \`${a.path}\``, `if ${change.name} takes the file over, it declares \`replaces: ${owner.package}\``);
        }
      }
      const dirStays = dirOwners(a.path).filter((d) => !leaving.has(d.package));
      if (dirStays.length > 0 && !keepsCarrier(change, a)) {
        const others = [...new Set(dirStays.map((d) => d.package))].filter((n) => n !== change.name);
        const names = others.length > 0 ? others : [change.name];
        throw conflict(
          `${where(a.path)} is a ${a.type}, but installed ${names.length === 1 ? 'package' : 'packages'} ${listed(names)} ${names.length === 1 ? 'owns' : 'own'} a directory there`,
          a.type === 'link'
            ? `a package's link takes a directory's place only where the image already holds that link and the package is essential; this image holds a directory at \`${a.path}\` (to take packages built for a merged /usr, convert the image first, as Debian's usrmerge does: \`${a.path}\` → \`${a.target}\`)`
            : undefined,
        );
      }
      const st = disk.stat(a.path);
      if (st?.isDirectory()) throw conflict(`${where(a.path)}: the image has a directory there`);
      if (st && !owner) {
        // The same file under another recorded name (merged /usr): kept by its package, a conflict; going, a move.
        const others = twins.of(a.path);
        const twin = others.find((t) => stays(t));
        if (twin) {
          throw conflict(
            `${change.name} ${change.version} delivers \`${a.path}\`, which is \`${twin.path}\` of installed ${twin.package} through the image's directory links: the same file`,
            `one package must stop delivering it (on a merged /usr, \`${a.path}\` and \`${twin.path}\` are one path)`,
          );
        }
        // A config file left by an earlier removal is the package's own, and so is an essential package's directory link
        // the image already holds exactly (the merged-/usr links made first, as debootstrap does); anything else is someone's.
        if (others.length === 0) {
          if ((a.type === 'file' && a.config) || keepsCarrier(change, a)) cs.adopted.push(a.path);
          else unowned.push(a.path);
        }
      }
      const op: PutOp = {
        action: a,
        package: change.name,
        uid: a.type === 'hardlink' ? 0 : ids.uid(a.owner, where(a.path), a.uid),
        gid: a.type === 'hardlink' ? 0 : ids.gid(a.group, where(a.path), a.gid),
        mode: a.type === 'file' ? parseMode(a.mode) : 0,
        dest: a.path,
        existed: st !== null,
      };
      cs.owners.set(a.path, { uid: op.uid, gid: op.gid });
      if (a.type === 'file') {
        // An administrator's edit of a config file survives the upgrade; the new version lands beside it.
        if (change.repair?.revert && change.repair.paths.has(a.path)) {
          // `revert`: the shipped version goes back in place; the local one is kept beside it.
          if (st) op.keepOld = true;
        } else if (a.config && owner?.package === change.name && owner.config && st) {
          const abs = join(root, a.path);
          if (!holds(abs, owner.size, owner.digest)) {
            if (a.digest === owner.digest || holds(abs, a.size, a.digest)) {
              cs.keptConfig.push(a.path);
              continue;
            }
            op.dest = `${a.path}.zpkg-new`;
            op.existed = disk.stat(op.dest) !== null;
            cs.newConfig.push(a.path);
          }
        }
      }
      // An upgrade delivers only what changed (as IPS does): a file the installed version
      // delivers identically, and that is byte for byte what it should be, stays in place.
      if (a.type === 'file' && op.dest === a.path && !op.keepOld && !change.repair && change.from && owner?.package === change.name && keepsInPlace(owner, op, st, change, join(root, a.path))) {
        cs.inPlace.push(a.path);
        continue;
      }
      // Writing a service file or a `restart:` file restarts services only when its content changes.
      if (a.type === 'file' && (a.restart?.length || ZINIT_SERVICE_FILE.test(a.path))) {
        op.unchanged = op.dest !== a.path || (st?.isFile() === true && holds(join(root, a.path), a.size, a.digest));
      }
      if (change.repair && !change.repair.paths.has(a.path)) continue;
      cs.put.push(op);
    }
    if (change.from) dropOld(db, change, cs, goes, dropDirs, linksBecomingDirs);
  }
  checkDirAgreement();
  refuseUnowned(unowned, input.overwrite ?? [], cs);
  for (const pkg of input.removes) {
    for (const f of filesOf(db, pkg.name)) {
      if (claims.has(f.path) || !goes(f)) continue;
      if (f.config && !input.purge && f.type === 'file' && !holds(join(root, f.path), f.size, f.digest)) {
        cs.keptConfig.push(f.path);
        continue;
      }
      cs.delete.push(f);
    }
    dropDirs(dirsOf(db, pkg.name));
  }
  returnToBase(cs, input.baseLink, (name) => !leaving.has(name), claims, disk, linksBecomingDirs);
  keepTwinsOnDisk(cs, twins, stays);
  keepTwinDirectories(cs, twins, dirOwners, (d) => !leaving.has(d.package) && !(upgrading.has(d.package) && !paths.get(d.package)!.dirs.has(d.path)));
  refuseDroppedCarriers(cs, dirOwners, (d) => !leaving.has(d.package) && !(upgrading.has(d.package) && !paths.get(d.package)!.dirs.has(d.path)));
  cs.trees = newTrees(cs.dirs, (path) => twins.real(path), throughLinks);
  return cs;
}

/**
 * A dropped directory that is, through the image's links, a directory another
 * package still delivers under its other name (bookworm's `lib/x86_64-linux-gnu`
 * and trixie's `usr/lib/x86_64-linux-gnu` on a merged /usr) is not removed:
 * its record goes, the directory is the other's.
 */
function keepTwinDirectories(cs: Changeset, twins: LinkTwins, dirOwners: (path: string) => readonly DirRow[], stays: (d: DirRow) => boolean): void {
  const landing = new Set(cs.dirs.map((d) => d.path));
  for (const d of cs.dropDirs) {
    if (cs.dirsLeftAlone.has(d.path)) continue;
    const real = twins.real(d.path);
    if (real !== d.path && (landing.has(real) || dirOwners(real).some(stays))) cs.dirsLeftAlone.add(d.path);
  }
}

/**
 * A merged-/usr link an essential package took over from the adopted base
 * (Debian 13's base-files) and now drops — a rollback to bookworm's, a
 * removal with --allow-protected — goes back to the base, which held it
 * before: recorded as the base's again, the disk untouched. Deleting it would
 * take away the directory every package installed through it.
 */
function returnToBase(cs: Changeset, baseLink: ChangesetInput['baseLink'], staying: (name: string) => boolean, claims: ReadonlyMap<string, { type: string }>, disk: DiskView, losingRows: readonly FileRow[]): void {
  if (!baseLink) return;
  const givesBack = (f: FileRow): boolean => {
    // A landing package's directory there lands through the link; any other claim of the path replaces it anyway.
    const b = f.type === 'link' && (claims.get(f.path)?.type ?? 'dir') === 'dir' ? baseLink(f.path) : undefined;
    if (!b || b.package === f.package || !staying(b.package) || b.target !== f.target || disk.readlink(f.path) !== f.target) return false;
    (cs.returned ??= []).push({ ...f, package: b.package });
    cs.takenOver.push({ path: f.path, from: f.package, to: b.package });
    return true;
  };
  const kept = cs.delete.filter((f) => !givesBack(f));
  if (kept.length !== cs.delete.length) cs.delete = kept;
  for (const f of losingRows) givesBack(f);
}

/** At most three names, then how many more. */
function listed(names: readonly string[]): string {
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

/**
 * A link that goes while packages that stay (or land) still deliver the
 * directory it stands for: their paths would vanish from under their
 * records (the directory behind it is left, nobody's).
 */
function refuseDroppedCarriers(cs: Changeset, dirOwners: (path: string) => readonly DirRow[], stays: (d: DirRow) => boolean): void {
  for (const f of cs.delete) {
    if (f.type !== 'link') continue;
    const users = [...new Set([...dirOwners(f.path).filter(stays).map((d) => d.package), ...cs.dirs.filter((d) => d.path === f.path).map((d) => d.package)])];
    if (users.length === 0) continue;
    throw conflict(`${f.package} would remove the link \`${f.path}\`, which ${listed(users)} still ${users.length === 1 ? 'delivers' : 'deliver'} as a directory`, 'the link stands for that directory: keep the package that delivers it, or remove those packages too');
  }
}

/** Two landing packages delivering one file under two names (`bin/foo` and `usr/bin/foo` on a merged /usr) conflict as if the names were one. */
function refuseTwinClaims(claims: ReadonlyMap<string, { pkg: PreparedPackage; type: string }>, twins: LinkTwins): void {
  const byReal = new Map<string, string>();
  for (const [path, claim] of claims) {
    if (claim.type === 'dir') continue;
    const real = twins.real(path);
    if (real === path) continue;
    const other = claims.get(real) ? real : byReal.get(real);
    if (other !== undefined && claims.get(other)!.type !== 'dir') {
      const a = claims.get(other)!.pkg;
      throw conflict(`${a.name} ${a.version} and ${claim.pkg.name} ${claim.pkg.version} both deliver \`${real}\` (as \`${other}\` and \`${path}\`: one path through the image's directory links)`);
    }
    byReal.set(real, path);
  }
}

/**
 * A path going whose file on disk is also another name's — one that stays
 * recorded, or one this transaction writes (a move from `bin/foo` to
 * `usr/bin/foo` on a merged /usr) — loses its record only: deleting it
 * would delete the file kept or just written.
 */
function keepTwinsOnDisk(cs: Changeset, twins: LinkTwins, stays: (f: FileRow) => boolean): void {
  if (cs.delete.length === 0) return;
  twins.prefetch(cs.delete.map((f) => f.path));
  let written: Map<string, PutOp[]> | undefined;
  const writtenUnderAnotherName = (f: FileRow): boolean => {
    written ??= groupBy(cs.put, (p) => twins.real(p.dest));
    return (written.get(twins.real(f.path)) ?? []).some((p) => p.dest !== f.path);
  };
  cs.delete = cs.delete.filter((f) => !twins.of(f.path).some(stays) && !writtenUnderAnotherName(f));
}

/** What the plan leaves on disk because it lies outside the image now, as warnings. */
export function leftAloneWarnings(cs: Pick<Changeset, 'leftAlone'>): string[] {
  return cs.leftAlone.map((l) => `left \`${l.path}\` alone: it lies under \`${l.through}\`, a symlink that leads out of the image (zpkg never deletes outside it); its record goes`);
}

/** A name no Linux filesystem takes (over NAME_MAX bytes) is refused by name before anything is staged. */
function refuseLongName(change: PreparedPackage, path: string): void {
  const long = path.split('/').find((c) => Buffer.byteLength(c) > NAME_MAX);
  if (!long) return;
  throw new ZpkgError('E_MANIFEST_INVALID', `${change.name} ${change.version} delivers \`${path}\`, whose name \`${long.slice(0, 32)}…\` is ${Buffer.byteLength(long)} bytes: file names are at most ${NAME_MAX} bytes`, {
    hint: 'the package cannot be installed on any Linux filesystem; its publisher must rename the file',
  });
}

/**
 * A path under another path the transaction delivers as a file, link or
 * hardlink (link `L` and file `L/x`, file `F` and file `F/y`) is a conflict:
 * its implicit parent directory is a claim of its own. Claims against
 * installed packages are checked where the parent directories are planned.
 */
function refuseNestedClaims(installs: readonly PreparedPackage[], claims: ReadonlyMap<string, { pkg: PreparedPackage; type: string }>, carried: ReadonlySet<string>): void {
  for (const change of installs) {
    for (const a of change.manifest.actions) {
      if (!isPathAction(a)) continue;
      for (const parent of parentsOf(a.path)) {
        const above = claims.get(parent);
        if (!above || above.type === 'dir') continue;
        // An essential package's link the image already holds, leading to a directory inside it, is that directory.
        if (carried.has(parent) && above.pkg !== change) continue;
        const who = above.pkg === change ? `${change.name} ${change.version} delivers` : `${above.pkg.name} ${above.pkg.version} delivers`;
        throw conflict(`${who} \`${parent}\` as a ${above.type}, and ${change.name} ${change.version} delivers \`${a.path}\` under it`, 'a path cannot be both a file (or link) and a directory; one of the packages must change');
      }
    }
  }
}

/**
 * Paths no package owns that the plan would overwrite — the base an image
 * held before zpkg, a file put there by hand — are refused unless an
 * `--overwrite` glob allows them (as pacman does); allowed ones are listed as
 * adopted. `zpkg adopt` makes a base owned, so it conflicts by name instead.
 */
function refuseUnowned(unowned: readonly string[], globs: readonly string[], cs: Changeset): void {
  if (unowned.length === 0) return;
  const allowed = globs.length ? picomatch(globs.map((g) => g.replace(/^\/+/, '')), { dot: true }) : () => false;
  const refused = unowned.filter((p) => !allowed(p));
  cs.adopted.push(...unowned.filter((p) => allowed(p)));
  if (refused.length === 0) return;
  throw new ZpkgError('E_FILE_CONFLICT', `${refused.length === 1 ? '1 path already in the image belongs' : `${refused.length} paths already in the image belong`} to no package and would be overwritten: ${refused.slice(0, 5).map((p) => `\`/${p}\``).join(', ')}${refused.length > 5 ? ', …' : ''}`, {
    hint: 'if they are the base image, record it with `zpkg adopt NAME VERSION`; to overwrite them anyway, pass --overwrite GLOB (e.g. --overwrite \'/usr/lib/**\')',
    details: { paths: refused },
  });
}

/** Files a manifest's hardlinks point at: staging links them to the staged file, so they are always written. */
const linkTargets = new WeakMap<Manifest, Set<string>>();
function hardlinkTargets(m: Manifest): Set<string> {
  let set = linkTargets.get(m);
  if (!set) {
    set = new Set(m.actions.flatMap((a) => (a.type === 'hardlink' ? [a.target] : [])));
    linkTargets.set(m, set);
  }
  return set;
}

const runningAsRoot = process.getuid?.() === 0;

/**
 * The installed row says the same file (content, mode, owner), the new version
 * is not a config file nor a hardlink target, and the image's file is that file:
 * mode and (when zpkg sets owners) owner as recorded, and its content hashes to
 * the digest — so leaving it is the same as writing it again.
 */
function keepsInPlace(row: FileRow, op: PutOp, st: PathStat | null, change: PreparedPackage, abs: string): boolean {
  const a = op.action as FileAction;
  if (a.config || row.type !== 'file' || row.digest !== a.digest || row.mode !== op.mode || row.uid !== op.uid || row.gid !== op.gid) return false;
  if (!st?.isFile() || st.size !== a.size || (st.mode & 0o7777) !== op.mode) return false;
  if (runningAsRoot && (st.uid !== op.uid || st.gid !== op.gid)) return false;
  if (hardlinkTargets(change.manifest).has(a.path)) return false;
  // `st` is this path's lstat of a moment ago (DiskView): a regular file of the right size.
  return holdsContent(abs, a.size, a.digest);
}

/**
 * Paths a change counts up to which the plan looks each one up in the state
 * (an indexed query of a few µs) instead of reading every file and directory
 * row once: a one-file install on an image holding 100,000 files spent 0.37 s
 * reading all of them. Above it, the one read is cheaper than the queries.
 * Twins through directory links (link-twins.ts), asked for a path found on
 * disk but not recorded or a path deleted, are then looked for among the
 * recorded files of the same last component, by one scan in SQLite.
 */
export const LOOKUP_LIMIT = 2_000;

/** The paths a change meets: those its landing manifests deliver and those its removals take. */
function changePaths(input: ChangesetInput): number {
  let n = 0;
  for (const c of input.installs) n += c.manifest.actions.length;
  for (const p of input.removes) n += countPackageFiles(input.db, p.name);
  return n;
}

/** Every owned path of the image, read once: a large change's plan looks up each path it touches here. */
function loadOwnership(db: Database.Database): { files: Map<string, FileRow>; dirs: Map<string, DirRow[]> } {
  const files = new Map(allFiles(db).map((f) => [f.path, f]));
  const dirs = new Map<string, DirRow[]>();
  for (const d of allDirs(db)) {
    const list = dirs.get(d.path);
    if (list) list.push(d);
    else dirs.set(d.path, [d]);
  }
  return { files, dirs };
}

function pathSets(change: PreparedPackage): { all: Set<string>; files: Set<string>; dirs: Set<string> } {
  const sets = { all: new Set<string>(), files: new Set<string>(), dirs: new Set<string>() };
  for (const a of change.manifest.actions) {
    if (!isPathAction(a)) continue;
    sets.all.add(a.path);
    (a.type === 'dir' ? sets.dirs : sets.files).add(a.path);
  }
  return sets;
}

/** Whether a `replaces` list covers package version `p`: its name, within the atom's constraint. */
function covers(replaces: readonly string[], p: { name: string; version: string }): boolean {
  return replaces.some((r) => providesAtom({ name: p.name, version: p.version, provides: [] }, parseAtom(r)));
}

/** Whether landing package `x` declares `replaces` covering landing package `y`. */
function replacesPackage(x: PreparedPackage, y: PreparedPackage): boolean {
  return covers(x.manifest.replaces, y);
}

/** Whether the installed `owner` (as it lands here, when upgraded) declares `replaces` covering `change`. */
function ownerReplaces(owner: string, change: PreparedPackage, db: Database.Database, landing: PreparedPackage | undefined): boolean {
  return covers(landing ? landing.manifest.replaces : (getPackage(db, owner)?.relations.replaces ?? []), change);
}

function replacesOwner(change: PreparedPackage, owner: string, db: Database.Database): boolean {
  const row = getPackage(db, owner);
  return row !== undefined && covers(change.manifest.replaces, row);
}

/** Paths and directory rows of the installed version that the new version no longer delivers (`goes`: unless the disk is left alone). */
function dropOld(db: Database.Database, change: PreparedPackage, cs: Changeset, goes: (f: FileRow) => boolean, dropDirs: (rows: readonly DirRow[]) => void, linksBecomingDirs: FileRow[]): void {
  const kept = new Map<string, string>();
  for (const a of change.manifest.actions) if (isPathAction(a)) kept.set(a.path, a.type);
  const implied = new Set(cs.dirs.filter((d) => d.package === change.name).map((d) => d.path));
  for (const f of filesOf(db, change.name)) {
    if (f.type === 'link' && kept.get(f.path) === 'dir') linksBecomingDirs.push(f);
    if (kept.has(f.path) || !goes(f)) continue;
    cs.delete.push(f satisfies FileRow);
  }
  dropDirs(dirsOf(db, change.name).filter((d) => !kept.has(d.path) && !implied.has(d.path)));
}
