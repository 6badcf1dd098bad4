/** Whether a package set holds together on its own: every dependency satisfied inside it, no conflict between its members. */
import type { CatalogEntry } from '../core/catalog.js';
import { formatAtom, formatClause, providesAtom } from '../core/relation.js';

export function inconsistencies(set: readonly CatalogEntry[]): string[] {
  const problems: string[] = [];
  for (const p of set) {
    for (const clause of p.depends) {
      if (!clause.some((a) => set.some((q) => providesAtom(q, a)))) problems.push(`${p.name} ${p.version} depends on \`${formatClause(clause)}\`, which nothing in the set satisfies`);
    }
    for (const atom of p.conflicts) {
      for (const q of set) if (q !== p && providesAtom(q, atom)) problems.push(`${p.name} ${p.version} conflicts with \`${formatAtom(atom)}\`, which ${q.name} ${q.version} satisfies`);
    }
  }
  return problems;
}
