/**
 * The other half of recovery: lifecycles an interruption left pending. A
 * transaction that was committed gets its post-hooks run and its services
 * started (or reloaded, or monitored) now; one that was rolled back gets the
 * services it had stopped started again (monitored again when it had made
 * zinit forget them). Runs after `recoverImage`, under the image lock.
 *
 * A committed transaction under `--rollback-on-failure` whose post-phase
 * fails here, or whose automatic rollback an interruption stopped, is rolled
 * back now — unless a later generation exists already (the rollback itself
 * committed). Those go last, after every other pending lifecycle (the
 * rollback's own among them) is finished.
 */
import { PENDING_LIFECYCLE } from '../hooks/pending-shape.js';
import { checkShape } from '../core/shape.js';
import { readdirSync, rmSync } from 'node:fs';
import { readBounded } from '../fs/in-root.js';
import { JOURNAL_LIMIT } from './journal.js';
import { join } from 'node:path';
import { pendingDir } from '../hooks/pending-dir.js';
import type { LifecycleResult, PendingLifecycle } from '../hooks/lifecycle.js';
import type { ServiceManager } from '../hooks/services/types.js';
import { blobCachePath, cachedManifestOrNone } from '../image/cache.js';
import type { Image } from '../image/image.js';
import { historyIdOf, listHistory, listPackages } from '../image/state.js';
import type { Report } from '../report/report.js';
import type { RollbackOrder } from './auto-rollback.js';
import type { TransactionResult } from './transaction.js';

export interface Resumed {
  txid: string;
  /**
   * `finished`: post-hooks and service starts ran now; `restarted`: the
   * rolled-back transaction's stopped services were started again;
   * `rolled back`: its post-phase failed and the image went back to the
   * generation before it (transaction `rollback.id`).
   */
  outcome: 'finished' | 'restarted' | 'rolled back';
  lifecycle: LifecycleResult;
  rollback?: { to: number; causes: string[]; result: TransactionResult | null };
}

/**
 * The pending lifecycle records in `dir`, read and checked, older first and
 * rollback orders last; `error` for one that cannot be read (never more is
 * read than a journal holds; a link or FIFO in zpkg's directory is refused
 * unread). Reads only: records half-written when the interruption came
 * (dot-files) are left out, not removed.
 */
export function peekPending(dir: string): { path: string; pending?: PendingLifecycle; error?: string }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const read: { path: string; pending: PendingLifecycle }[] = [];
  const bad: { path: string; error: string }[] = [];
  for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.'))) {
    const path = join(dir, name);
    try {
      const text = readBounded(path, { maxBytes: JOURNAL_LIMIT, noFollow: true })?.toString('utf8') ?? '';
      read.push({ path, pending: checkShape(PENDING_LIFECYCLE, JSON.parse(text), 'E_IMAGE_INVALID', 'its content') as unknown as PendingLifecycle });
    } catch (err) {
      bad.push({ path, error: (err as Error).message });
    }
  }
  read.sort((a, b) => Number(Boolean(a.pending.rollback)) - Number(Boolean(b.pending.rollback)) || (a.pending.createdAt ?? '').localeCompare(b.pending.createdAt ?? ''));
  return [...read, ...bad];
}

function readPending(dir: string, report: Report): { path: string; pending: PendingLifecycle }[] {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    // No directory: nothing pending.
  }
  // A record half-written when the interruption came was never relied on.
  for (const n of names.filter((x) => x.startsWith('.'))) rmSync(join(dir, n), { force: true });
  const out: { path: string; pending: PendingLifecycle }[] = [];
  for (const r of peekPending(dir)) {
    if (r.pending) {
      out.push({ path: r.path, pending: r.pending });
      continue;
    }
    report.warn(`dropping the unreadable pending lifecycle ${r.path}: ${r.error}`);
    rmSync(r.path, { force: true });
  }
  return out;
}

export async function resumeLifecycles(image: Image, report: Report, manager?: ServiceManager): Promise<Resumed[]> {
  const out: Resumed[] = [];
  const pendings = readPending(pendingDir(image.paths.root), report);
  if (pendings.length === 0) return out;
  // Hooks, services and the rollback's whole transaction load only when a lifecycle is pending:
  // most sessions find none (`zpkg recover` with nothing to do loaded 150 modules, 0.4 s).
  const [{ Lifecycle }, { runAutomaticRollback, stillCurrent }] = await Promise.all([import('../hooks/lifecycle.js'), import('./auto-rollback.js')]);
  for (const { pending } of pendings) {
    const historyId = historyIdOf(image.db, pending.txid);
    const lifecycle = Lifecycle.resume(
      {
        root: image.paths.root,
        txid: pending.txid,
        report,
        blobPath: (digest) => blobCachePath(image.paths.cache, digest),
        installedManifests: () => listPackages(image.db).flatMap((p) => cachedManifestOrNone(image.paths.cache, p.manifest) ?? []),
      },
      pending,
      historyId !== undefined,
      manager,
    );
    let order: RollbackOrder | undefined;
    if (pending.rollback && historyId !== undefined) {
      if (stillCurrent(image, pending.rollback.from)) order = { ...pending.rollback, wasRunning: pending.wasRunning, command: `zpkg recover` };
    } else if (historyId !== undefined) {
      report.info(`finishing transaction ${historyId}: its post-hooks and service starts were interrupted`);
      await lifecycle.runPost();
      await lifecycle.startServices();
      lifecycle.record(image.db, historyId);
      if (lifecycle.result.errors > 0 && pending.rollbackOnFailure && stillCurrent(image, historyId)) {
        const before = previousGeneration(image, historyId);
        order = { from: historyId, to: before, causes: lifecycle.failures(), wasRunning: pending.wasRunning, command: 'zpkg recover' };
        lifecycle.markRollback({ from: historyId, to: before, causes: order.causes });
      }
    } else {
      report.info(`starting again the services the rolled-back transaction ${pending.txid} had stopped`);
      await lifecycle.startServices();
    }
    if (order) {
      const result = await runAutomaticRollback(image, order, { report, serviceManager: manager });
      lifecycle.dropPending();
      out.push({ txid: pending.txid, outcome: 'rolled back', lifecycle: lifecycle.result, rollback: { to: order.to, causes: order.causes, result } });
      continue;
    }
    lifecycle.dropPending();
    if (pending.rollback) out.push({ txid: pending.txid, outcome: 'rolled back', lifecycle: lifecycle.result, rollback: { to: pending.rollback.to, causes: pending.rollback.causes, result: null } });
    else out.push({ txid: pending.txid, outcome: historyId !== undefined ? 'finished' : 'restarted', lifecycle: lifecycle.result });
  }
  return out;
}

/** The generation before history row `id` (0: the empty image). */
function previousGeneration(image: Image, id: number): number {
  return listHistory(image.db).filter((h) => h.id < id).at(-1)?.id ?? 0;
}

