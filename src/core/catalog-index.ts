/**
 * The solver's index of one catalog, on its own, every package at one
 * priority: which rows are solvables and in which order, which solvables
 * carry each name, provide it, or declare a conflict on it. It depends on the
 * catalog alone, so a catalog file stores it (repo/catalog-codec.ts) and the
 * solver's pool over a single remote takes it as it is (solver/pool.ts builds
 * the same from any set of candidates otherwise).
 *
 * Name ids are the string ids of the catalog's sorted names (a table with
 * `names` > 0). The order is the pool's: solvables by name id, each name's
 * rows by version, newest first (ties in row order), a row repeating the
 * name and version of an earlier one left out; provides and conflicts listed
 * per name in row order.
 */
import { CONFLICTS, type CatalogTable, PROVIDES } from './catalog-table.js';
import { compareVersions } from './version.js';

export interface CatalogIndex {
  /** The row of each solvable. */
  solvableRow: Int32Array;
  /** Name n carries solvables nameStart[n] .. nameStart[n+1]-1 (names + 1 entries). */
  nameStart: Int32Array;
  /** Name n is provided by provByS[provByStart[n] ..] through atoms provByAtom[…] (names + 1 starts). */
  provByStart: Int32Array;
  provByS: Int32Array;
  provByAtom: Int32Array;
  /** Name n has conflicts declared on it by declByS[declByStart[n] ..] through atoms declByAtom[…]. */
  declByStart: Int32Array;
  declByS: Int32Array;
  declByAtom: Int32Array;
  /** Solvable s provides names provNames[provStart[s] .. provStart[s+1]) through atoms provAtoms[…]. */
  provStart: Int32Array;
  provNames: Int32Array;
  provAtoms: Int32Array;
}

export const INDEX_ARRAYS = [
  'solvableRow',
  'nameStart',
  'provByStart',
  'provByS',
  'provByAtom',
  'declByStart',
  'declByS',
  'declByAtom',
  'provStart',
  'provNames',
  'provAtoms',
] as const satisfies readonly (keyof CatalogIndex)[];

/** Whether the rows' name ids never decrease (rows grouped by name, names in order). */
function rowsByName(name: Int32Array): boolean {
  for (let r = 1; r < name.length; r++) if (name[r]! < name[r - 1]!) return false;
  return true;
}

/**
 * The solvables: each name's rows, newest version first (a stable sort, so
 * ties keep row order), a repeated version left out. Returns the rows in
 * solvable order and each name's start.
 */
function solvables(t: CatalogTable): { rows: number[]; nameStart: Int32Array; solvableOf: Int32Array } {
  const rows: number[] = [];
  const nameStart = new Int32Array(t.names + 1);
  const solvableOf = new Int32Array(t.rows).fill(-1);
  let r = 0;
  for (let nid = 0; nid < t.names; nid++) {
    nameStart[nid] = rows.length;
    let end = r;
    while (end < t.rows && t.name[end] === nid) end++;
    if (end - r === 1) {
      solvableOf[r] = rows.length;
      rows.push(r);
    } else if (end > r) versions(t, r, end, rows, solvableOf);
    r = end;
  }
  nameStart[t.names] = rows.length;
  return { rows, nameStart, solvableOf };
}

function versions(t: CatalogTable, from: number, to: number, rows: number[], solvableOf: Int32Array): void {
  const version = (row: number): string => t.strings.get(t.version[row]!);
  const group = Array.from({ length: to - from }, (_, k) => from + k).sort((a, b) => compareVersions(version(b), version(a)));
  const first = rows.length;
  for (const row of group) {
    const v = version(row);
    let twin = false;
    for (let k = first; k < rows.length && !twin; k++) twin = version(rows[k]!) === v;
    if (twin) continue;
    solvableOf[row] = rows.length;
    rows.push(row);
  }
}

/** The atoms of `kind` of every solvable row, by the atom's name, in row order: starts, solvables, atoms. */
function byName(t: CatalogTable, solvableOf: Int32Array, kind: number): { start: Int32Array; s: Int32Array; atom: Int32Array } {
  const start = new Int32Array(t.names + 1);
  countByName(t, solvableOf, kind, start);
  for (let n = 1; n <= t.names; n++) start[n] = start[n]! + start[n - 1]!;
  const s = new Int32Array(start[t.names]!);
  const atom = new Int32Array(start[t.names]!);
  fillByName(t, solvableOf, kind, start.slice(0, t.names), s, atom);
  return { start, s, atom };
}

function countByName(t: CatalogTable, solvableOf: Int32Array, kind: number, start: Int32Array): void {
  const { rel, relItems, atomName } = t;
  for (let row = 0; row < t.rows; row++) {
    if (solvableOf[row]! < 0) continue;
    for (let k = rel[4 * row + kind]!, end = rel[4 * row + kind + 1]!; k < end; k++) start[atomName[relItems[k]!]! + 1]!++;
  }
}

function fillByName(t: CatalogTable, solvableOf: Int32Array, kind: number, next: Int32Array, s: Int32Array, atom: Int32Array): void {
  const { rel, relItems, atomName } = t;
  for (let row = 0; row < t.rows; row++) {
    const sv = solvableOf[row]!;
    if (sv < 0) continue;
    for (let k = rel[4 * row + kind]!, end = rel[4 * row + kind + 1]!; k < end; k++) {
      const a = relItems[k]!;
      const at = next[atomName[a]!]!++;
      s[at] = sv;
      atom[at] = a;
    }
  }
}

/** Each solvable's provides, in its own order: starts, name ids, atoms. */
function providesOf(t: CatalogTable, rows: readonly number[]): { start: Int32Array; names: Int32Array; atoms: Int32Array } {
  const start = new Int32Array(rows.length + 1);
  for (let s = 0; s < rows.length; s++) start[s + 1] = start[s]! + t.rel[4 * rows[s]! + PROVIDES + 1]! - t.rel[4 * rows[s]! + PROVIDES]!;
  const names = new Int32Array(start[rows.length]!);
  const atoms = new Int32Array(start[rows.length]!);
  for (let s = 0; s < rows.length; s++) {
    const row = rows[s]!;
    for (let k = t.rel[4 * row + PROVIDES]!, end = t.rel[4 * row + PROVIDES + 1]!, at = start[s]!; k < end; k++, at++) {
      atoms[at] = t.relItems[k]!;
      names[at] = t.atomName[t.relItems[k]!]!;
    }
  }
  return { start, names, atoms };
}

/** The index of `t`, or undefined when its names are not sorted (names = 0) or its rows not grouped by name. */
export function indexCatalog(t: CatalogTable): CatalogIndex | undefined {
  if (t.names === 0 || !rowsByName(t.name)) return undefined;
  const { rows, nameStart, solvableOf } = solvables(t);
  const prov = byName(t, solvableOf, PROVIDES);
  const decl = byName(t, solvableOf, CONFLICTS);
  const own = providesOf(t, rows);
  return {
    solvableRow: Int32Array.from(rows),
    nameStart,
    provByStart: prov.start,
    provByS: prov.s,
    provByAtom: prov.atom,
    declByStart: decl.start,
    declByS: decl.s,
    declByAtom: decl.atom,
    provStart: own.start,
    provNames: own.names,
    provAtoms: own.atoms,
  };
}

/** Whether two indexes hold the same arrays. */
export function sameIndex(a: CatalogIndex, b: CatalogIndex): boolean {
  for (const key of INDEX_ARRAYS) {
    const x = a[key];
    const y = b[key];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  }
  return true;
}
