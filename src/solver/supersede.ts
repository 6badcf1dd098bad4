/**
 * Renamed packages. Debian renames a library by a new package that both
 * replaces and conflicts with (Breaks) the old one, usually providing its
 * name too (the 64-bit time_t transition: libssl3t64 replaces, breaks and
 * provides libssl3). apt's full-upgrade removes the old package where the new
 * one must land; zpkg's update does the same for exactly these packages: an
 * installed package some candidate replaces and conflicts with may go, when
 * keeping it would hold an update back. Every other installed package stays.
 */
import type { CatalogEntry } from '../core/catalog.js';
import { providesAtom } from '../core/relation.js';

/** Installed name → the name of a candidate that replaces and conflicts with its installed version. */
export function supersededBy(candidates: readonly CatalogEntry[], installed: readonly CatalogEntry[]): Map<string, string> {
  const byName = new Map(installed.map((p) => [p.name, p]));
  const out = new Map<string, string>();
  /** Names whose renamer also provides the old name: a rename proper, preferred over a package that only took files over. */
  const proper = new Set<string>();
  for (const c of candidates) {
    const replaces = c.replaces;
    if (replaces.length === 0) continue;
    for (const r of replaces) {
      const old = byName.get(r.name);
      if (!old || old.name === c.name || proper.has(old.name) || !providesAtom(old, r)) continue;
      if (!c.conflicts.some((x) => x.name === old.name && providesAtom(old, x))) continue;
      const providesOld = c.provides.some((p) => p.name === old.name);
      if (providesOld) proper.add(old.name);
      if (providesOld || !out.has(old.name)) out.set(old.name, c.name);
    }
  }
  return out;
}
