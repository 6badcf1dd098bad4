/**
 * Read-only questions about an image and what its remotes offer: `search`
 * (by name or summary, or by a path packages deliver), `info` (one
 * package), `contents` (its paths) and `list --upgradable`. They read the
 * refreshed catalogs (a remote never refreshed, or whose cached root
 * metadata expired, is refreshed first, as install does) and the installed
 * set; they take no lock and change nothing else.
 */
import { parseEntryKey, type Candidate } from '../core/catalog.js';
import { ZpkgError } from '../core/errors.js';
import { formatAtom, formatClause } from '../core/relation.js';
import { isPathAction, type Manifest } from '../core/manifest.js';
import { compareVersions } from '../core/version.js';
import type { Image } from '../image/image.js';
import { listRemotes, loadCandidates, loadFileIndex, remoteReader, type LoadOptions } from '../image/remotes.js';
import { cachedManifestOrNone } from '../image/cache.js';
import { getHold } from '../image/holds.js';
import { dirsOf, filesOf, getPackage, listPackages, type PackageRow } from '../image/state.js';
import { describeRefusal, refusals, type AdmitPolicy } from '../solver/admit.js';
import { imagePolicy } from './admission.js';
import { fetchManifest } from './manifests.js';
import { refuseMisnamed } from './prepare.js';

/** The newest version of a package whose name or summary matched. */
export interface PackageMatch {
  name: string;
  version: string;
  summary: string;
  remote: string;
  /** The installed version, if any. */
  installed: string | null;
}

/** A path a package version delivers. */
export interface PathMatch {
  path: string;
  package: string;
  version: string;
  remote: string;
  /** This very version is installed. */
  installed: boolean;
}

const byKey = <T>(key: (x: T) => string) => (a: T, b: T): number => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

function installedVersions(image: Image): Map<string, string> {
  return new Map(listPackages(image.db).map((p) => [p.name, p.version]));
}

/** Packages whose name or summary contains `term` (case-insensitive): the newest version of each, sorted by name. */
/** `warn`: told of each remote left out because it cannot be refreshed now; without it, such a remote fails the question. */
export type LeftOut = (message: string) => void;

function answering(warn?: LeftOut): LoadOptions {
  return warn ? { leaveOut: (remote, err) => warn(`remote \`${remote}\` is left out of this answer: ${err.message}`) } : {};
}

export async function searchPackages(image: Image, term: string, warn?: LeftOut): Promise<PackageMatch[]> {
  const needle = term.toLowerCase();
  const installed = installedVersions(image);
  const newest = new Map<string, Candidate>();
  for (const c of await loadCandidates(image, answering(warn))) {
    if (!c.name.toLowerCase().includes(needle) && !c.summary.toLowerCase().includes(needle)) continue;
    const have = newest.get(c.name);
    if (!have || compareVersions(c.version, have.version) > 0) newest.set(c.name, c);
  }
  return [...newest.values()]
    .map((c) => ({ name: c.name, version: c.version, summary: c.summary, remote: c.remote, installed: installed.get(c.name) ?? null }))
    .sort(byKey((m) => m.name));
}

/**
 * Every path containing `term` (case-insensitive) that a package version of a
 * remote delivers, from each remote's file index; sorted by path. Paths are
 * matched as image paths, `/usr/bin/hello`: a term with a leading `/` (what
 * `owns` takes, and what a user copies from a shell) starts at a path
 * component, where the index's paths have no leading slash.
 */
export async function searchPaths(image: Image, term: string): Promise<PathMatch[]> {
  const needle = term.toLowerCase();
  const rooted = needle.startsWith('/') ? needle.slice(1) : undefined;
  const matches = (path: string): boolean => {
    const p = path.toLowerCase();
    return p.includes(needle) || (rooted !== undefined && p.startsWith(rooted));
  };
  const installed = installedVersions(image);
  const hits: PathMatch[] = [];
  for (const remote of listRemotes(image)) {
    for (const [key, paths] of await loadFileIndex(image, remote)) {
      const { name, version } = parseEntryKey(key);
      for (const path of paths) if (matches(path)) hits.push({ path, package: name, version, remote: remote.name, installed: installed.get(name) === version });
    }
  }
  return hits.sort(byKey((h) => h.path));
}

/** One package: as installed (if it is), and every version the remotes offer. */
export interface PackageInfo {
  name: string;
  installed: Pick<PackageRow, 'version' | 'requested' | 'held' | 'installedAt' | 'size' | 'manifest' | 'remote'> | null;
  /** Newest first; `out` says why the image keeps a version out (arch, exclude, hold), null when it may land. */
  available: { version: string; remote: string; arch: string; out: string | null }[];
  /** A hold's range and reason (`zpkg hold`), if any. */
  hold: { range: string | null; reason: string | null } | null;
  /** Metadata of the installed version, else of the newest offered. */
  arch: string;
  summary: string;
  depends: string[];
  conflicts: string[];
  provides: string[];
  replaces: string[];
  /** Weak dependencies: installed only with --with-recommends or `recommends: true`; suggests are only shown. */
  recommends: string[];
  suggests: string[];
  /** The installed version's, from its manifest; null when not installed (the catalog does not carry them) or its cached manifest is unreadable. */
  license: string | null;
  description: string | null;
}

/** Every version the remotes offer of `name`, newest first (for one version, the remotes in priority order: the sort is stable). */
async function offeredNewestFirst(image: Image, name: string, warn?: LeftOut): Promise<Candidate[]> {
  return (await loadCandidates(image, answering(warn))).filter((c) => c.name === name).sort((a, b) => compareVersions(b.version, a.version));
}

/** The first of `offered` the image's policy admits, else the first. */
function newestAdmitted(offered: readonly Candidate[], policy: AdmitPolicy): Candidate | undefined {
  return offered.find((c) => refusals(c, policy).length === 0) ?? offered[0];
}

export async function packageInfo(image: Image, name: string, warn?: LeftOut): Promise<PackageInfo> {
  const row = getPackage(image.db, name);
  const offered = await offeredNewestFirst(image, name, warn);
  const { policy } = imagePolicy(image);
  const available = offered.map((c) => {
    const why = refusals(c, policy);
    return { version: c.version, remote: c.remote, arch: c.arch, out: why.length ? why.map(describeRefusal).join('; ') : null };
  });
  const top = newestAdmitted(offered, policy);
  const h = getHold(image.db, name);
  const hold = h ? { range: h.range ? formatAtom(h.range) : null, reason: h.reason ?? null } : null;
  if (row) {
    const { version, requested, held, installedAt, size, manifest, remote } = row;
    const { depends, conflicts, provides, replaces } = row.relations;
    const m = cachedManifestOrNone(image.paths.cache, manifest);
    return { name, installed: { version, requested, held, installedAt, size, manifest, remote }, available, hold, arch: row.arch, summary: row.summary, depends, conflicts, provides, replaces, recommends: m?.recommends ?? [], suggests: m?.suggests ?? [], license: m?.license ?? null, description: m?.description ?? null };
  }
  if (!top) throw new ZpkgError('E_PACKAGE_UNKNOWN', `no package named \`${name}\` is installed or offered by a remote`);
  const m = await offeredManifest(image, top);
  return {
    name,
    installed: null,
    available,
    hold,
    arch: top.arch,
    summary: top.summary,
    depends: top.depends.map(formatClause),
    conflicts: top.conflicts.map(formatAtom),
    provides: top.provides.map(formatAtom),
    replaces: top.replaces.map(formatAtom),
    recommends: (top.recommends ?? []).map(formatClause),
    suggests: (top.suggests ?? []).map(formatClause),
    license: m?.license ?? null,
    description: m?.description ?? null,
  };
}

/**
 * The manifest of an offered version, for what the catalog does not carry
 * (description, license), as `apt show` prints them: from the cache, else one
 * request, checked against its digest. Null where there is none (a
 * catalog-only repository) or it cannot be fetched now (offline): `info`
 * still answers from the catalog. A manifest naming another package is the
 * repository lying, and stays an error.
 */
async function offeredManifest(image: Image, c: Candidate): Promise<Manifest | null> {
  if (!c.manifest) return null;
  const remote = listRemotes(image).find((r) => r.name === c.remote);
  if (!remote) return null;
  let manifest: Manifest;
  try {
    manifest = cachedManifestOrNone(image.paths.cache, c.manifest) ?? (await fetchManifest(image, () => remoteReader(image, remote), c.manifest, `${c.name} ${c.version}`, { keep: false })).manifest;
  } catch {
    return null;
  }
  refuseMisnamed(c.remote, c.name, c.version, manifest);
  return manifest;
}

/** An installed package a remote offers a newer version of. */
export interface Upgradable {
  name: string;
  installed: string;
  /** The newest version the image would admit (its arch, `exclude:` and hold ranges allow it). */
  newest: string;
  remote: string;
  /** Held at the installed version (`zpkg hold NAME`): `update` leaves it. */
  held: boolean;
}

/**
 * apt's `list --upgradable`: per installed package, the newest version a
 * remote offers above the installed one that the image's policy admits.
 * Each package on its own: `update -n` says what an update would do once
 * every dependency is solved together.
 */
export async function upgradablePackages(image: Image): Promise<Upgradable[]> {
  const installed = new Map(listPackages(image.db).map((p) => [p.name, p]));
  const { policy } = imagePolicy(image);
  const best = new Map<string, Candidate>();
  for (const c of await loadCandidates(image)) {
    const row = installed.get(c.name);
    if (!row || compareVersions(c.version, row.version) <= 0) continue;
    const seen = best.get(c.name);
    if (seen && compareVersions(c.version, seen.version) <= 0) continue;
    if (refusals(c, policy).length === 0) best.set(c.name, c);
  }
  return [...best.values()]
    .map((c) => ({ name: c.name, installed: installed.get(c.name)!.version, newest: c.version, remote: c.remote, held: installed.get(c.name)!.held }))
    .sort(byKey((u) => u.name));
}

/** A path a package delivers; `target` for a link (and a hard link: the path it shares content with). */
export interface ContentPath {
  path: string;
  type: 'dir' | 'file' | 'link' | 'hardlink';
  target: string | null;
}

export interface PackageContents {
  name: string;
  version: string;
  /** Where the listing comes from: the installed version (state.db), or a remote's. */
  installed: boolean;
  remote: string | null;
  paths: ContentPath[];
}

/**
 * The paths a package delivers (`zpkg contents`): the installed version's as
 * state.db records them; a package not installed (or another `version`), as
 * its manifest says — from the content cache, else fetched from its remote
 * and checked against the catalog's digest, as install reads it (dnf's
 * `repoquery -l`, apt-file's `list`). The newest version the image admits
 * is listed unless `version` names one.
 */
export async function packageContents(image: Image, name: string, version?: string): Promise<PackageContents> {
  const row = getPackage(image.db, name);
  const byPath = (a: ContentPath, b: ContentPath): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  if (row && (version === undefined || compareVersions(version, row.version) === 0)) {
    const paths: ContentPath[] = [
      ...dirsOf(image.db, name).map((d) => ({ path: d.path, type: 'dir' as const, target: null })),
      ...filesOf(image.db, name).map((f) => ({ path: f.path, type: f.type, target: f.target })),
    ];
    return { name, version: row.version, installed: true, remote: row.remote, paths: paths.sort(byPath) };
  }
  const offered = await offeredNewestFirst(image, name);
  const c = newestAdmitted(version === undefined ? offered : offered.filter((x) => compareVersions(x.version, version) === 0), imagePolicy(image).policy);
  if (!c) {
    const any = version !== undefined && offered.length > 0;
    throw new ZpkgError(any ? 'E_VERSION_UNKNOWN' : 'E_PACKAGE_UNKNOWN', version === undefined ? `no package named \`${name}\` is installed or offered by a remote` : `${name} ${version} is neither installed nor offered by a remote`, { hint: 'see what is offered with `zpkg info NAME`' });
  }
  if (!c.manifest) throw new ZpkgError('E_MANIFEST_MISSING', `${name} ${c.version} in remote \`${c.remote}\` has no manifest (a catalog-only repository): its paths are not known`);
  const remote = listRemotes(image).find((r) => r.name === c.remote)!;
  const { manifest } = await fetchManifest(image, () => remoteReader(image, remote), c.manifest, `${name} ${c.version}`, { keep: false });
  refuseMisnamed(c.remote, name, c.version, manifest);
  const paths = manifest.actions.filter(isPathAction).map((a) => ({ path: a.path, type: a.type, target: a.type === 'link' || a.type === 'hardlink' ? a.target : null }));
  return { name, version: c.version, installed: false, remote: c.remote, paths: paths.sort(byPath) };
}
