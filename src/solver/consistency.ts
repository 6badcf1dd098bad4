/**
 * Whether a package set holds together on its own, outside the solver: what
 * `sync` checks of the set it is told to reach (inconsistencies) and what
 * `remove --force` warns of (brokenDependents). Both ask one question of a set
 * — which dependency clauses does nothing in it satisfy — answered with
 * core/relation.ts's providesAtom through an index of who answers for each name.
 */
import type { CatalogEntry, InstalledPackage } from '../core/catalog.js';
import { type Atom, type Clause, type Providing, formatAtom, formatClause, providesAtom } from '../core/relation.js';

/** The members of a set that may answer for each name (by their own name or a provide), in set order. */
class Answering<P extends Providing> {
  private readonly byName = new Map<string, P[]>();

  constructor(set: readonly P[]) {
    for (const p of set) {
      for (const name of new Set([p.name, ...p.provides.map((a) => a.name)])) {
        const list = this.byName.get(name);
        if (list === undefined) this.byName.set(name, [p]);
        else list.push(p);
      }
    }
  }

  /** The members satisfying `atom`, in set order. */
  satisfying(atom: Atom): P[] {
    return (this.byName.get(atom.name) ?? []).filter((q) => providesAtom(q, atom));
  }

  /** Whether some member satisfies some alternative of `clause`. */
  satisfies(clause: Clause): boolean {
    return clause.some((atom) => (this.byName.get(atom.name) ?? []).some((q) => providesAtom(q, atom)));
  }

  /** The clauses of `depends` no member satisfies, in order: the one core of both checks below. */
  unmet(depends: readonly Clause[]): Clause[] {
    return depends.filter((clause) => !this.satisfies(clause));
  }
}

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
