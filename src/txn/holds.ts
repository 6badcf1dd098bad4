/**
 * `hold` / `unhold`: version locks. `hold NAME` keeps the installed version
 * (packages.held); `hold "NAME (< 2.0)"` lets only versions in the range land
 * (dnf versionlock's condition), for a package installed or not yet; either
 * may carry a reason (IPS `freeze -c`). Every argument is checked before any
 * hold changes.
 */
import { ZpkgError } from '../core/errors.js';
import { formatAtom, isPackageName, parseAtom, satisfiesConstraint, type Atom } from '../core/relation.js';
import { deleteHold, listHolds, putHold } from '../image/holds.js';
import type { Image } from '../image/image.js';
import { getPackage, listPackages, setHeld } from '../image/state.js';

export interface HoldView {
  name: string;
  /** The installed version, null when the package is not installed. */
  version: string | null;
  /** Kept at the installed version. */
  held: boolean;
  /** Only versions satisfying this land (`NAME (< 2.0)`). */
  range: string | null;
  reason: string | null;
}

function parseHoldSpec(spec: string): Atom {
  const atom = parseAtom(spec);
  if (!isPackageName(atom.name)) throw new ZpkgError('E_NAME_INVALID', `hold \`${spec}\`: \`${atom.name}\` is not a package name`);
  return atom;
}

/** Every hold of the image: exact holds of installed packages and the rows of the holds table. */
export function listHoldViews(image: Image): HoldView[] {
  const rows = new Map(listHolds(image.db).map((h) => [h.name, h]));
  const installed = new Map(listPackages(image.db).map((p) => [p.name, p]));
  const names = new Set([...rows.keys(), ...[...installed.values()].filter((p) => p.held).map((p) => p.name)]);
  return [...names].sort().map((name) => {
    const p = installed.get(name);
    const h = rows.get(name);
    return { name, version: p?.version ?? null, held: p?.held ?? false, range: h?.range ? formatAtom(h.range) : null, reason: h?.reason ?? null };
  });
}

export function hold(image: Image, specs: readonly string[], reason?: string): HoldView[] {
  const plan = specs.map((spec) => {
    const atom = parseHoldSpec(spec);
    const row = getPackage(image.db, atom.name);
    if (!atom.constraint) {
      if (!row) throw new ZpkgError('E_NOT_INSTALLED', `${atom.name} is not installed`, { hint: `a hold without a range keeps the installed version; lock a package not yet installed with a range: zpkg hold "${atom.name} (< VERSION)"` });
    } else if (row && !satisfiesConstraint(row.version, atom.constraint)) {
      throw new ZpkgError('E_EXCLUDED', `the hold \`${formatAtom(atom)}\` leaves out the installed ${row.name} ${row.version}`, { hint: `install a version inside the range first (zpkg install "${formatAtom(atom)}"), then hold it` });
    }
    return { atom, row };
  });
  const now = new Date().toISOString();
  image.db.transaction(() => {
    for (const { atom, row } of plan) {
      if (!atom.constraint) {
        setHeld(image.db, [atom.name], true);
        if (reason !== undefined) putHold(image.db, atom.name, null, reason, now);
        else deleteHold(image.db, atom.name);
      } else {
        // A range replaces an exact hold: the package may move inside it.
        if (row?.held) setHeld(image.db, [atom.name], false);
        putHold(image.db, atom.name, formatAtom(atom), reason ?? null, now);
      }
    }
  })();
  const names = new Set(plan.map((p) => p.atom.name));
  return listHoldViews(image).filter((v) => names.has(v.name));
}

export function unhold(image: Image, names: readonly string[]): HoldView[] {
  const holds = new Set(listHolds(image.db).map((h) => h.name));
  for (const n of names) {
    if (!getPackage(image.db, n) && !holds.has(n)) throw new ZpkgError('E_NOT_INSTALLED', `${n} is neither installed nor held`, { hint: 'see the holds with `zpkg hold`' });
  }
  image.db.transaction(() => {
    setHeld(image.db, names, false);
    for (const n of names) deleteHold(image.db, n);
  })();
  return names.map((n) => ({ name: n, version: getPackage(image.db, n)?.version ?? null, held: false, range: null, reason: null }));
}
