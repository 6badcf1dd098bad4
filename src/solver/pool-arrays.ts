/**
 * Typed-array steps of the pool (pool.ts) besides its index (core/int-arrays.ts
 * and catalog-index.ts), each a small function with one loop.
 */
import type { Candidate } from '../core/catalog.js';
import { CatalogRow, type CatalogTable } from '../core/catalog-table.js';
import { priorityOf } from './universe.js';

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

/** Whether candidate i is row i of `t` at `priority`, for every i. */
export function allRows(candidates: readonly Candidate[], t: CatalogTable, priority: number): boolean {
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    if (!(c instanceof CatalogRow) || c.table !== t || c.row !== i || c.priority !== priority) return false;
  }
  return true;
}
