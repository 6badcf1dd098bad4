/**
 * An independent consistency check of a package set, for tests: it shares
 * nothing with the solver but `providesAtom` from core. Returns the problems
 * in words; an empty list means the set is consistent.
 */
import type { CatalogEntry } from '../../src/core/catalog.js';
import { formatAtom, formatClause, providesAtom } from '../../src/core/relation.js';

export function verifySet(chosen: readonly CatalogEntry[]): string[] {
  const problems: string[] = [];
  const answering = new Map<string, CatalogEntry[]>();
  const names = new Map<string, CatalogEntry>();
  for (const e of chosen) {
    const other = names.get(e.name);
    if (other) problems.push(`two versions of ${e.name}: ${other.version} and ${e.version}`);
    names.set(e.name, e);
    for (const n of new Set([e.name, ...e.provides.map((p) => p.name)])) {
      const list = answering.get(n);
      if (list) list.push(e);
      else answering.set(n, [e]);
    }
  }
  for (const e of chosen) {
    for (const clause of e.depends) {
      const ok = clause.some((atom) => (answering.get(atom.name) ?? []).some((q) => providesAtom(q, atom)));
      if (!ok) problems.push(`${e.name} ${e.version} depends on ${formatClause(clause)}, which nothing chosen satisfies`);
    }
    for (const atom of e.conflicts) {
      for (const q of answering.get(atom.name) ?? []) {
        if (q !== e && providesAtom(q, atom)) problems.push(`${e.name} ${e.version} conflicts with ${formatAtom(atom)}, satisfied by chosen ${q.name} ${q.version}`);
      }
    }
  }
  return problems;
}

/**
 * Packages of `chosen` that nothing requested leads to: not in `roots`, not kept
 * from before, and not reachable through any dependency clause of a reached
 * package (any chosen package satisfying an alternative counts as reached).
 * A solver that installs something no one asked for shows up here.
 */
export function unneeded(chosen: readonly CatalogEntry[], roots: ReadonlySet<string>): string[] {
  const answering = new Map<string, CatalogEntry[]>();
  for (const e of chosen) {
    for (const n of new Set([e.name, ...e.provides.map((p) => p.name)])) {
      const list = answering.get(n);
      if (list) list.push(e);
      else answering.set(n, [e]);
    }
  }
  const reached = new Set<CatalogEntry>();
  const queue = chosen.filter((e) => roots.has(e.name));
  for (const e of queue) reached.add(e);
  while (queue.length) {
    const e = queue.pop()!;
    for (const clause of e.depends) {
      for (const atom of clause) {
        for (const q of answering.get(atom.name) ?? []) {
          if (!reached.has(q) && providesAtom(q, atom)) {
            reached.add(q);
            queue.push(q);
          }
        }
      }
    }
  }
  return chosen.filter((e) => !reached.has(e)).map((e) => `${e.name} ${e.version}`);
}
