/**
 * The dependency closure of one package version as the catalogue pictures
 * it: breadth first from the package, each dependency clause answered by its
 * first alternative the repository satisfies (the package of that name at its
 * newest satisfying version, else a provider) — a picture of what the
 * package pulls in, not a solver's plan for an image. Clauses nothing
 * satisfies are kept as unmet. The whole closure is counted; the graph shows
 * its first `limit` packages in breadth-first order and one node for the rest.
 */
import type { CatalogEntry } from '../core/catalog.js';
import { formatClause } from '../core/relation.js';
import type { SiteModel } from './model.js';

export interface ClosureNode {
  name: string;
  version: string;
  depth: number;
}

export interface Closure {
  /** Breadth-first order; nodes[0] is the package itself. */
  nodes: ClosureNode[];
  /** Dependency edges between node indices (from depends on to). */
  edges: [number, number][];
  /** Clauses of closure members nothing in the repository satisfies. */
  unmet: { from: number; clause: string }[];
  /** Compressed and installed bytes of the whole closure (the package included). */
  download: number;
  installed: number;
}

/**
 * Each entry's dependencies resolved once per model, as numbers: for entry i,
 * `targets[start[i] .. start[i+1])` are entry ids (-1: the clause at that
 * place is unmet). Closures then walk integers, with one visit stamp array
 * shared by every closure of the model.
 */
interface Resolved {
  start: Int32Array;
  targets: Int32Array;
  stamp: Uint32Array;
  position: Int32Array;
  next: number;
}

const resolvedOf = new WeakMap<SiteModel, Resolved>();

function resolvedFor(model: SiteModel): Resolved {
  let r = resolvedOf.get(model);
  if (r) return r;
  const n = model.entries.length;
  const start = new Int32Array(n + 1);
  const targets: number[] = [];
  for (let i = 0; i < n; i++) {
    start[i] = targets.length;
    for (const clause of model.entries[i]!.depends) {
      const t = model.resolveClause(clause);
      targets.push(t ? model.idOf.get(t)! : -1);
    }
  }
  start[n] = targets.length;
  r = { start, targets: Int32Array.from(targets), stamp: new Uint32Array(n), position: new Int32Array(n), next: 0 };
  resolvedOf.set(model, r);
  return r;
}

export function closureOf(model: SiteModel, root: CatalogEntry): Closure {
  const r = resolvedFor(model);
  const stamp = ++r.next;
  const rootId = model.idOf.get(root)!;
  const ids = [rootId];
  const edges: [number, number][] = [];
  const unmetAt: [number, number][] = [];
  r.stamp[rootId] = stamp;
  r.position[rootId] = 0;
  let download = 0;
  let installed = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const e = model.entries[id]!;
    download += e.size;
    installed += e.installedSize;
    const first = edges.length;
    for (let k = r.start[id]!, end = r.start[id + 1]!; k < end; k++) {
      const t = r.targets[k]!;
      if (t < 0) {
        unmetAt.push([i, k - r.start[id]!]);
        continue;
      }
      let j: number;
      if (r.stamp[t] === stamp) j = r.position[t]!;
      else {
        j = ids.length;
        r.stamp[t] = stamp;
        r.position[t] = j;
        ids.push(t);
      }
      if (j === i) continue;
      let dup = false;
      for (let q = first; q < edges.length; q++) if (edges[q]![1] === j) dup = true;
      if (!dup) edges.push([i, j]);
    }
  }
  const depth = new Int32Array(ids.length);
  for (const [a, b] of edges) if (b > a && depth[b] === 0) depth[b] = depth[a]! + 1;
  const nodes = ids.map((id, i) => ({ name: model.entries[id]!.name, version: model.entries[id]!.version, depth: depth[i]! }));
  const unmet = unmetAt.map(([i, c]) => ({ from: i, clause: formatClause(model.entries[ids[i]!]!.depends[c]!) }));
  return { nodes, edges, unmet, download, installed };
}

export interface GraphSpec {
  /** The packages drawn: the first `limit` of the closure. */
  nodes: ClosureNode[];
  edges: [number, number][];
  /** Closure members not drawn, and which drawn nodes lead to them. */
  hidden: number;
  leadsToHidden: number[];
  /** Drawn nodes with an unmet clause. */
  unmet: number[];
}

/**
 * Drops each edge whose target its source still reaches another way, one
 * edge at a time (so reachability never changes, cycles included): Graphviz's
 * `tred`. In a distribution nearly everything depends on libc; drawn, those
 * edges would hide the structure.
 */
export function transitiveReduction(count: number, edges: readonly [number, number][]): [number, number][] {
  const out = edges.map((e) => [...e] as [number, number]);
  const reaches = (from: number, to: number, skip: number): boolean => {
    const seen = new Uint8Array(count);
    const stack = [from];
    seen[from] = 1;
    while (stack.length > 0) {
      const n = stack.pop()!;
      for (let k = 0; k < out.length; k++) {
        if (k === skip) continue;
        const [a, b] = out[k]!;
        if (a !== n || seen[b]) continue;
        if (b === to) return true;
        seen[b] = 1;
        stack.push(b);
      }
    }
    return false;
  };
  for (let k = out.length - 1; k >= 0; k--) {
    const [a, b] = out[k]!;
    if (reaches(a, b, k)) out.splice(k, 1);
  }
  return out;
}

/** The part of a closure one picture can show legibly: its first `limit` packages, edges implied by others left out. */
export function graphOf(closure: Closure, limit: number): GraphSpec {
  const shown = Math.min(limit, closure.nodes.length);
  const leads = new Set<number>();
  const drawn: [number, number][] = [];
  for (const [a, b] of closure.edges) {
    if (a >= shown) continue;
    if (b < shown) drawn.push([a, b]);
    else leads.add(a);
  }
  const edges = transitiveReduction(shown, drawn);
  return {
    nodes: closure.nodes.slice(0, shown),
    edges,
    hidden: closure.nodes.length - shown,
    leadsToHidden: [...leads].sort((x, y) => x - y),
    unmet: [...new Set(closure.unmet.map((u) => u.from).filter((i) => i < shown))],
  };
}
