/**
 * `remove`: deletes exactly the packages' paths. Refuses to break an installed
 * dependent unless `cascade` (the dependents go too) or `force` (they break).
 */
import { groupBy } from '../core/group-by.js';
import { foldSymbolVersions, foldedPhrase } from '../core/symbol-versions.js';
import { inWords } from '../report/table.js';
import { ZpkgError } from '../core/errors.js';
import type { Image } from '../image/image.js';
import { getPackage } from '../image/state.js';
import { installedView } from './solver-view.js';
import { brokenDependents, unneeded } from '../solver/index.js';
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

/** `seen.protected`: the image's protected packages, as found under the session's lock (remove reuses them: each costs a manifest read). */
async function removeTarget(image: Image, names: string[], options: RemoveOptions, seen: { protected?: Map<string, string> }): Promise<Target> {
  const rows = names.map((n) => {
    const row = getPackage(image.db, n);
    if (!row) throw new ZpkgError('E_NOT_INSTALLED', `${n} is not installed`, { hint: 'see what is with `zpkg list`' });
    return row;
  });
  seen.protected = protectedPackages(image);
  const prot = options.allowProtected ? new Map<string, string>() : seen.protected;
  const named = rows.filter((r) => prot.has(r.name));
  if (named.length) checkProtected(image, { command: options.command, land: [], remove: named, flags: [] }, false);
  const broken = brokenDependents(installedView(image), new Set(names));
  if (options.force) {
    // Forced: exactly these packages go, whatever depends on them.
    const warnings = [...groupBy(broken, (b) => b.name)].map(([name, bs]) => `${name} is left with ${bs.length === 1 ? 'an unsatisfied dependency' : 'unsatisfied dependencies'}: ${clausesInWords(bs)}`);
    return { command: options.command, land: [], remove: rows, flags: [], purge: options.purge, warnings };
  }
  if (broken.length && !options.cascade) {
    throw new ZpkgError('E_DEPENDENTS', `removing ${names.join(', ')} would break ${[...new Set(broken.map((b) => b.name))].join(', ')}`, {
      hint: 'pass --cascade to remove the dependents too, or --force to break them',
      details: { explanation: [...groupBy(broken, (b) => b.name)].map(([name, bs]) => `${name} depends on ${clausesInWords(bs)}`), broken },
    });
  }
  const target = await solveTarget(image, { remove: names }, { cascade: options.cascade, autoremove: options.autoremove, protected: [...prot.keys()] }, options.command, options.report);
  return { ...target, purge: options.purge };
}

export async function remove(image: Image, names: string[], options: RemoveOptions): Promise<TransactionResult> {
  const seen: { protected?: Map<string, string> } = {};
  const result = await changeImage(image, options, () => removeTarget(image, names, options, seen));
  if (options.autoremove) return result;
  // What the removal left without a reason to stay, as apt says after a remove (a dry run: as it would be).
  const gone = new Set(result.remove.map((p) => p.name));
  const left = installedView(image).filter((p) => !gone.has(p.name));
  return { ...result, unneeded: unneeded(left, (seen.protected ?? protectedPackages(image)).keys()).map((p) => ({ name: p.name, version: p.version })) };
}

/** A dependent's broken clauses in one phrase, a library's symbol versions counted (core/symbol-versions.ts). */
function clausesInWords(broken: readonly { clause: string }[]): string {
  return inWords(foldSymbolVersions(broken.map((b) => b.clause)).map(foldedPhrase));
}
