/**
 * Version comparison for the solver's hot paths: the same order as
 * `core/version.ts` (dpkg's), computed in place on the strings — no parsing
 * into objects, no memo lookups — because resolving a whole Debian archive
 * compares hundreds of thousands of pairs once each. Inputs are versions the
 * catalog already validated; the tests hold this equal to compareVersions.
 */
import type { Constraint } from '../core/relation.js';

function order(code: number): number {
  if (code >= 48 && code <= 57) return 0;
  if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122)) return code;
  if (code === 126) return -1;
  return code + 256;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** dpkg's verrevcmp over a[i..ie) and b[j..je). */
function fragment(a: string, i: number, ie: number, b: string, j: number, je: number): number {
  while (i < ie || j < je) {
    while ((i < ie && !isDigit(a.charCodeAt(i))) || (j < je && !isDigit(b.charCodeAt(j)))) {
      const ac = i < ie ? order(a.charCodeAt(i)) : 0;
      const bc = j < je ? order(b.charCodeAt(j)) : 0;
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (i < ie && a.charCodeAt(i) === 48) i++;
    while (j < je && b.charCodeAt(j) === 48) j++;
    let firstDiff = 0;
    while (i < ie && j < je && isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < ie && isDigit(a.charCodeAt(i))) return 1;
    if (j < je && isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

function epochOf(v: string, colon: number): number {
  let e = 0;
  for (let k = 0; k < colon; k++) e = e * 10 + (v.charCodeAt(k) - 48);
  return e;
}

/** Negative, zero or positive as `a` sorts before, equal to or after `b` (dpkg order). */
export function vercmp(a: string, b: string): number {
  if (a === b) return 0;
  const ca = a.indexOf(':');
  const cb = b.indexOf(':');
  const ea = ca < 0 ? 0 : epochOf(a, ca);
  const eb = cb < 0 ? 0 : epochOf(b, cb);
  if (ea !== eb) return ea < eb ? -1 : 1;
  const ha = a.lastIndexOf('-');
  const hb = b.lastIndexOf('-');
  const ua = ha > ca ? ha : a.length;
  const ub = hb > cb ? hb : b.length;
  const u = fragment(a, ca + 1, ua, b, cb + 1, ub);
  if (u !== 0) return u;
  return fragment(a, ua < a.length ? ua + 1 : a.length, a.length, b, ub < b.length ? ub + 1 : b.length, b.length);
}

/** satisfiesConstraint with vercmp. */
export function satisfies(version: string, c: Constraint | undefined): boolean {
  if (c === undefined) return true;
  const r = vercmp(version, c.version);
  switch (c.op) {
    case '<<':
      return r < 0;
    case '<=':
      return r <= 0;
    case '=':
      return r === 0;
    case '>=':
      return r >= 0;
    case '>>':
      return r > 0;
  }
}
