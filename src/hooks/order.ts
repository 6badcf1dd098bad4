/**
 * The order hooks run in across a transaction: dependencies before the
 * packages that need them (so a post-install hook can use what it depends
 * on), the reverse for removals. Pure: no I/O.
 */
import { parseAtom, parseClause } from '../core/relation.js';

export interface OrderNode {
  name: string;
  /** Debian-syntax depends clauses. */
  depends: readonly string[];
  /** Debian-syntax provides atoms. */
  provides: readonly string[];
}

/**
 * Names of `nodes`, each after every node of the set it depends on (through
 * any alternative, by name or a provided name). Ties go by name; a dependency
 * cycle is broken at its alphabetically first package.
 */
export function dependencyOrder(nodes: readonly OrderNode[]): string[] {
  const byCapability = new Map<string, Set<string>>();
  const offer = (cap: string, name: string): void => {
    let s = byCapability.get(cap);
    if (!s) byCapability.set(cap, (s = new Set()));
    s.add(name);
  };
  for (const n of nodes) {
    offer(n.name, n.name);
    for (const p of n.provides) offer(parseAtom(p).name, n.name);
  }
  const needs = new Map<string, Set<string>>();
  for (const n of nodes) {
    const set = new Set<string>();
    for (const clause of n.depends) {
      for (const atom of parseClause(clause)) for (const dep of byCapability.get(atom.name) ?? []) if (dep !== n.name) set.add(dep);
    }
    needs.set(n.name, set);
  }
  const order: string[] = [];
  const done = new Set<string>();
  const pending = nodes.map((n) => n.name).sort();
  while (order.length < pending.length) {
    const ready = pending.find((name) => !done.has(name) && [...needs.get(name)!].every((d) => done.has(d)));
    // In a cycle nothing is ready: take the first remaining package.
    const next = ready ?? pending.find((name) => !done.has(name))!;
    done.add(next);
    order.push(next);
  }
  return order;
}

/**
 * For each node, the other nodes of the set it depends on, directly or
 * through them (by name or a provided name, any alternative): what must have
 * landed before its pre-hook runs.
 */
export function dependencyClosure(nodes: readonly OrderNode[]): Map<string, Set<string>> {
  const byCapability = new Map<string, Set<string>>();
  for (const n of nodes) {
    for (const cap of [n.name, ...n.provides.map((p) => parseAtom(p).name)]) {
      let s = byCapability.get(cap);
      if (!s) byCapability.set(cap, (s = new Set()));
      s.add(n.name);
    }
  }
  const direct = new Map<string, Set<string>>();
  for (const n of nodes) {
    const set = new Set<string>();
    for (const clause of n.depends) for (const atom of parseClause(clause)) for (const dep of byCapability.get(atom.name) ?? []) if (dep !== n.name) set.add(dep);
    direct.set(n.name, set);
  }
  const closure = new Map<string, Set<string>>();
  for (const n of nodes) {
    const seen = new Set<string>();
    const stack = [...direct.get(n.name)!];
    while (stack.length) {
      const d = stack.pop()!;
      if (seen.has(d) || d === n.name) continue;
      seen.add(d);
      stack.push(...direct.get(d)!);
    }
    closure.set(n.name, seen);
  }
  return closure;
}

/**
 * Services in waves: each after every service of the set it comes after
 * (zinit's `after:`), the services of one wave independent of each other.
 * Starts go wave by wave; stops in the reverse order (dependents first, as
 * zinit's shutdown does: ord.rs). A cycle ends up in one last wave.
 */
export function serviceWaves(names: readonly string[], after: (name: string) => readonly string[]): string[][] {
  const inSet = new Set(names);
  const deps = new Map(names.map((n) => [n, new Set(after(n).filter((d) => inSet.has(d) && d !== n))]));
  const waves: string[][] = [];
  const done = new Set<string>();
  let left = [...names].sort();
  while (left.length) {
    const ready = left.filter((n) => [...deps.get(n)!].every((d) => done.has(d)));
    const wave = ready.length ? ready : left;
    waves.push(wave);
    for (const n of wave) done.add(n);
    left = left.filter((n) => !done.has(n));
  }
  return waves;
}
