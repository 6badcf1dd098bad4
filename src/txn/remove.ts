/**
 * `remove`: deletes exactly the packages' paths. Refuses to break an installed
 * dependent unless `cascade` (the dependents go too) or `force` (they break).
 */
import { ZpkgError } from '../core/errors.js';
import type { Image } from '../image/image.js';
import { getPackage, listPackages, toInstalled } from '../image/state.js';
import { brokenDependents } from '../solver/index.js';
import { changeImage, type ChangeOptions } from './change.js';
import { checkProtected, protectedPackages } from './protect.js';
import { solveTarget } from './solve.js';
import type { Target } from './target.js';
import type { TransactionResult } from './transaction.js';

export interface RemoveOptions extends ChangeOptions {
  force?: boolean;
  /** Remove installed packages that depend on the named ones too. */
  cascade?: boolean;
  /** Also remove dependencies nothing requested needs any more. */
  autoremove?: boolean;
  purge?: boolean;
}

async function removeTarget(image: Image, names: string[], options: RemoveOptions): Promise<Target> {
  const rows = names.map((n) => {
    const row = getPackage(image.db, n);
    if (!row) throw new ZpkgError('E_NOT_INSTALLED', `${n} is not installed`, { hint: 'see what is with `zpkg list`' });
    return row;
  });
  const prot = options.allowProtected ? new Map<string, string>() : protectedPackages(image);
  const named = rows.filter((r) => prot.has(r.name));
  if (named.length) checkProtected(image, { command: options.command, land: [], remove: named, flags: [] }, false);
  const broken = brokenDependents(listPackages(image.db).map(toInstalled), new Set(names));
  if (options.force) {
    // Forced: exactly these packages go, whatever depends on them.
    const warnings = broken.map((b) => `${b.name} is left with an unsatisfied dependency \`${b.clause}\``);
    return { command: options.command, land: [], remove: rows, flags: [], purge: options.purge, warnings };
  }
  if (broken.length && !options.cascade) {
    throw new ZpkgError('E_DEPENDENTS', `removing ${names.join(', ')} would break ${[...new Set(broken.map((b) => b.name))].join(', ')}`, {
      hint: 'pass --cascade to remove the dependents too, or --force to break them',
      details: { explanation: broken.map((b) => `${b.name} depends on \`${b.clause}\``) },
    });
  }
  const target = await solveTarget(image, { remove: names }, { cascade: options.cascade, autoremove: options.autoremove, protected: [...prot.keys()] }, options.command, options.report);
  return { ...target, purge: options.purge };
}

export function remove(image: Image, names: string[], options: RemoveOptions): Promise<TransactionResult> {
  return changeImage(image, options, () => removeTarget(image, names, options));
}
