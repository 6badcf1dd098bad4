/**
 * Minimal unsatisfiable cores. The engine's refutation names the clauses it
 * used; that set is already small but may hold detours. Deletion-based
 * minimization then drops every clause the conflict does not need, re-solving
 * the remaining few clauses each time, so an explanation states only facts
 * that together make the request impossible — and each of them is needed.
 */
import { CONFLICT, DEP, KEEP, ROOT_INSTALL, SAME_NAME } from './rules.js';
import { LEARNED, OWNER_NONE, OWNER_ROOT, Sat } from './sat.js';

export interface CoreClause {
  /** Clause id in the engine that produced the core. */
  id: number;
  kind: number;
  a: number;
  b: number;
  lits: number[];
  pref: Int32Array | null;
}

/** Beyond this many clauses, minimization is skipped (the raw core is still correct). */
const MAX_MINIMIZE = 3000;

/**
 * The original (not learned) clauses the refutation behind `sat.finalConflict`
 * used: learned clauses are replaced by what they were resolved from, and
 * every literal false at level 0 brings the clause that made it so.
 * Needs an engine run with proofs on.
 */
export function refutation(sat: Sat): number[] {
  const out = new Set<number>();
  const done = new Set<number>();
  const stack = [sat.finalConflict];
  while (stack.length > 0) {
    const c = stack.pop()!;
    if (done.has(c)) continue;
    done.add(c);
    if (sat.kind[c] === LEARNED) for (const x of sat.antecedents.get(c) ?? []) stack.push(x);
    else out.add(c);
    for (let k = sat.start[c]!, e = k + sat.size[c]!; k < e; k++) {
      const v = sat.lits[k]! >> 1;
      const r = sat.reasons[v]!;
      if (sat.vals[v] !== 0 && sat.levels[v] === 0 && r >= 0 && r !== c) stack.push(r);
    }
  }
  return [...out];
}

export function coreClauses(sat: Sat, ids: readonly number[]): CoreClause[] {
  return [...ids]
    .sort((x, y) => x - y)
    .map((id) => ({ id, kind: sat.kind[id]!, a: sat.infoA[id]!, b: sat.infoB[id]!, lits: sat.clauseLits(id), pref: sat.pref[id] ?? null }));
}

/** Indices (into `clauses`) of an unsatisfiable core, or null when the clauses are satisfiable. */
function subCore(clauses: readonly CoreClause[]): number[] | null {
  const map = new Map<number, number>();
  const id = (v: number): number => {
    let m = map.get(v);
    if (m === undefined) {
      m = map.size;
      map.set(v, m);
    }
    return m;
  };
  for (const c of clauses) for (const l of c.lits) id(l >> 1);
  const sat = new Sat(map.size, true);
  clauses.forEach((c, i) => {
    const lits = c.lits.map((l) => 2 * id(l >> 1) + (l & 1));
    const owner = c.kind === DEP ? id(c.a) : c.kind === ROOT_INSTALL || c.kind === KEEP ? OWNER_ROOT : OWNER_NONE;
    const pref = c.pref === null ? null : Int32Array.from(c.pref, id);
    sat.addClause(lits, c.kind, i, 0, owner, pref);
  });
  try {
    if (sat.search()) return null;
    return refutation(sat)
      .map((c) => sat.infoA[c]!)
      .sort((x, y) => x - y);
  } finally {
    sat.release();
  }
}

/**
 * Which facts an explanation would rather keep, when several minimal cores
 * exist: a dependency nothing provides reads best, a conflict least well.
 * Lower keeps; the minimizer tries to drop the highest first.
 */
function dropOrder(c: CoreClause): number {
  if (c.kind === DEP) return c.lits.length === 1 ? 0 : 2;
  if (c.kind === SAME_NAME) return 3;
  if (c.kind === CONFLICT) return 4;
  return 1;
}

/** A subset of `clauses` that is unsatisfiable and from which no clause can be dropped. */
export function minimizeCore(clauses: readonly CoreClause[]): CoreClause[] {
  if (clauses.length > MAX_MINIMIZE) return [...clauses];
  const first = subCore(clauses);
  if (first === null) return [...clauses]; // not a core: keep what we were given rather than lie
  let cur = first.map((i) => clauses[i]!).sort((x, y) => dropOrder(x) - dropOrder(y) || x.id - y.id);
  const tried = new Set<number>();
  for (;;) {
    let pick: CoreClause | undefined;
    for (let i = cur.length - 1; i >= 0; i--) {
      if (!tried.has(cur[i]!.id)) {
        pick = cur[i]!;
        break;
      }
    }
    if (pick === undefined) return cur;
    tried.add(pick.id);
    const trial = cur.filter((c) => c !== pick);
    const r = subCore(trial);
    if (r !== null) cur = r.map((i) => trial[i]!);
  }
}
