/**
 * Turns a model of the engine (the set of true solvables) into a Plan: the
 * change from the installed set, new packages in dependency order, and the
 * final set with its requested flags. Autoremove is applied here, after
 * solving: it only ever drops packages nothing kept needs, so it cannot break
 * what the solver proved consistent.
 */
import type { Candidate, InstalledPackage } from '../core/catalog.js';
import type { Plan } from './types.js';
import type { Universe } from './universe.js';
import { compareVersions as vercmp } from '../core/version.js';

export interface PlanInput {
  u: Universe;
  /** Truth value of each solvable (1 = installed after the plan). */
  vals: Int8Array;
  /** The solvables that are true, in any order. */
  chosen: readonly number[];
  installed: readonly InstalledPackage[];
  /** Solvables chosen for each `install` atom. */
  requestedIds: readonly number[];
  autoremove: boolean;
  /** Names autoremove keeps as roots (protected packages). */
  keep?: readonly string[];
}

/** Solvables reachable from `roots` through dependencies satisfied within `chosen`. */
export function reachable(u: Universe, roots: readonly number[], isChosen: (s: number) => boolean): Set<number> {
  const seen = new Set<number>(roots);
  const stack = [...roots];
  while (stack.length > 0) {
    const v = stack.pop()!;
    for (const prov of u.deps(v)) {
      for (const p of prov) {
        if (!seen.has(p) && isChosen(p)) {
          seen.add(p);
          stack.push(p);
        }
      }
    }
  }
  return seen;
}

/** Post-order over dependencies: what a package needs comes before it. Cycles keep a stable order. */
function dependencyOrder(u: Universe, ids: readonly number[]): number[] {
  const inSet = new Set(ids);
  const state = new Map<number, number>(); // 1 visiting, 2 done
  const out: number[] = [];
  for (const root of ids) {
    if (state.has(root)) continue;
    const stack: [number, number][] = [[root, 0]];
    state.set(root, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [v, i] = top;
      const deps = u.deps(v);
      if (i < deps.length) {
        top[1] = i + 1;
        for (const p of deps[i]!) {
          if (inSet.has(p) && !state.has(p)) {
            state.set(p, 1);
            stack.push([p, 0]);
          }
        }
      } else {
        stack.pop();
        state.set(v, 2);
        out.push(v);
      }
    }
  }
  return out;
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function makePlan(input: PlanInput): Plan {
  const { u, vals, installed } = input;
  let chosen = [...input.chosen];
  const requested = new Set(installed.filter((p) => p.requested).map((p) => p.name));
  for (const s of input.requestedIds) requested.add(u.entry(s).name);
  if (input.autoremove) {
    const held = new Set([...installed.filter((p) => p.held).map((p) => p.name), ...(input.keep ?? [])]);
    const roots = chosen.filter((v) => requested.has(u.entry(v).name) || held.has(u.entry(v).name));
    const keep = reachable(u, roots, (s) => vals[s] === 1);
    chosen = chosen.filter((v) => keep.has(v));
  }
  const names = chosen.map((v) => u.entry(v).name);
  const order = chosen.map((_, i) => i).sort((i, j) => byName(names[i]!, names[j]!));
  const sorted = order.map((i) => chosen[i]!);
  chosen = sorted;
  const after = new Map(order.map((i, k) => [names[i]!, sorted[k]!] as const));
  const before = new Map(installed.map((p) => [p.name, p]));
  const plan: Plan = { install: [], upgrade: [], downgrade: [], remove: [], result: [] };
  for (const p of [...installed].sort((a, b) => byName(a.name, b.name))) {
    const v = after.get(p.name);
    if (v === undefined) {
      plan.remove.push({ name: p.name, version: p.version });
      continue;
    }
    const e = u.entry(v);
    if (e.version === p.version) continue;
    const change = { name: p.name, from: p.version, to: e.version, entry: e as Candidate };
    if (vercmp(e.version, p.version) > 0) plan.upgrade.push(change);
    else plan.downgrade.push(change);
  }
  const fresh = chosen.filter((v) => !before.has(u.entry(v).name));
  for (const v of dependencyOrder(u, fresh)) {
    const e = u.entry(v);
    plan.install.push({ name: e.name, version: e.version, entry: e as Candidate });
  }
  plan.result = chosen.map((v) => {
    const e = u.entry(v);
    return { name: e.name, version: e.version, requested: requested.has(e.name) };
  });
  return plan;
}
