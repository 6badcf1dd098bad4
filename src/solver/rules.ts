/**
 * The clause kinds and how a universe's relations become clauses. Each clause
 * remembers its kind and two facts (`a`, `b`) so an explanation can say in
 * words which relation or which part of the request it stands for.
 */
import { OWNER_NONE, type Sat } from './sat.js';
import type { Universe } from './universe.js';

/** `a` depends on its clause number `b`: (¬a ∨ providers…). */
export const DEP = 1;
/** `a` and `b` conflict (either declares it): (¬a ∨ ¬b). */
export const CONFLICT = 2;
/** `a` and `b` are two versions of one name: (¬a ∨ ¬b). */
export const SAME_NAME = 3;
/** Request `install` number `a`: (candidates…). */
export const ROOT_INSTALL = 4;
/** Installed `a` stays installed, at some version: (versions of its name…). */
export const KEEP = 5;
/** Installed `a` is held at its version: (a). */
export const HELD = 6;
/** Request `remove` number `b` removes `a`: (¬a). */
export const REMOVE = 7;

/**
 * Makes `sat` generate the clauses of each solvable the first time it becomes
 * true. Conflict and same-name clauses are symmetric, so each pair is added
 * once: by whichever of the two is activated first.
 */
export function attachRules(sat: Sat, u: Universe): void {
  const lits: number[] = [];
  sat.onActivate = (v: number): void => {
    const no = 2 * v + 1;
    for (const q of u.siblings(v)) {
      if (!sat.isActivated(q)) sat.addClause([no, 2 * q + 1], SAME_NAME, v, q, OWNER_NONE, null);
    }
    for (const q of u.partners(v)) {
      if (!sat.isActivated(q)) sat.addClause([no, 2 * q + 1], CONFLICT, v, q, OWNER_NONE, null);
    }
    const deps = u.deps(v);
    for (let i = 0; i < deps.length; i++) {
      const prov = deps[i]!;
      if (prov.includes(v)) continue; // satisfied by v itself (self-provides)
      lits.length = 0;
      lits.push(no);
      for (const p of prov) lits.push(2 * p);
      sat.addClause(lits, DEP, v, i, v, prov);
    }
  };
}
