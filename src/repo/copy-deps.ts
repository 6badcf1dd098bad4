/**
 * `repo copy --with-deps` (aptly's `-with-deps`, Pulp's recursive copy): the
 * versions a copy must add so that each chosen package installs on an empty
 * image from the destination alone.
 *
 * Each chosen version is solved on its own (two chosen packages that conflict
 * are each still copyable) against the destination's catalog and the
 * source's: what the destination already holds is preferred, so a copy adds
 * only what it lacks — the source's newest otherwise, as an install would
 * pick. A package of one architecture sees that architecture's builds and
 * `all`; an `all` package is solved for each architecture the two catalogs
 * hold builds of, and brings what any of them needs (none: `all` alone). It is
 * refused only when no architecture can satisfy it.
 */
import { entryKey, type Candidate, type CatalogEntry } from '../core/catalog.js';
import { CatalogRow } from '../core/catalog-table.js';
import { ZpkgError } from '../core/errors.js';
import { ARCH_ALL } from '../solver/admit.js';
import { buildPool, solve } from '../solver/index.js';

export function dependencyClosure(chosen: readonly CatalogEntry[], source: readonly CatalogEntry[], destination: readonly CatalogEntry[], locations: { source: string; destination: string }): CatalogEntry[] {
  const held = new Set(destination.map(entryKey));
  const chosenKeys = new Set(chosen.map(entryKey));
  const bySourceKey = new Map(source.map((e) => [entryKey(e), e]));
  const candidates: Candidate[] = [
    ...destination.map((e) => asCandidate(e, locations.destination, 1)),
    ...source.filter((e) => !held.has(entryKey(e))).map((e) => asCandidate(e, locations.source, 0)),
  ];
  const pools = new Map<string, ReturnType<typeof buildPool>>();
  const poolFor = (arch: string): ReturnType<typeof buildPool> => {
    let pool = pools.get(arch);
    if (!pool) {
      pool = buildPool(arch === ARCH_ALL ? candidates : candidates.filter((c) => c.arch === arch || c.arch === ARCH_ALL));
      pools.set(arch, pool);
    }
    return pool;
  };
  // An `all` package installs on an image of each architecture the repositories serve, so its closure is what each of
  // them needs: solved once for any one, the solver was free to pick another architecture's libraries than an image's.
  const archs = [...new Set(candidates.map((c) => c.arch).filter((a) => a !== ARCH_ALL))].sort();
  const added = new Map<string, CatalogEntry>();
  for (const entry of chosen) {
    const results = (entry.arch === ARCH_ALL && archs.length ? archs : [entry.arch]).map((arch) => solve(poolFor(arch), [], { install: [{ name: entry.name, constraint: { op: '=', version: entry.version } }] }));
    const solved = results.filter((r) => r.ok);
    if (solved.length === 0) {
      const r = results[0]!;
      throw new ZpkgError('E_UNSATISFIABLE', `cannot copy ${entry.name} ${entry.version} with its dependencies: ${locations.source} and ${locations.destination} together do not satisfy them`, {
        hint: 'copy the missing packages into the source first, or copy without --with-deps',
        details: { explanation: r.ok ? [] : r.explanation },
      });
    }
    for (const r of solved) {
      if (!r.ok) continue;
      for (const step of r.plan.install) {
        const key = entryKey(step.entry);
        if (held.has(key) || chosenKeys.has(key) || added.has(key)) continue;
        added.set(key, bySourceKey.get(key)!);
      }
    }
  }
  return [...added.values()];
}

/** A decoded catalog's rows read their fields from the table: a copy of one would have none. */
function asCandidate(e: CatalogEntry, remote: string, priority: number): Candidate {
  return e instanceof CatalogRow ? new CatalogRow(e.table, e.row, remote, priority) : { ...e, remote, priority };
}
