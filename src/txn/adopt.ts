/**
 * `adopt`: what an image held before zpkg (the base: a zos initramfs's libc,
 * loader, busybox, zinit) becomes an installed package, recorded in one
 * SQLite transaction with its history row (a generation), no file touched.
 * From then on its paths are owned — a package delivering one conflicts at
 * plan time, `verify` checks them — and its `so:`/`file:` provides are what
 * the solver sees the image offer. It is essential: never removed without
 * `--allow-protected`.
 *
 * Adopting again under the same name (a new base generation after a node
 * update) replaces the earlier record; a name that a repository package
 * holds is refused. The description of the tree comes from the builder
 * (build/base.ts), handed in by the caller: txn/ does not reach into build/.
 */
import { randomBytes } from 'node:crypto';
import type { Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { isPathAction, parseMode, type Manifest } from '../core/manifest.js';
import { assertPackageName } from '../core/relation.js';
import { compareVersions, parseVersion } from '../core/version.js';
import { imageIds } from '../image/accounts.js';
import { cachedManifestOrNone, writeCachedManifest } from '../image/cache.js';
import type { Image } from '../image/image.js';
import { allFiles, getPackage } from '../image/state.js';
import type { Report } from '../report/report.js';
import { commit } from './commit.js';
import { withImageSession } from './session.js';
import type { Changeset, DirOp, PreparedPackage } from './types.js';

/** What a describer returns: the base's manifest and how it was made. */
export interface BaseDescription {
  manifest: Manifest;
  bytes: Buffer;
  digest: Digest;
  files: number;
  contentBytes: number;
  skipped: { path: string; why: string }[];
}

export interface AdoptOptions {
  name: string;
  version: string;
  /** Image paths (default: the whole image). */
  paths: readonly string[];
  command: string;
  report: Report;
  dryRun?: boolean;
  noWait?: boolean;
  /** Describes the unowned tree (build/base.ts `describeBase`). */
  describe: (input: { root: string; name: string; version: string; paths: readonly string[]; owned: (path: string) => boolean }) => BaseDescription;
}

export interface AdoptResult {
  id: number | null;
  dryRun: boolean;
  name: string;
  version: string;
  manifest: Digest;
  /** The version adopted before under this name, replaced now. */
  replaced: string | null;
  files: number;
  links: number;
  dirs: number;
  bytes: number;
  provides: string[];
  skipped: { path: string; why: string }[];
}

export function adopt(image: Image, options: AdoptOptions): Promise<AdoptResult> {
  const { name, version } = options;
  assertPackageName(name);
  parseVersion(version);
  return withImageSession(image, { report: options.report, noWait: options.noWait, dryRun: options.dryRun }, async () => {
    const before = getPackage(image.db, name);
    if (before && (before.remote !== null || !cachedManifestOrNone(image.paths.cache, before.manifest)?.essential)) {
      throw new ZpkgError('E_PACKAGE_EXISTS', `${name} ${before.version} is installed${before.remote ? ` from remote \`${before.remote}\`` : ''}: adopt the base under another name`);
    }
    const owners = new Map(allFiles(image.db).map((f) => [f.path, f.package]));
    const described = options.describe({ root: image.paths.root, name, version, paths: options.paths, owned: (p) => (owners.get(p) ?? name) !== name });
    const m = described.manifest;
    const paths = m.actions.filter(isPathAction);
    const result: AdoptResult = {
      id: null,
      dryRun: Boolean(options.dryRun),
      name,
      version,
      manifest: described.digest,
      replaced: before?.version ?? null,
      files: described.files,
      links: paths.filter((a) => a.type === 'link' || a.type === 'hardlink').length,
      dirs: paths.filter((a) => a.type === 'dir').length,
      bytes: described.contentBytes,
      provides: m.provides,
      skipped: described.skipped,
    };
    if (paths.every((a) => a.type === 'dir')) {
      throw new ZpkgError('E_NOT_FOUND', `nothing unowned to adopt under ${options.paths.length ? options.paths.map((p) => `/${p.replace(/^\/+/, '')}`).join(', ') : 'the image'}`, { hint: 'every file there belongs to an installed package already' });
    }
    if (options.dryRun) return result;
    writeCachedManifest(image.paths.cache, described.digest, described.bytes);
    const ids = imageIds(image.paths.root);
    const where = (p: string): string => `the base's \`${p}\``;
    const pkg: PreparedPackage = { name, version, manifest: m, digest: described.digest, remote: null, requested: true, held: false, manifestBytes: 0, blobReader: () => {
      throw new ZpkgError('E_BLOB_MISSING', `${name} is an adopted base: its content is in the image, not in a repository`);
    }, ...(before ? { from: before } : {}) };
    const dirs: DirOp[] = paths.filter((a) => a.type === 'dir').map((a) => ({ path: a.path, package: name, mode: parseMode(a.mode), uid: ids.uid(a.owner, where(a.path)), gid: ids.gid(a.group, where(a.path)), create: false, declared: true }));
    const owned = new Map<string, { uid: number; gid: number }>();
    for (const a of paths) if (a.type === 'file' || a.type === 'link') owned.set(a.path, { uid: ids.uid(a.owner, where(a.path)), gid: ids.gid(a.group, where(a.path)) });
    const cs: Changeset = { installs: [pkg], removes: [], put: [], dirs, delete: [], dropDirs: [], keptConfig: [], newConfig: [], adopted: [], owners: owned, takenOver: [], inPlace: [], leftAlone: [], dirsLeftAlone: new Set() };
    const order = before ? compareVersions(version, before.version) : 0;
    const move = before ? [{ name, from: before.version, to: version }] : [];
    const changes = { install: before ? [] : [{ name, version }], upgrade: order > 0 ? move : [], downgrade: order < 0 ? move : [], remove: [] };
    result.id = commit(image.db, cs, { txid: randomBytes(6).toString('hex'), command: options.command, startedAt: new Date().toISOString(), changes });
    return result;
  });
}
