/**
 * The shape of the solver's index of candidates (built by catalog-index.ts,
 * stored in a catalog file by repo/catalog-codec.ts, carried by a catalog
 * table): apart from the indexer so the table can name it without importing it.
 */
export interface CatalogIndex {
  /** The candidate (over one catalog: the row) of each solvable. */
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
