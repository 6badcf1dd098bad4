/** `install`: wanted packages → the solver's plan → manifests fetched and verified → one transaction. */
import type { LifecycleOptions } from '../hooks/lifecycle.js';
import type { Digest } from '../core/digest.js';
import type { RepoReader } from '../repo/backend.js';
import { ZpkgError } from '../core/errors.js';
import type { Atom } from '../core/relation.js';
import { lockImage, type Image } from '../image/image.js';
import { listRemotes, remoteReader } from '../image/remotes.js';
import { getPackage } from '../image/state.js';
import type { Report } from '../report/report.js';
import { fetchManifest } from './manifests.js';
import { recoverImage } from './recover.js';
import { resumeLifecycles } from './resume.js';
import { resolve } from './resolve.js';
import { planResult, runTransaction, type TransactionResult } from './transaction.js';
import type { PackageChange } from './types.js';

export interface InstallOptions extends LifecycleOptions {
  report: Report;
  command: string;
  dryRun?: boolean;
  unsafeIo?: boolean;
  noWait?: boolean;
}

/** A package version to land, known by its manifest digest and the remote that offers it. */
export interface LandingRef {
  name: string;
  version: string;
  manifest?: Digest;
  remote: string | null;
}

/**
 * Gets the manifest of a package to land (from the image cache, else its
 * remote), checks it names what was asked for, and says where its blobs come
 * from. A package whose manifest and blobs are cached needs no remote at all
 * (rollback without network).
 */
export async function prepareChange(image: Image, entry: LandingRef, requested: boolean, held = false): Promise<PackageChange> {
  if (!entry.manifest) {
    throw new ZpkgError('E_MANIFEST_MISSING', `${entry.name} ${entry.version} in remote \`${entry.remote}\` has no manifest (a catalog-only repository)`, {
      hint: 'catalog-only repositories answer `install --dry-run` and `repo check`; they cannot install',
    });
  }
  const remote = entry.remote === null ? undefined : listRemotes(image).find((r) => r.name === entry.remote);
  let opened: RepoReader | undefined;
  const reader = (): RepoReader => {
    if (!remote) throw new ZpkgError('E_REMOTE_UNKNOWN', `${entry.name} ${entry.version} is not in the image cache and its remote \`${entry.remote ?? '?'}\` is not configured`);
    opened ??= remoteReader(image, remote);
    return opened;
  };
  const fetched = { bytes: 0 };
  const manifest = await fetchManifest(image, reader, entry.manifest, `${entry.name} ${entry.version}`, fetched);
  if (manifest.name !== entry.name || manifest.version !== entry.version) {
    throw new ZpkgError('E_REPO_INVALID', `remote \`${entry.remote}\`: the catalog says ${entry.name} ${entry.version}, its manifest says ${manifest.name} ${manifest.version}`);
  }
  return {
    name: entry.name,
    version: entry.version,
    manifest,
    digest: entry.manifest,
    remote: entry.remote,
    requested,
    held,
    from: getPackage(image.db, entry.name),
    manifestBytes: fetched.bytes,
    blobReader: reader,
  };
}

export async function install(image: Image, wanted: Atom[], options: InstallOptions): Promise<TransactionResult> {
  return withImageLock(image, options, async () => {
    if (options.dryRun) return planResult((await resolve(image, { install: wanted }, {}, true)).plan);
    const r = await resolve(image, { install: wanted });
    return runTransaction(image, { installs: r.installs, removes: r.removes, flags: r.flags, command: options.command }, options);
  });
}

export interface LockedOptions {
  report: Report;
  noWait?: boolean;
  /** Dry runs only read: they take no lock (and so never create one in a fresh image). */
  dryRun?: boolean;
}

/**
 * Runs `work` holding the image's transaction lock (telling the person when it
 * has to wait), after recovering any transaction an interruption left behind.
 */
export async function withImageLock<T>(image: Image, options: LockedOptions, work: () => Promise<T>): Promise<T> {
  if (options.dryRun) return work();
  const lock = lockImage(image, { noWait: options.noWait, onWait: () => options.report.info(`waiting for another zpkg working on ${image.paths.root}…`) });
  try {
    // An interrupted transaction is finished or undone before anything else happens.
    for (const r of recoverImage(image)) options.report.info(`recovered the interrupted transaction ${r.txid} (${r.command}): ${r.outcome}`);
    await resumeLifecycles(image, options.report);
    return await work();
  } finally {
    lock.release();
  }
}
