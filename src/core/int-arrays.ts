/**
 * Typed-array steps of building an index (catalog-index.ts), each a small
 * function with one loop: V8 optimizes each loop on its own, where one long
 * function would be compiled again at every loop it reaches.
 */

/** A growable list of int32 triples. */
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

/**
 * Buckets triples (key, x, y) by key, keeping their order within a key:
 * key k owns xs/ys[start[k] .. start[k+1]).
 */
export function bucket(tuples: Tuples, keys: number): { start: Int32Array; xs: Int32Array; ys: Int32Array } {
  const start = new Int32Array(keys + 1);
  const a = tuples.a;
  for (let i = 0; i < tuples.n; i += 3) start[a[i]! + 1]!++;
  prefixSum(start);
  const xs = new Int32Array(tuples.n / 3);
  const ys = new Int32Array(tuples.n / 3);
  scatter(a, tuples.n, start.slice(0, keys), xs, ys);
  return { start, xs, ys };
}

function scatter(a: Int32Array, n: number, next: Int32Array, xs: Int32Array, ys: Int32Array): void {
  for (let i = 0; i < n; i += 3) {
    const at = next[a[i]!]!++;
    xs[at] = a[i + 1]!;
    ys[at] = a[i + 2]!;
  }
}

/**
 * Triples (key, x, y) by their middle element x in [0, n), keeping their
 * order: x owns keys/ys[start[x] .. start[x+1]).
 */
export function byMiddle(tuples: Tuples, n: number): { start: Int32Array; keys: Int32Array; ys: Int32Array } {
  const start = new Int32Array(n + 1);
  const a = tuples.a;
  for (let i = 0; i < tuples.n; i += 3) start[a[i + 1]! + 1]!++;
  prefixSum(start);
  const keys = new Int32Array(tuples.n / 3);
  const ys = new Int32Array(tuples.n / 3);
  const next = start.slice(0, n);
  for (let i = 0; i < tuples.n; i += 3) {
    const at = next[a[i + 1]!]!++;
    keys[at] = a[i]!;
    ys[at] = a[i + 2]!;
  }
  return { start, keys, ys };
}
