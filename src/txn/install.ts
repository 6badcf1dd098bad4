/** `install`: the wanted packages and what they depend on, chosen by the solver. */
import type { Atom } from '../core/relation.js';
import type { Image } from '../image/image.js';
import { changeImage, type ChangeOptions } from './change.js';
import { protectedPackages } from './protect.js';
import { solveTarget } from './solve.js';
import type { TransactionResult } from './transaction.js';

export type InstallOptions = ChangeOptions;

export function install(image: Image, wanted: Atom[], options: InstallOptions): Promise<TransactionResult> {
  return changeImage(image, options, () => solveTarget(image, { install: wanted }, { protected: [...protectedPackages(image).keys()] }, options.command, options.report));
}
