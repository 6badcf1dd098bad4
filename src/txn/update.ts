/** `update`: installed packages (all, or the named) move to the newest versions the solver can satisfy; held ones stay. */
import type { LifecycleOptions } from '../hooks/lifecycle.js';
import { ZpkgError } from '../core/errors.js';
import type { Image } from '../image/image.js';
import { getPackage } from '../image/state.js';
import type { Report } from '../report/report.js';
import { withImageLock } from './install.js';
import { resolve } from './resolve.js';
import { planResult, runTransaction, type TransactionResult } from './transaction.js';

export interface UpdateOptions extends LifecycleOptions {
  report: Report;
  command: string;
  autoremove?: boolean;
  dryRun?: boolean;
  unsafeIo?: boolean;
  noWait?: boolean;
}

export async function update(image: Image, names: string[], options: UpdateOptions): Promise<TransactionResult> {
  return withImageLock(image, options, async () => {
    for (const n of names) if (!getPackage(image.db, n)) throw new ZpkgError('E_NOT_INSTALLED', `${n} is not installed`);
    if (options.dryRun) return planResult((await resolve(image, { update: names.length ? names : true }, { autoremove: options.autoremove }, true)).plan);
    const r = await resolve(image, { update: names.length ? names : true }, { autoremove: options.autoremove });
    return runTransaction(image, { installs: r.installs, removes: r.removes, flags: r.flags, command: options.command }, options);
  });
}

/** Holds keep a package at its installed version through install and update. */
export function setHold(image: Image, names: string[], held: boolean): { name: string; version: string; held: boolean }[] {
  const rows = names.map((n) => {
    const row = getPackage(image.db, n);
    if (!row) throw new ZpkgError('E_NOT_INSTALLED', `${n} is not installed`, { hint: 'only installed packages can be held' });
    return row;
  });
  const stmt = image.db.prepare('UPDATE packages SET held = ? WHERE name = ?');
  image.db.transaction(() => {
    for (const r of rows) stmt.run(held ? 1 : 0, r.name);
  })();
  return rows.map((r) => ({ name: r.name, version: r.version, held }));
}
