/** Who in a package set answers a relation: the index behind consistency checks, `why` and `unneeded`. */
import type { Atom, Clause, Providing } from '../core/relation.js';
import { providesAtom } from '../core/relation.js';

/** The members of a set that may answer for each name (by their own name or a provide), in set order. */
export class Answering<P extends Providing> {
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

