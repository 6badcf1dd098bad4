/**
 * `checkInstallable` (`zpkg repo check`): every solvable that cannot be
 * installed on an empty image, exactly — the same question libsolv's
 * `installcheck` answers.
 *
 * One engine serves the whole pool. Clauses (generated lazily) and learned
 * clauses are facts of the pool, valid for every package, so they are kept
 * from one package to the next. Packages are *stacked*: each is decided on top
 * of the model built so far, and when the search completes every true solvable
 * of that model is proven installable at once. A package that the stack
 * excludes is retried in a later round on an empty stack, where the answer is
 * definitive: either a model containing it, or the learned fact that it is
 * false at level 0 — uninstallable.
 */
import type { Candidate } from '../core/catalog.js';
import { type Atom } from '../core/relation.js';
import { explainFailure } from './explain.js';
import { Pool, buildPool } from './pool.js';
import { DEP, ROOT_INSTALL, attachRules } from './rules.js';
import { OWNER_NONE, OWNER_ROOT, Sat } from './sat.js';
import type { Uninstallable } from './types.js';
import { compareVersions as vercmp } from '../core/version.js';

/** How often a package is re-decided on a non-empty stack before it waits for the next round. */
const STACK_RETRIES = 2;

export interface CheckStats {
  rounds: number;
  conflicts: number;
  decisions: number;
}

/** The solvables of `pool` that no model contains, as ids. */
export function uninstallableIds(pool: Pool, stats?: CheckStats): number[] {
  const n = pool.size;
  const sat = new Sat(n, false);
  attachRules(sat, pool);
  const ok = new Uint8Array(n);
  // A dependency nothing provides makes its owner false outright: no need to activate it.
  for (let s = 0; s < n; s++) {
    const deps = pool.deps(s);
    for (let i = 0; i < deps.length; i++) {
      if (deps[i]!.length === 0) {
        sat.addClause([2 * s + 1], DEP, s, i, OWNER_NONE, null);
        break;
      }
    }
  }
  let proven = 0;
  sat.onBacktrack = () => {
    if (proven > sat.trailLen) proven = sat.trailLen;
  };
  const certify = (): void => {
    for (let i = proven; i < sat.trailLen; i++) {
      const lit = sat.trail[i]!;
      if ((lit & 1) === 0) ok[lit >> 1] = 1;
    }
    proven = sat.trailLen;
  };
  if (!sat.search()) throw new Error('solver: the empty image is not a model');
  let queue: number[] = [];
  for (let s = 0; s < n; s++) queue.push(s);
  let rounds = 0;
  while (queue.length > 0) {
    rounds++;
    sat.backtrack(0);
    proven = sat.trailLen;
    const deferred: number[] = [];
    for (const p of queue) {
      for (let tries = 0; ; tries++) {
        if (ok[p] === 1) break;
        const val = sat.vals[p]!;
        if (val < 0) {
          if (sat.levels[p]! > 0) deferred.push(p);
          break;
        }
        if (val > 0) throw new Error('solver: a true package was not certified');
        if (tries > STACK_RETRIES && sat.level > 0) {
          deferred.push(p);
          break;
        }
        sat.decide(2 * p);
        if (!sat.search()) throw new Error('solver: the empty image is not a model');
        certify();
      }
    }
    queue = deferred;
  }
  if (stats) {
    stats.rounds = rounds;
    stats.conflicts = sat.conflicts;
    stats.decisions = sat.decisions;
  }
  const out: number[] = [];
  for (let s = 0; s < n; s++) {
    if (ok[s] === 1) continue;
    if (!(sat.vals[s] === -1 && sat.levels[s] === 0)) throw new Error('solver: a package was left undecided');
    out.push(s);
  }
  sat.release();
  return out;
}

/** Why solvable `s` cannot be installed on an empty image, in words. */
export function explainUninstallable(pool: Pool, s: number): string[] {
  const sat = new Sat(pool.size, true);
  attachRules(sat, pool);
  const e = pool.entry(s);
  const atom: Atom = { name: e.name, constraint: { op: '=', version: e.version } };
  const only = Int32Array.of(s);
  sat.addClause([2 * s], ROOT_INSTALL, 0, -1, OWNER_ROOT, only);
  try {
    if (sat.search()) throw new Error(`solver: \`${e.name} ${e.version}\` is installable after all`);
    return explainFailure(sat, { u: pool, installed: new Set(), installAtoms: [atom], removeNames: [], cascade: false, update: false }).explanation;
  } finally {
    sat.release();
  }
}

/** Every package of the pool that cannot be installed on an empty image, and why; by name, then version. */
export function checkInstallable(pool: Pool | readonly Candidate[]): Uninstallable[] {
  const p = pool instanceof Pool ? pool : buildPool(pool);
  return uninstallableIds(p)
    .map((s) => ({ name: p.entry(s).name, version: p.entry(s).version, reason: explainUninstallable(p, s) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : vercmp(a.version, b.version)));
}
