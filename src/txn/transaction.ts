/**
 * One change of an image, in steps: plan (changeset and every refusal) → stage
 * (verify and write beside targets) → apply (renames) → sync → commit (SQLite).
 * Until apply, a failure leaves the image exactly as it was.
 *
 * Durability: one syncfs(2) of the image's filesystem after apply, then the
 * SQLite commit (WAL, synchronous=FULL: one fsync). When zpkg reports success,
 * a power cut loses nothing. `unsafeIo` skips the syncfs (like dpkg's
 * --force-unsafe-io) for throwaway images.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { Digest } from '../core/digest.js';
import type { ZpkgError } from '../core/errors.js';
import { compareVersions } from '../core/version.js';
import type { Image } from '../image/image.js';
import type { PackageRow } from '../image/state.js';
import type { Plan } from '../solver/index.js';
import { syncFilesystem } from '../fs/syncfs.js';
import type { Report } from '../report/report.js';
import { apply, describeApply, finish } from './apply.js';
import { crashPoint } from './crash-point.js';
import { cachedBlobPath, fetchBlobs } from './fetch.js';
import { removeJournal, writeJournal } from './journal.js';
import { recoverImage } from './recover.js';
import { computeChangeset } from './changeset.js';
import { commit, setRequested } from './commit.js';
import { imageIds } from './owners.js';
import { createAccounts, planAccounts } from './accounts.js';
import { noSpace, stage, unstage } from './stage.js';
import { Lifecycle, type LifecycleOptions, type LifecycleResult } from '../hooks/lifecycle.js';
import { cachedManifest } from './manifests.js';
import { listPackages } from '../image/state.js';
import type { Manifest } from '../core/manifest.js';
import type { PackageChange } from './types.js';

export interface TransactionInput {
  installs: PackageChange[];
  removes: PackageRow[];
  command: string;
  purge?: boolean;
  /** Requested flags of the resulting set, recorded with the commit. */
  flags?: { name: string; requested: boolean }[];
}

export interface TransactionOptions extends LifecycleOptions {
  report: Report;
  unsafeIo?: boolean;
  dryRun?: boolean;
}

export interface TransactionResult {
  id: number | null;
  dryRun: boolean;
  install: { name: string; version: string }[];
  upgrade: { name: string; from: string; to: string }[];
  downgrade: { name: string; from: string; to: string }[];
  remove: { name: string; version: string }[];
  files: { written: number; removed: number; bytes: number };
  keptConfig: string[];
  newConfig: string[];
  adopted: string[];
  takenOver: { path: string; from: string; to: string }[];
  removedDirs: string[];
  keptDirs: string[];
  /** Accounts created in the image for `user`/`group` actions. */
  accounts?: { users: { name: string; uid: number; gid: number }[]; groups: { name: string; gid: number }[] };
  /** Blobs the transaction needed, those not yet cached, the compressed bytes that took, and manifest bytes fetched. */
  fetched: { blobs: number; fetched: number; bytes: number; manifestBytes: number };
  seconds: Record<'plan' | 'fetch' | 'stage' | 'apply' | 'commit', number>;
  /** Hooks that ran and services stopped and started around the change (absent when nothing changed). */
  lifecycle?: LifecycleResult;
}

function summarize(input: TransactionInput): Pick<TransactionResult, 'install' | 'upgrade' | 'downgrade' | 'remove'> {
  const moved = input.installs.filter((c) => c.from).map((c) => ({ name: c.name, from: c.from!.version, to: c.version }));
  return {
    install: input.installs.filter((c) => !c.from).map((c) => ({ name: c.name, version: c.version })),
    upgrade: moved.filter((m) => compareVersions(m.to, m.from) > 0),
    downgrade: moved.filter((m) => compareVersions(m.to, m.from) < 0),
    remove: input.removes.map((p) => ({ name: p.name, version: p.version })),
  };
}

/** What a dry run prints: the solver's plan, nothing fetched or written. */
export function planResult(plan: Plan): TransactionResult {
  return {
    id: null,
    dryRun: true,
    install: plan.install.map((p) => ({ name: p.name, version: p.version })),
    upgrade: plan.upgrade.map((p) => ({ name: p.name, from: p.from, to: p.to })),
    downgrade: plan.downgrade.map((p) => ({ name: p.name, from: p.from, to: p.to })),
    remove: plan.remove.map((p) => ({ name: p.name, version: p.version })),
    files: { written: 0, removed: 0, bytes: 0 },
    keptConfig: [],
    newConfig: [],
    adopted: [],
    takenOver: [],
    removedDirs: [],
    keptDirs: [],
    fetched: { blobs: 0, fetched: 0, bytes: 0, manifestBytes: 0 },
    seconds: { plan: 0, fetch: 0, stage: 0, apply: 0, commit: 0 },
  };
}

/** Runs a transaction; the caller holds the image lock. */
export async function runTransaction(image: Image, input: TransactionInput, options: TransactionOptions): Promise<TransactionResult> {
  const { report } = options;
  const startedAt = new Date().toISOString();
  const clock = (): (() => number) => {
    const t = performance.now();
    return () => Math.round(performance.now() - t) / 1000;
  };
  const changes = summarize(input);
  let t = clock();
  const accounts = planAccounts(image.paths.root, input.installs.filter((c) => c.onlyPaths === undefined).map((c) => c.manifest));
  const cs = computeChangeset({ db: image.db, root: image.paths.root, cacheDir: image.paths.cache, ids: imageIds(image.paths.root, accounts), installs: input.installs, removes: input.removes, purge: input.purge });
  const seconds = { plan: t(), fetch: 0, stage: 0, apply: 0, commit: 0 };
  const result: TransactionResult = {
    id: null,
    dryRun: Boolean(options.dryRun),
    ...changes,
    files: { written: cs.put.length, removed: cs.delete.length, bytes: 0 },
    keptConfig: cs.keptConfig,
    newConfig: cs.newConfig,
    adopted: cs.adopted,
    takenOver: cs.takenOver,
    removedDirs: [],
    keptDirs: [],
    accounts: { users: accounts.users.map((u) => ({ name: u.name, uid: u.uid, gid: u.gid })), groups: accounts.groups.map((g) => ({ name: g.name, gid: g.gid })) },
    fetched: { blobs: 0, fetched: 0, bytes: 0, manifestBytes: 0 },
    seconds,
  };
  if (options.dryRun) return result;
  if (cs.put.length === 0 && cs.delete.length === 0 && input.installs.length === 0 && input.removes.length === 0) {
    // Nothing moves; only what was asked for by name may become requested.
    setRequested(image.db, input.flags ?? []);
    return result;
  }

  const txid = randomBytes(6).toString('hex');
  const root = image.paths.root;
  const manifestOf = (digest: Digest): Manifest | undefined => {
    try {
      return cachedManifest(image, digest);
    } catch {
      return undefined;
    }
  };
  const lifecycle = Lifecycle.forTransaction(
    {
      root,
      txid,
      report,
      blobPath: (digest) => cachedBlobPath(image.paths.cache, digest),
      installedManifests: () => listPackages(image.db).flatMap((p) => manifestOf(p.manifest) ?? []),
    },
    {
      installs: input.installs.map((c) => ({ name: c.name, version: c.version, digest: c.digest, manifest: c.manifest, repair: c.onlyPaths !== undefined, ...(c.from ? { from: { version: c.from.version, digest: c.from.manifest, manifest: manifestOf(c.from.manifest) } } : {}) })),
      removes: input.removes.map((p) => ({ name: p.name, version: p.version, manifest: manifestOf(p.manifest), relations: p.relations })),
      put: cs.put.map((p) => ({ path: p.action.path, package: p.package, existed: p.existed })),
      deleted: cs.delete.map((f) => ({ path: f.path, package: f.package })),
    },
    input.installs.map((c) => ({ name: c.name, manifest: c.manifest, repair: c.onlyPaths !== undefined })),
    options,
  );
  result.lifecycle = lifecycle.result;

  const chown = process.getuid?.() === 0;
  if (!chown) report.warn('not running as root: installed files keep your user and group instead of the packages\' owners');
  t = clock();
  const fetched = await fetchBlobs(image.paths.cache, input.installs, report);
  seconds.fetch = t();
  result.fetched = { blobs: fetched.blobs, fetched: fetched.fetched, bytes: fetched.bytes, manifestBytes: input.installs.reduce((n, c) => n + (c.manifestBytes ?? 0), 0) };
  // Pre-hooks run before anything changes: a failing one leaves the image as it was.
  lifecycle.prepare();
  await lifecycle.runPre();
  // Accounts first, so staged files can be owned by them; never undone (see accounts.ts).
  createAccounts(root, accounts);
  // The journal is durable before the first change; from here an interruption is recoverable.
  const journal = describeApply(root, image.db, cs, txid, input.command);
  writeJournal(image.paths.state, journal);
  crashPoint('journal');
  t = clock();
  const progress = report.progress('stage', cs.put.length);
  const oldMask = process.umask(0);
  let staged;
  try {
    staged = await stage(root, cs, { txid, chown, onFile: (n) => progress.tick(1, n) });
  } catch (err) {
    removeJournal(image.paths.state, txid);
    const digest = (err as ZpkgError).details?.digest;
    if ((err as ZpkgError).code === 'E_DIGEST_MISMATCH' && typeof digest === 'string') rmSync(cachedBlobPath(image.paths.cache, digest as Digest), { force: true });
    throw err;
  } finally {
    process.umask(oldMask);
  }
  progress.done(`${cs.put.length} paths, ${(staged.bytes / 1e6).toFixed(1)} MB verified`);
  seconds.stage = t();
  result.files.bytes = staged.bytes;
  crashPoint('staged');

  try {
    await lifecycle.stopServices();
    // From here an interruption leaves services stopped and post-hooks unrun: recovery finishes them.
    lifecycle.savePending();
  } catch (err) {
    await unstage(staged);
    removeJournal(image.paths.state, txid);
    await lifecycle.abort();
    throw err;
  }
  t = clock();
  try {
    apply(root, image.db, cs, staged, journal, { chown });
  } catch (err) {
    // A failure midway (not a crash): undo what was done, as recovery would.
    recoverImage(image);
    await lifecycle.abort();
    throw err;
  }
  crashPoint('applied');
  if (!options.unsafeIo) syncFilesystem(root);
  crashPoint('synced');
  seconds.apply = t();

  t = clock();
  try {
    result.id = commit(image.db, cs, { txid, command: input.command, startedAt, changes }, input.flags ?? []);
  } catch (err) {
    // Not committed (a full disk under the WAL, say): the files go back as they were.
    recoverImage(image);
    await lifecycle.abort();
    if ((err as { code?: string }).code === 'SQLITE_FULL') throw noSpace(image.paths.db);
    throw err;
  }
  crashPoint('committed');
  const finished = finish(root, journal);
  result.removedDirs = finished.removedDirs;
  result.keptDirs = finished.keptDirs;
  removeJournal(image.paths.state, txid);
  crashPoint('cleaned');
  seconds.commit = t();
  // After the commit nothing is undone: failures here make it committed-with-errors.
  await lifecycle.runPost();
  await lifecycle.startServices();
  lifecycle.record(image.db, result.id);
  lifecycle.dropPending();
  return result;
}
