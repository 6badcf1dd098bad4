/**
 * Auto / manual marks (apt-mark, apk's world): a *manual* package was asked
 * for by name and autoremove keeps it as a root; an *auto* one was pulled in
 * as a dependency and autoremove takes it once nothing manual needs it. The
 * mark is the `requested` flag of state.db, recorded with every generation,
 * so a rollback restores the marks of the generation it returns to.
 */
import { ZpkgError } from '../core/errors.js';
import type { Image } from '../image/image.js';
import { getPackage, setRequested } from '../image/state.js';

export type Mark = 'auto' | 'manual';

export interface MarkResult {
  name: string;
  version: string;
  mark: Mark;
  /** It was marked so already. */
  unchanged: boolean;
}

/** Marks installed packages; every name is checked before any mark changes. */
export function setMarks(image: Image, names: readonly string[], mark: Mark): MarkResult[] {
  const rows = names.map((n) => {
    const row = getPackage(image.db, n);
    if (!row) throw new ZpkgError('E_NOT_INSTALLED', `${n} is not installed`, { hint: 'only installed packages carry a mark: see them with `zpkg list`' });
    return row;
  });
  const manual = mark === 'manual';
  setRequested(image.db, rows.map((r) => ({ name: r.name, requested: manual })));
  return rows.map((r) => ({ name: r.name, version: r.version, mark, unchanged: r.requested === manual }));
}
