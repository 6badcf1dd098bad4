/** `install`: the wanted packages and what they depend on, chosen by the solver. */
import type { Atom } from '../core/relation.js';
import type { Image } from '../image/image.js';
import { changeImage, type ChangeOptions } from './change.js';
import { solveTarget } from './solve.js';
import type { TransactionResult } from './transaction.js';

export interface InstallOptions extends ChangeOptions {
  /** Install recommends too (`--with-recommends`); undefined: `recommends:` of etc/zpkg/zpkg.yaml. */
  withRecommends?: boolean;
}

export function install(image: Image, wanted: Atom[], options: InstallOptions): Promise<TransactionResult> {
  // An install removes nothing the solver is not forced to (no cascade, no autoremove): protection is checked on the target.
  return changeImage(image, options, () => solveTarget(image, { install: wanted }, {}, options.command, options.report, { recommends: options.withRecommends }));
}
