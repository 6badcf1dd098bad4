/**
 * Whether a package set holds together on its own, outside the solver: what
 * `sync` checks of the set it is told to reach (inconsistencies) and what
 * `remove --force` warns of (brokenDependents). Both ask one question of a set
 * — which dependency clauses does nothing in it satisfy — answered with
 * core/relation.ts's providesAtom through an index of who answers for each name.
 */
import type { CatalogEntry, InstalledPackage } from '../core/catalog.js';
import { formatAtom, formatClause } from '../core/relation.js';
import { Answering } from './answering.js';

/**
 * Every dependency of a member that nothing in the set satisfies, and every
 * conflict a member declares that another member satisfies, in set order
 * (a member's dependencies, then its conflicts).
 */
export function inconsistencies(set: readonly CatalogEntry[]): string[] {
  const answering = new Answering(set);
  const problems: string[] = [];
  for (const p of set) {
    for (const clause of answering.unmet(p.depends)) {
      problems.push(`${p.name} ${p.version} depends on \`${formatClause(clause)}\`, which nothing in the set satisfies`);
    }
    for (const atom of p.conflicts) {
      for (const q of answering.satisfying(atom)) {
        if (q !== p) problems.push(`${p.name} ${p.version} conflicts with \`${formatAtom(atom)}\`, which ${q.name} ${q.version} satisfies`);
      }
    }
  }
  return problems;
}

/**
 * The installed packages left with an unsatisfied dependency once the
 * packages named in `going` are gone: each clause that something going
 * satisfied and nothing staying does, in the order of `all`, then of the
 * package's depends.
 */
export function brokenDependents(all: readonly InstalledPackage[], going: ReadonlySet<string>): { name: string; clause: string }[] {
  const staying = all.filter((p) => !going.has(p.name));
  const gone = new Answering(all.filter((p) => going.has(p.name)));
  const remaining = new Answering(staying);
  const broken: { name: string; clause: string }[] = [];
  for (const p of staying) {
    for (const clause of remaining.unmet(p.depends)) if (gone.satisfies(clause)) broken.push({ name: p.name, clause: formatClause(clause) });
  }
  return broken;
}
