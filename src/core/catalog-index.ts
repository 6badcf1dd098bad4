/**
 * The solver's index of candidates, the one indexer of versions: which
 * candidates are solvables and in which order, which solvables carry each
 * name, provide it, or declare a conflict on it. The solver's pool builds it
 * over any set of candidates (solver/pool.ts, with its own name ids), and
 * over one catalog on its own it depends on the catalog alone, so a catalog
 * file stores it (repo/catalog-codec.ts) and a pool over a single remote
 * takes it as it is.
 *
 * The order: solvables by name id; each name's candidates by priority, then
 * version, both descending (a stable sort: ties keep candidate order), a
 * candidate repeating the name and version of an earlier one left out (the
 * same package offered again: the preferred offer is kept); provides and
 * conflicts listed per name in candidate order.
 *
 * Over one catalog (indexCatalog) the candidates are its rows, all at one
 * priority, and the name ids the string ids of its sorted names (a table with
 * `names` > 0).
 */
import { CONFLICTS, type CatalogTable, PROVIDES } from './catalog-table.js';
import { Tuples, bucket, byMiddle, countBy, groupBy } from './int-arrays.js';
import { compareVersions } from './version.js';
import { INDEX_ARRAYS, type CatalogIndex } from './catalog-index-shape.js';

export { INDEX_ARRAYS, type CatalogIndex } from './catalog-index-shape.js';

/** What an index is made of. */
export interface IndexInput {
  /** The name id of each candidate's own name: ids 0 .. ownNames-1. */
  name: Int32Array;
  ownNames: number;
  /** The version of candidate i. */
  version(i: number): string;
  /** Each candidate's priority (higher first); none: all alike. */
  priority?: Float64Array;
  /**
   * The provides and conflicts of the solvables, once they are known: triples
   * (name id, solvable, atom) in candidate order, and how many name ids there
   * are then (ownNames and the names only relations use).
   */
  relations(solvableOf: Int32Array): { provides: Tuples; conflicts: Tuples; names: number };
}

/** The index of any candidates (see the module comment); solvableRow holds candidate indexes. */
export function indexCandidates(input: IndexInput): CatalogIndex {
  const { kept, solvableOf, nameStart } = solvables(input);
  const { provides, conflicts, names } = input.relations(solvableOf);
  const size = kept.length;
  // Names only provided or conflicted with own an empty range.
  const allStart = new Int32Array(names + 1).fill(size);
  allStart.set(nameStart);
  const provBy = bucket(provides, names);
  const declBy = bucket(conflicts, names);
  const own = byMiddle(provides, size);
  return {
    solvableRow: kept,
    nameStart: allStart,
    provByStart: provBy.start,
    provByS: provBy.xs,
    provByAtom: provBy.ys,
    declByStart: declBy.start,
    declByS: declBy.xs,
    declByAtom: declBy.ys,
    provStart: own.start,
    provNames: own.keys,
    provAtoms: own.ys,
  };
}

/**
 * The solvables: candidates grouped by name id (a counting sort, so in
 * candidate order), each name's sorted by preference, repeated versions left
 * out. Returns the candidate of each solvable, each candidate's solvable (-1:
 * left out) and where each own name's solvables start.
 */
function solvables(input: IndexInput): { kept: Int32Array; solvableOf: Int32Array; nameStart: Int32Array } {
  const { name, ownNames } = input;
  const counts = countBy(name, ownNames);
  const grouped = groupBy(name, counts);
  const kept = new Int32Array(name.length);
  let size = 0;
  const solvableOf = new Int32Array(name.length).fill(-1);
  const nameStart = new Int32Array(ownNames + 1);
  for (let nid = 0, at = 0; nid < ownNames; nid++) {
    const count = counts[nid]!;
    nameStart[nid] = size;
    if (count === 1) {
      solvableOf[grouped[at]!] = size;
      kept[size++] = grouped[at]!;
    } else if (count > 1) size = versions(input, grouped.subarray(at, at + count), kept, size, solvableOf);
    at += count;
  }
  nameStart[ownNames] = size;
  return { kept: kept.slice(0, size), solvableOf, nameStart };
}

/** One name's candidates, preferred first, the same version kept once; returns the new count of kept. */
function versions(input: IndexInput, group: Int32Array, kept: Int32Array, size: number, solvableOf: Int32Array): number {
  const { priority, version } = input;
  const order = Array.from(group);
  if (priority === undefined) order.sort((i, j) => compareVersions(version(j), version(i)));
  else order.sort((i, j) => priority[j]! - priority[i]! || compareVersions(version(j), version(i)));
  const first = size;
  for (const i of order) {
    const v = version(i);
    let twin = false;
    for (let k = first; k < size && !twin; k++) twin = version(kept[k]!) === v;
    if (twin) continue;
    solvableOf[i] = size;
    kept[size++] = i;
  }
  return size;
}

/** Whether the rows' name ids never decrease (rows grouped by name, names in order). */
function rowsByName(name: Int32Array): boolean {
  for (let r = 1; r < name.length; r++) if (name[r]! < name[r - 1]!) return false;
  return true;
}

/** The (name id, solvable, atom) triples of kind `kind` of the solvable rows of `t`, in row order; name ids are string ids. */
function tableRelations(t: CatalogTable, solvableOf: Int32Array, kind: number): Tuples {
  const out = new Tuples();
  const { rel, relItems, atomName } = t;
  for (let row = 0; row < t.rows; row++) {
    const s = solvableOf[row]!;
    if (s < 0) continue;
    for (let k = rel[4 * row + kind]!, end = rel[4 * row + kind + 1]!; k < end; k++) {
      const a = relItems[k]!;
      out.push3(atomName[a]!, s, a);
    }
  }
  return out;
}

/** The index of `t`, or undefined when its names are not sorted (names = 0) or its rows not grouped by name. */
export function indexCatalog(t: CatalogTable): CatalogIndex | undefined {
  if (t.names === 0 || !rowsByName(t.name)) return undefined;
  return indexCandidates({
    name: t.name,
    ownNames: t.names,
    version: (row) => t.strings.get(t.version[row]!),
    relations: (solvableOf) => ({ provides: tableRelations(t, solvableOf, PROVIDES), conflicts: tableRelations(t, solvableOf, CONFLICTS), names: t.names }),
  });
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
