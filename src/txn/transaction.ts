/**
 * Run: one prepared change of an image, in steps — lifecycle plan → pre-hooks
 * → journal → stage (verify and write beside targets) → stop services → apply
 * (renames) → sync → commit (SQLite) → post-hooks and service starts. Until
 * apply, a failure leaves the image exactly as it was.
 *
 * Durability: one syncfs(2) of the image's filesystem after apply, then the
 * SQLite commit (WAL, synchronous=FULL: one fsync). When zpkg reports success,
 * a power cut loses nothing. `unsafeIo` skips the syncfs (like dpkg's
 * --force-unsafe-io) for throwaway images.
 *
 * A dry run goes as far as the lifecycle plan and returns the same shape:
 * what would land and go, the paths, the accounts, the hooks and the service
 * operations.
 */
import { randomBytes } from 'node:crypto';
import { lstatSync, rmSync } from 'node:fs';
import type { Digest } from '../core/digest.js';
import type { Manifest } from '../core/manifest.js';
import type { ZpkgError } from '../core/errors.js';
import { compareVersions } from '../core/version.js';
import { Lifecycle, type LifecycleOptions, type LifecycleResult } from '../hooks/lifecycle.js';
import { blobCachePath, cachedManifestOrNone } from '../image/cache.js';
import type { Image } from '../image/image.js';
import { listHistory, listPackages, setRequested, type Takeover, type TransactionChanges } from '../image/state.js';
import { writeFacetOverrides } from '../image/facet-state.js';
import { writeMediatorChoices } from '../image/mediator-state.js';
import { startFilesystemSync, syncFilesystem } from '../fs/syncfs.js';
import type { Report } from '../report/report.js';
import { createAccounts } from './account-actions.js';
import { apply, finish, journalOf } from './apply.js';
import { leftAloneWarnings } from './changeset.js';
import { commit } from './commit.js';
import { crashPoint } from './crash-point.js';
import { noSpace } from './failures.js';
import { removeJournal, writeJournal } from './journal.js';
import type { Prepared } from './prepare.js';
import type { WeakOutcome } from './recommends.js';
import { recoverImage, undoAfterFailure } from './recover.js';
import { selfTest, selfUpdateOf, type SelfUpdateResult } from './self-update.js';
import { stage, unstage } from './stage.js';
import { stopwatch } from './stopwatch.js';
import type { Target } from './target.js';
import { counted, formatBytes } from '../report/table.js';
import { hostPath } from '../core/paths.js';
import type { Changeset } from './types.js';

export interface TransactionOptions extends LifecycleOptions {
  report: Report;
  unsafeIo?: boolean;
  dryRun?: boolean;
  /** Globs of image paths no package owns that the transaction may overwrite (pacman's --overwrite); others are refused. */
  overwrite?: readonly string[];
  /** Solve, fetch and verify into the content cache; change nothing else (txn/offline.ts). */
  downloadOnly?: boolean;
  /** Read no remote: everything from the cache, or E_OFFLINE_MISSING naming what is not there (txn/offline.ts). */
  offline?: boolean;
}

/** Seconds each step took: `solve` builds the target (the solver, a list, a generation, verify). */
export type StepSeconds = Record<'solve' | 'manifests' | 'plan' | 'fetch' | 'pre' | 'stage' | 'apply' | 'commit' | 'post', number>;

export interface TransactionResult extends TransactionChanges {
  id: number | null;
  dryRun: boolean;
  /**
   * Paths written and removed, bytes written; `inPlace`: files an upgrade found identical and left alone;
   * `landedWhole`: the new directories staged apart and landed by one rename each (new-trees.ts), and the paths in them.
   */
  files: { written: number; removed: number; bytes: number; inPlace: number; landedWhole?: { directories: number; paths: number } };
  keptConfig: string[];
  newConfig: string[];
  adopted: string[];
  takenOver: { path: string; from: string; to: string }[];
  /** Paths a landing package left to an installed package that replaces it (Changeset.yielded). */
  yielded?: { path: string; package: string; to: string }[];
  removedDirs: string[];
  keptDirs: string[];
  /** Accounts created (or, in a dry run, that would be) in the image for `user`/`group` actions. */
  accounts: { users: { name: string; uid: number; gid: number }[]; groups: { name: string; gid: number }[] };
  /** Blobs the transaction needed, those not yet cached (fetched, or that a dry run would fetch), the compressed bytes that took, and manifest bytes fetched. */
  fetched: { blobs: number; fetched: number; bytes: number; manifestBytes: number };
  /** Packages a catalog-only repository offers without a manifest: planned by a dry run, their paths unknown. */
  withoutManifest: { name: string; version: string }[];
  warnings: string[];
  /** Weak dependencies of what landed: recommends installed or skipped, suggests (absent when there are none). */
  recommends?: WeakOutcome;
  seconds: StepSeconds;
  /** Hooks and service operations around the change (in a dry run: those planned); absent when nothing changes. */
  lifecycle?: LifecycleResult;
  /** The transaction landed zpkg itself (see self-update.ts). */
  selfUpdate?: SelfUpdateResult;
  /** After a removal without `--autoremove`: installed dependencies nothing keeps any more, which `remove --autoremove` would take. */
  unneeded?: { name: string; version: string }[];
  /** Installed packages that were dependencies and, asked for by name, become manual (kept by autoremove). */
  markedManual?: string[];
  /** `--download-only`: what the transaction needs is in the content cache; nothing else changed (`id` is null). */
  downloadOnly?: boolean;
}

/** What the target changes, by package. */
export function changesOf(target: Target): TransactionChanges {
  const moved = target.land.filter((l) => l.from && l.from.version !== l.version).map((l) => ({ name: l.name, from: l.from!.version, to: l.version }));
  return {
    install: target.land.filter((l) => !l.from).map((l) => ({ name: l.name, version: l.version })),
    upgrade: moved.filter((m) => compareVersions(m.to, m.from) > 0),
    downgrade: moved.filter((m) => compareVersions(m.to, m.from) < 0),
    remove: target.remove.map((p) => ({ name: p.name, version: p.version, ...(target.replacedBy?.[p.name] ? { replacedBy: target.replacedBy[p.name] } : {}) })),
  };
}

/** The history row's summary of files that changed owner: one entry per pair of packages, in order of their first path. */
export function takeoversOf(moved: readonly { path: string; from: string; to: string }[]): { takeovers?: Takeover[] } {
  const byPair = new Map<string, Takeover>();
  for (const m of [...moved].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const key = `${m.from}\0${m.to}`;
    const t = byPair.get(key);
    if (t) t.paths += 1;
    else byPair.set(key, { from: m.from, to: m.to, paths: 1, first: m.path });
  }
  return byPair.size ? { takeovers: [...byPair.values()] } : {};
}

export function describe(prepared: Prepared, dryRun: boolean): TransactionResult {
  const cs = prepared.changeset;
  return {
    id: null,
    dryRun,
    ...changesOf(prepared.target),
    files: { written: cs.put.length, removed: cs.delete.length, bytes: 0, inPlace: cs.inPlace.length },
    keptConfig: cs.keptConfig,
    newConfig: cs.newConfig,
    adopted: cs.adopted,
    takenOver: cs.takenOver,
    ...(cs.yielded?.length ? { yielded: cs.yielded } : {}),
    removedDirs: [],
    keptDirs: [],
    accounts: { users: prepared.accounts.users.map((u) => ({ name: u.name, uid: u.uid, gid: u.gid })), groups: prepared.accounts.groups.map((g) => ({ name: g.name, gid: g.gid })) },
    fetched: { ...prepared.fetched },
    withoutManifest: prepared.withoutManifest,
    warnings: [
      ...(prepared.target.warnings ?? []),
      ...leftAloneWarnings(cs),
    ],
    ...(prepared.target.weak ? { recommends: prepared.target.weak } : {}),
    seconds: { solve: 0, ...prepared.seconds, pre: 0, stage: 0, apply: 0, commit: 0, post: 0 },
  };
}

function lifecycleOf(image: Image, prepared: Prepared, txid: string, options: TransactionOptions): Lifecycle {
  const { target, packages, changeset: cs } = prepared;
  // The landing packages' manifests are in memory, decoded and validated by prepare: decoding them again from the
  // cache cost an install of a 20,000-file package 0.23 s after its commit (the post-commit sweep reads every installed one).
  const decoded = new Map<Digest, Manifest>(packages.map((c) => [c.digest, c.manifest]));
  const manifestOf = (digest: Digest): Manifest | undefined => decoded.get(digest) ?? cachedManifestOrNone(image.paths.cache, digest);
  return Lifecycle.forTransaction(
    {
      root: image.paths.root,
      txid,
      report: options.report,
      blobPath: (digest) => blobCachePath(image.paths.cache, digest),
      installedManifests: () => listPackages(image.db).flatMap((p) => manifestOf(p.manifest) ?? []),
    },
    {
      installs: packages.map((c) => ({ name: c.name, version: c.version, digest: c.digest, manifest: c.manifest, repair: c.repair !== undefined, ...(c.from ? { from: { version: c.from.version, digest: c.from.manifest, manifest: c.departing ?? manifestOf(c.from.manifest) } } : {}) })),
      removes: target.remove.map((p) => ({ name: p.name, version: p.version, manifest: manifestOf(p.manifest), relations: p.relations })),
      put: cs.put.map((p) => ({ path: p.action.path, package: p.package, existed: p.existed, changed: !p.unchanged })),
      deleted: cs.delete.map((f) => ({ path: f.path, package: f.package })),
    },
    packages.map((c) => ({ name: c.name, manifest: c.manifest, repair: c.repair !== undefined })),
    options,
  );
}

/**
 * What the automatic rollback needs of a transaction whose post-phase failed
 * under `--rollback-on-failure`: the causes, the generation to return to, and
 * whether services were up before it. Its pending lifecycle says the same,
 * durably, until the rollback is done.
 */
export interface FailedPostPhase {
  lifecycle: Lifecycle;
  causes: string[];
  /** The generation before the transaction (0: the empty image). */
  before: number;
}

function newlyRequested(image: Image, flags: Target['flags']): string[] {
  const auto = new Set(listPackages(image.db).filter((p) => !p.requested).map((p) => p.name));
  return flags.filter((f) => f.requested && auto.has(f.name)).map((f) => f.name);
}

/** Applies a prepared change; the caller holds the image session. */
/**
 * The changeset's new trees to stage whole (new-trees.ts): none when a
 * pre-hook runs between staging and apply (it may need some packages landed
 * before others, or write into a directory it expects to exist), and not one
 * a pre-hook already run has made.
 */
function treesToStage(root: string, cs: Changeset, lifecycle: { needyPre(): readonly unknown[] }): string[] {
  if (!cs.trees?.length || lifecycle.needyPre().length > 0) return [];
  return cs.trees.filter((tree) => lstatSync(hostPath(root, tree), { throwIfNoEntry: false }) === undefined);
}

export async function runTransaction(image: Image, prepared: Prepared, options: TransactionOptions): Promise<TransactionResult & { failedPostPhase?: FailedPostPhase }> {
  const { report } = options;
  const { target, changeset: cs } = prepared;
  const startedAt = new Date().toISOString();
  const result: TransactionResult & { failedPostPhase?: FailedPostPhase } = describe(prepared, Boolean(options.dryRun));
  result.markedManual = newlyRequested(image, target.flags);
  const seconds = result.seconds;
  const nothing = cs.put.length === 0 && cs.delete.length === 0 && target.land.length === 0 && target.remove.length === 0;
  const txid = randomBytes(6).toString('hex');
  const lifecycle = nothing ? undefined : lifecycleOf(image, prepared, txid, options);
  if (options.dryRun) {
    if (lifecycle) result.lifecycle = lifecycle.planned();
    return result;
  }
  if (!lifecycle) {
    // Nothing moves; only what was asked for by name may become requested (and facet settings no path depends on are recorded).
    setRequested(image.db, target.flags);
    if (target.facets) writeFacetOverrides(image.db, target.facets.record);
    if (target.mediators) writeMediatorChoices(image.db, target.mediators.record);
    return result;
  }
  result.lifecycle = lifecycle.result;
  const root = image.paths.root;
  const chown = process.getuid?.() === 0;
  if (!chown) report.warn('not running as root: installed files keep your user and group instead of the packages\' owners');
  const before = listHistory(image.db).at(-1)?.id ?? 0;

  let t = stopwatch();
  // Packs may still be downloading (prepare's overlap): staging takes their frames as they arrive.
  const arriving = cs.content?.arriving;
  let journal: ReturnType<typeof journalOf>;
  try {
    // Pre-hooks that need nothing of this transaction run before anything changes: a failing one leaves the image as it was.
    lifecycle.prepare();
    // Pre-hooks and new accounts change the image before staging does: with either, the downloads end first, so one
    // that fails still leaves the image as it was.
    if (arriving && (lifecycle.hasPre() || prepared.accounts.users.length > 0 || prepared.accounts.groups.length > 0)) {
      const failure = await arriving.done;
      if (failure) throw failure;
    }
    await lifecycle.runPre();
    seconds.pre = t();
    // Accounts first, so staged files can be owned by them; never undone (see account-actions.ts).
    createAccounts(root, prepared.accounts);
    // The journal is durable before the first change; from here an interruption is recoverable.
    journal = journalOf(root, image.db, cs, txid, target.command, treesToStage(root, cs, lifecycle));
    writeJournal(image.paths.work, journal);
  } catch (err) {
    // Nothing downloads on once the transaction has failed.
    arriving?.stop();
    await arriving?.done;
    throw err;
  }
  crashPoint('journal');
  t = stopwatch();
  const progress = report.progress('stage', cs.put.length);
  const oldMask = process.umask(0);
  let staged;
  try {
    staged = await stage(root, cs, { txid, trees: journal.trees, chown, onFile: (n) => progress.tick(1, n) });
  } catch (err) {
    removeJournal(image.paths.work, txid);
    const digest = (err as ZpkgError).details?.digest;
    if ((err as ZpkgError).code === 'E_DIGEST_MISMATCH' && typeof digest === 'string') rmSync(blobCachePath(image.paths.cache, digest as Digest), { force: true });
    throw err;
  } finally {
    process.umask(oldMask);
  }
  progress.done(`${counted(cs.put.length, 'path')}, ${formatBytes(staged.bytes)} verified`);
  seconds.stage = t();
  if (arriving) {
    // stage() returned once every download ended whole.
    result.fetched.bytes += arriving.bytes;
    seconds.fetch += arriving.seconds;
  }
  result.files.bytes = staged.bytes;
  if (staged.trees.length) result.files.landedWhole = { directories: staged.trees.length, paths: cs.put.filter((p) => staged.names.treeOf(p.dest) !== undefined).length };
  crashPoint('staged');
  if (!options.unsafeIo) startFilesystemSync(root);

  try {
    await lifecycle.stopServices();
    // From here an interruption leaves services stopped and post-hooks unrun: recovery finishes them.
    lifecycle.savePending();
  } catch (err) {
    await unstage(staged);
    removeJournal(image.paths.work, txid);
    await lifecycle.abort();
    throw err;
  }
  t = stopwatch();
  try {
    // Pre-hooks that need packages of this transaction: those land first (one journal covers every wave).
    const landed = new Set<string>();
    for (const step of lifecycle.needyPre()) {
      const wave = new Set(step.needs!.filter((n) => !landed.has(n)));
      if (wave.size) {
        apply(root, image.db, cs, staged, journal, { chown, packages: wave });
        for (const n of wave) landed.add(n);
      }
      await lifecycle.runNeedy(step);
    }
    apply(root, image.db, cs, staged, journal, { chown });
  } catch (err) {
    // A failure midway (not a crash): undo what was done, as recovery would.
    const failure = undoAfterFailure(image, err);
    await lifecycle.abort();
    throw failure;
  }
  crashPoint('applied');
  // A new zpkg must run before it is committed; if not, the transaction is undone.
  const self = selfUpdateOf(root, prepared);
  if (self) {
    try {
      await selfTest(self, root, report);
    } catch (err) {
      recoverImage(image);
      await lifecycle.abort();
      throw err;
    }
  }
  if (!options.unsafeIo) syncFilesystem(root);
  crashPoint('synced');
  seconds.apply = t();

  t = stopwatch();
  try {
    result.id = commit(image.db, cs, { txid, command: target.command, startedAt, changes: { ...changesOf(target), ...takeoversOf(cs.takenOver) } }, target.flags);
  } catch (err) {
    // Not committed (a full disk under the WAL, say): the files go back as they were.
    recoverImage(image);
    await lifecycle.abort();
    if ((err as { code?: string }).code === 'SQLITE_FULL') throw noSpace(`while committing to ${image.paths.db}`);
    throw err;
  }
  crashPoint('committed');
  const finished = await finish(root, journal);
  result.removedDirs = finished.removedDirs;
  result.keptDirs = finished.keptDirs;
  removeJournal(image.paths.work, txid);
  crashPoint('cleaned');
  seconds.commit = t();
  if (self) result.selfUpdate = { from: self.from, to: self.to, tested: true, launcher: self.launcher, post: self.handOff ? 'pending' : 'here' };
  // The image's own zpkg was replaced: the new version runs what is left (its pending lifecycle), once the lock is released.
  if (self?.handOff) return result;
  // After the commit nothing is undone: failures here make it committed-with-errors (or, asked for, start a rollback).
  t = stopwatch();
  await lifecycle.runPost();
  await lifecycle.startServices();
  lifecycle.record(image.db, result.id);
  if (lifecycle.result.errors > 0 && lifecycle.rollbackOnFailure) {
    const causes = lifecycle.failures();
    lifecycle.markRollback({ from: result.id, to: before, causes });
    result.failedPostPhase = { lifecycle, causes, before };
  } else lifecycle.dropPending();
  seconds.post = t();
  return result;
}
