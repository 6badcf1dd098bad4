/**
 * A generation (transaction) number on the command line: decimal digits and
 * nothing else. `Number()` alone read '' and ' ' as 0 (the empty image: a
 * `rollback "$GEN"` with an empty variable planned to remove every package)
 * and '0x3' or '1e0' as other generations.
 */
import { ZpkgError } from '../../core/errors.js';

export function parseGeneration(arg: string): number {
  const n = Number(arg);
  if (!/^\d+$/.test(arg) || !Number.isSafeInteger(n)) throw new ZpkgError('E_USAGE', `generation \`${arg}\` is not a generation number (0, 1, 2, …: see \`zpkg history\`)`);
  return n;
}
