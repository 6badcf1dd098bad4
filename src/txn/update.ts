/** `update`: installed packages (all, or the named) move to the newest versions the solver can satisfy; held ones stay. */
import { ZpkgError } from '../core/errors.js';
import type { Image } from '../image/image.js';
import { getPackage } from '../image/state.js';
import { changeImage, type ChangeOptions } from './change.js';
import { protectedPackages } from './protect.js';
import { solveTarget } from './solve.js';
import type { TransactionResult } from './transaction.js';

export interface UpdateOptions extends ChangeOptions {
  autoremove?: boolean;
  /** Install the recommends of what lands too; undefined: `recommends:` of etc/zpkg/zpkg.yaml. */
  withRecommends?: boolean;
}

function notInstalled(name: string, hint?: string): ZpkgError {
  return new ZpkgError('E_NOT_INSTALLED', `${name} is not installed`, { hint: hint ?? 'see what is with `zpkg list`' });
}

export function update(image: Image, names: string[], options: UpdateOptions): Promise<TransactionResult> {
  return changeImage(image, options, () => {
    for (const n of names) if (!getPackage(image.db, n)) throw notInstalled(n);
    return solveTarget(image, { update: names.length ? names : true }, { autoremove: options.autoremove, ...(options.autoremove ? { protected: [...protectedPackages(image).keys()] } : {}) }, options.command, options.report, { recommends: options.withRecommends });
  });
}
