/**
 * Conflict analysis (first unique implication point, as MiniSat): from a
 * conflicting clause, resolve backwards along the trail until one literal of
 * the conflict level remains; the resulting clause is implied by the clauses
 * seen, so it holds for every job over the same universe. With proofs on, the
 * clauses it was resolved from are recorded, which is what explanations use.
 */
/** What conflict analysis reads of the search (the clause store and the trail) and asks of it; `Sat` is one. */
export interface Analyzable {
  readonly lits: Int32Array;
  readonly start: Int32Array;
  readonly size: Int32Array;
  readonly seen: Uint8Array;
  readonly levels: Int32Array;
  readonly reasons: Int32Array;
  readonly trail: Int32Array;
  readonly trailLen: number;
  readonly level: number;
  readonly proof: boolean;
  backtrack(to: number): void;
  assertUnit(c: number): boolean;
  assertLearned(learnt: number[], ante: number[] | null): void;
}

/** Learns from conflicting clause `confl`, backjumps and asserts; false when the conflict is at level 0. */
export function learnFrom(sat: Analyzable, confl: number): boolean {
  const { seen, levels, reasons, lits, start, size, trail } = sat;
  // A unit clause is a fact at level 0; asserting it there keeps it enforced for good.
  if (size[confl] === 1) return sat.assertUnit(confl);
  let top = 0;
  for (let k = start[confl]!, e = k + size[confl]!; k < e; k++) top = Math.max(top, levels[lits[k]! >> 1]!);
  if (top < sat.level) sat.backtrack(top);
  if (top === 0) return false;
  const learnt: number[] = [-1];
  const ante: number[] | null = sat.proof ? [] : null;
  const touched: number[] = [];
  let pathC = 0;
  let p = -1;
  let idx = sat.trailLen - 1;
  let c = confl;
  do {
    ante?.push(c);
    for (let k = start[c]!, e = k + size[c]!; k < e; k++) {
      const q = lits[k]!;
      if (q === p) continue;
      const v = q >> 1;
      if (seen[v]) continue;
      seen[v] = 1;
      touched.push(v);
      if (levels[v] === 0) {
        if (ante) ante.push(reasons[v]!);
      } else if (levels[v]! >= sat.level) pathC++;
      else learnt.push(q);
    }
    while (!seen[trail[idx]! >> 1]) idx--;
    p = trail[idx--]!;
    c = reasons[p >> 1]!;
    pathC--;
  } while (pathC > 0);
  learnt[0] = p ^ 1;
  // Local minimization: drop a literal whose reason's other literals are all in the clause.
  let w = 1;
  for (let i = 1; i < learnt.length; i++) {
    const q = learnt[i]!;
    const r = reasons[q >> 1]!;
    let redundant = r >= 0;
    if (redundant) {
      for (let k = start[r]!, e = k + size[r]!; k < e; k++) {
        const v = lits[k]! >> 1;
        if (v !== q >> 1 && !seen[v] && levels[v]! > 0) {
          redundant = false;
          break;
        }
      }
    }
    if (redundant) {
      if (ante) {
        ante.push(r);
        for (let k = start[r]!, e = k + size[r]!; k < e; k++) {
          const v = lits[k]! >> 1;
          if (levels[v] === 0 && !seen[v]) ante.push(reasons[v]!);
        }
      }
    } else learnt[w++] = q;
  }
  learnt.length = w;
  for (const v of touched) seen[v] = 0;
  sat.assertLearned(learnt, ante);
  return true;
}
