/** `install`: wanted packages → resolution → manifests fetched and verified → one transaction. */
import type { Candidate } from '../core/catalog.js';
import { ZpkgError } from '../core/errors.js';
import type { Atom } from '../core/relation.js';
import { lockImage, type Image } from '../image/image.js';
import { listRemotes, loadCandidates } from '../image/remotes.js';
import { getPackage, listPackages, toInstalled } from '../image/state.js';
import { blobPath } from '../repo/layout.js';
import { openRepoReader } from '../repo/open.js';
import type { Report } from '../report/report.js';
import { interimResolve } from './interim-resolve.js';
import { fetchManifest } from './manifests.js';
import { runTransaction, type TransactionResult } from './transaction.js';
import type { PackageChange } from './types.js';

export interface InstallOptions {
  report: Report;
  command: string;
  dryRun?: boolean;
  unsafeIo?: boolean;
  noWait?: boolean;
}

/** Fetches and checks the manifest of a chosen candidate, and says where its blobs are. */
export async function prepareChange(image: Image, entry: Candidate, requested: boolean, held = false): Promise<PackageChange> {
  const remote = listRemotes(image).find((r) => r.name === entry.remote);
  if (!remote) throw new ZpkgError('E_REMOTE_UNKNOWN', `remote \`${entry.remote}\` of ${entry.name} ${entry.version} is not configured`);
  if (!entry.manifest) {
    throw new ZpkgError('E_MANIFEST_MISSING', `${entry.name} ${entry.version} in remote \`${entry.remote}\` has no manifest (a catalog-only repository)`, {
      hint: 'catalog-only repositories answer `install --dry-run` and `repo check`; they cannot install',
    });
  }
  const reader = openRepoReader(remote.url);
  const manifest = await fetchManifest(image, reader, entry.manifest, `${entry.name} ${entry.version}`);
  if (manifest.name !== entry.name || manifest.version !== entry.version) {
    throw new ZpkgError('E_REPO_INVALID', `remote \`${remote.name}\`: the catalog says ${entry.name} ${entry.version}, its manifest says ${manifest.name} ${manifest.version}`);
  }
  return {
    name: entry.name,
    version: entry.version,
    manifest,
    digest: entry.manifest,
    remote: remote.name,
    requested,
    held,
    from: getPackage(image.db, entry.name),
    blobSource: (digest) => {
      const local = reader.localPath(blobPath(digest));
      if (!local) throw new ZpkgError('E_USAGE', `remote \`${remote.name}\` has no local blob store`);
      return local;
    },
  };
}

export async function install(image: Image, wanted: Atom[], options: InstallOptions): Promise<TransactionResult> {
  const lock = lockImage(image, { noWait: options.noWait, onWait: () => options.report.info(`waiting for another zpkg working on ${image.paths.root}…`) });
  try {
    if (listRemotes(image).length === 0) {
      throw new ZpkgError('E_USAGE', `image ${image.paths.root} has no remotes to install from`, { hint: 'add one with `zpkg remote add NAME URL`' });
    }
    const pool = await loadCandidates(image);
    const installed = listPackages(image.db);
    const plan = interimResolve(pool, installed.map(toInstalled), wanted);
    const changes: PackageChange[] = [];
    for (const step of plan.install) changes.push(await prepareChange(image, step.entry, step.requested));
    for (const step of plan.upgrade) {
      const wasRequested = step.from.requested || wanted.some((w) => w.name === step.entry.name);
      changes.push(await prepareChange(image, step.entry, wasRequested, step.from.held));
    }
    if (!options.dryRun) {
      // Asking for an installed package by name makes it requested (kept by autoremove).
      const mark = image.db.prepare('UPDATE packages SET requested = 1 WHERE name = ?');
      for (const w of wanted) if (installed.some((p) => p.name === w.name && !p.requested)) mark.run(w.name);
    }
    return await runTransaction(image, { installs: changes, removes: [], command: options.command }, options);
  } finally {
    lock.release();
  }
}
