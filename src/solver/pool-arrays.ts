/**
 * The typed-array steps a pool is built of (pool.ts), each a small function
 * with one loop: V8 optimizes each loop on its own, where one long function
 * would be compiled again at every loop it reaches.
 */
import type { Candidate } from '../core/catalog.js';
import { CatalogRow, type CatalogTable } from '../core/catalog-table.js';
import { priorityOf } from './universe.js';

/** A growable list of int32 tuples. */
export class Tuples {
  a = new Int32Array(3 * 1024);
  n = 0;
  push3(x: number, y: number, z: number): void {
    if (this.n + 3 > this.a.length) {
      const next = new Int32Array(this.a.length * 2);
      next.set(this.a);
      this.a = next;
    }
    this.a[this.n++] = x;
    this.a[this.n++] = y;
    this.a[this.n++] = z;
  }
}

/** Whether the name string ids of these rows never decrease. */
export function namesAscend(name: Int32Array, rows: Int32Array): boolean {
  let prev = 0;
  for (let i = 0; i < rows.length; i++) {
    const sid = name[rows[i]!]!;
    if (sid < prev) return false;
    prev = sid;
  }
  return true;
}

/** How many times each id in [0, n) occurs in `ids`. */
export function countBy(ids: Int32Array, n: number): Int32Array {
  const counts = new Int32Array(n);
  for (let i = 0; i < ids.length; i++) counts[ids[i]!]!++;
  return counts;
}

/** The indexes of `ids`, grouped by id in id order (counting sort: stable). */
export function groupBy(ids: Int32Array, counts: Int32Array): Int32Array {
  const next = new Int32Array(counts.length);
  for (let k = 1; k < counts.length; k++) next[k] = next[k - 1]! + counts[k - 1]!;
  const out = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) out[next[ids[i]!]!++] = i;
  return out;
}

/** a[0..] becomes its running sum (a[k] += a[k-1]). */
export function prefixSum(a: Int32Array): void {
  for (let k = 1; k < a.length; k++) a[k] = a[k]! + a[k - 1]!;
}

export function pick(indexes: ArrayLike<number>, from: Int32Array): Int32Array {
  const out = new Int32Array(indexes.length);
  for (let k = 0; k < indexes.length; k++) out[k] = from[indexes[k]!]!;
  return out;
}

export function identity(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let k = 0; k < n; k++) out[k] = k;
  return out;
}

export function priorities(candidates: readonly Candidate[]): Float64Array {
  const out = new Float64Array(candidates.length);
  for (let i = 0; i < candidates.length; i++) out[i] = priorityOf(candidates[i]!);
  return out;
}

/**
 * Buckets tuples (key, x, y) by key, keeping their order within a key:
 * key k owns xs/ys[start[k] .. start[k+1]).
 */
export function bucket(tuples: Tuples, keys: number): { start: Int32Array; xs: Int32Array; ys: Int32Array } {
  const start = tupleStarts(tuples.a, tuples.n, keys);
  const xs = new Int32Array(tuples.n / 3);
  const ys = new Int32Array(tuples.n / 3);
  scatter(tuples.a, tuples.n, start.slice(0, keys), xs, ys);
  return { start, xs, ys };
}

export function tupleStarts(a: Int32Array, n: number, keys: number): Int32Array {
  const start = new Int32Array(keys + 1);
  for (let i = 0; i < n; i += 3) start[a[i]! + 1]!++;
  prefixSum(start);
  return start;
}

export function scatter(a: Int32Array, n: number, next: Int32Array, xs: Int32Array, ys: Int32Array): void {
  for (let i = 0; i < n; i += 3) {
    const at = next[a[i]!]!++;
    xs[at] = a[i + 1]!;
    ys[at] = a[i + 2]!;
  }
}

/** Provide tuples (name, solvable, atom) by solvable: names and atoms from provStart[s]. */
export function bySolvable(prov: Tuples, provStart: Int32Array, names: Int32Array, atoms: Int32Array): void {
  const next = provStart.slice(0, provStart.length - 1);
  const a = prov.a;
  for (let k = 0; k < prov.n; k += 3) {
    const at = next[a[k + 1]!]!++;
    names[at] = a[k]!;
    atoms[at] = a[k + 2]!;
  }
}

/** Whether candidate i is row i of `t` at `priority`, for every i. */
export function allRows(candidates: readonly Candidate[], t: CatalogTable, priority: number): boolean {
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    if (!(c instanceof CatalogRow) || c.table !== t || c.row !== i || c.priority !== priority) return false;
  }
  return true;
}
