/**
 * `fix`: writes again, from verified blobs, exactly the installed paths that
 * `verify` finds damaged (content, mode, owner, link target, missing), as one
 * transaction. Config files an administrator changed are left alone.
 */
import type { LifecycleOptions } from '../hooks/lifecycle.js';
import type { Image } from '../image/image.js';
import { getPackage } from '../image/state.js';
import type { Report } from '../report/report.js';
import { prepareChange, withImageLock } from './install.js';
import { runTransaction, type TransactionResult } from './transaction.js';
import type { PackageChange } from './types.js';
import { verifyImage, type VerifyProblem } from './verify.js';

export interface FixOptions extends LifecycleOptions {
  report: Report;
  command: string;
  dryRun?: boolean;
  unsafeIo?: boolean;
  noWait?: boolean;
}

export async function fix(image: Image, names: string[], options: FixOptions): Promise<TransactionResult & { repaired: VerifyProblem[] }> {
  return withImageLock(image, options, async () => {
    const found = await verifyImage(image, names);
    const byPackage = new Map<string, VerifyProblem[]>();
    for (const p of found.problems) if (p.package) byPackage.set(p.package, [...(byPackage.get(p.package) ?? []), p]);
    const changes: PackageChange[] = [];
    for (const [name, problems] of byPackage) {
      const row = getPackage(image.db, name)!;
      const change = await prepareChange(image, { name, version: row.version, manifest: row.manifest, remote: row.remote }, row.requested, row.held);
      // A damaged manifest in the cache means every path is suspect.
      change.onlyPaths = problems.some((p) => p.path === '') ? undefined : new Set(problems.map((p) => p.path));
      changes.push(change);
    }
    const result = await runTransaction(image, { installs: changes, removes: [], command: options.command }, options);
    return { ...result, repaired: found.problems.filter((p) => p.package) };
  });
}
