/**
 * The other half of recovery: lifecycles an interruption left pending. A
 * transaction that was committed gets its post-hooks run and its services
 * started (or reloaded, or monitored) now; one that was rolled back gets the
 * services it had stopped started again. Runs after `recoverImage`, under the
 * image lock.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Lifecycle, PENDING_DIR, type LifecycleResult, type PendingLifecycle } from '../hooks/lifecycle.js';
import type { ServiceManager } from '../hooks/services/types.js';
import { blobCachePath, cachedManifestOrNone } from '../image/cache.js';
import type { Image } from '../image/image.js';
import { historyIdOf, listPackages } from '../image/state.js';
import type { Report } from '../report/report.js';

export interface Resumed {
  txid: string;
  /** `finished`: post-hooks and service starts ran now; `restarted`: the rolled-back transaction's stopped services were started again. */
  outcome: 'finished' | 'restarted';
  lifecycle: LifecycleResult;
}

export async function resumeLifecycles(image: Image, report: Report, manager?: ServiceManager): Promise<Resumed[]> {
  const dir = join(image.paths.root, PENDING_DIR);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  // A record half-written when the interruption came was never relied on.
  for (const n of names.filter((x) => x.startsWith('.'))) rmSync(join(dir, n), { force: true });
  names = names.filter((n) => n.endsWith('.json') && !n.startsWith('.'));
  const out: Resumed[] = [];
  for (const name of names.sort()) {
    const path = join(dir, name);
    let pending: PendingLifecycle;
    try {
      pending = JSON.parse(readFileSync(path, 'utf8')) as PendingLifecycle;
    } catch (err) {
      report.warn(`dropping the unreadable pending lifecycle ${path}: ${(err as Error).message}`);
      rmSync(path, { force: true });
      continue;
    }
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
    if (historyId !== undefined) {
      report.info(`finishing transaction ${historyId}: its post-hooks and service starts were interrupted`);
      await lifecycle.runPost();
      await lifecycle.startServices();
      lifecycle.record(image.db, historyId);
    } else {
      report.info(`starting again the services the rolled-back transaction ${pending.txid} had stopped`);
      await lifecycle.startServices();
    }
    lifecycle.dropPending();
    out.push({ txid: pending.txid, outcome: historyId !== undefined ? 'finished' : 'restarted', lifecycle: lifecycle.result });
  }
  return out;
}

/** Transaction ids whose lifecycle is pending. */
export function pendingLifecycles(root: string): string[] {
  try {
    return readdirSync(join(root, PENDING_DIR)).filter((n) => n.endsWith('.json') && !n.startsWith('.')).map((n) => n.slice(0, -5));
  } catch {
    return [];
  }
}
