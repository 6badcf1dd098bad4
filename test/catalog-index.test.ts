/** core/catalog-index.ts: the one indexer of versions, for the pool and for catalog files alike. */
import { describe, expect, it } from 'vitest';
import { CatalogBuilder } from '../src/core/catalog-builder.js';
import { type IndexInput, indexCandidates, indexCatalog } from '../src/core/catalog-index.js';
import { Tuples } from '../src/core/int-arrays.js';
import { decodeCatalogTable, encodeCatalog } from '../src/repo/catalog-codec.js';
import { importIndexTable } from '../src/repo/debian/index.js';
import { generatedIndex } from './helpers/generated-index.js';

/** Candidates by (name id, version, priority, provided name ids). */
function input(cands: [number, string, number, number[]][], ownNames: number, names: number): IndexInput {
  return {
    name: Int32Array.from(cands, (c) => c[0]),
    ownNames,
    version: (i) => cands[i]![1],
    priority: Float64Array.from(cands, (c) => c[2]),
    relations: (solvableOf) => {
      const provides = new Tuples();
      cands.forEach((c, i) => {
        if (solvableOf[i]! >= 0) c[3].forEach((n, k) => provides.push3(n, solvableOf[i]!, 10 * i + k));
      });
      return { provides, conflicts: new Tuples(), names };
    },
  };
}

describe('indexCandidates', () => {
  it('orders each name by priority then version, keeps the preferred offer of a version once, and lists providers per name', () => {
    const ix = indexCandidates(
      input(
        [
          [0, '1', 0, [2]],
          [1, '1', 0, []],
          [0, '2', 0, [2]],
          [0, '1', 5, []], // the same version at a higher priority: it is kept, candidate 0 left out
          [1, '1:0', 0, [2, 0]],
          [1, '0', 0, []],
        ],
        2,
        3,
      ),
    );
    expect(Array.from(ix.solvableRow)).toEqual([3, 2, 4, 1, 5]);
    expect(Array.from(ix.nameStart)).toEqual([0, 2, 5, 5]);
    // Name 2 is provided by candidate 2 (solvable 1), then candidate 4 (solvable 2): candidate order.
    expect(Array.from(ix.provByStart)).toEqual([0, 1, 1, 3]);
    expect(Array.from(ix.provByS)).toEqual([2, 1, 2]);
    expect(Array.from(ix.provByAtom)).toEqual([41, 20, 40]);
    expect(Array.from(ix.provStart)).toEqual([0, 0, 1, 3, 3, 3]);
    expect(Array.from(ix.provNames)).toEqual([2, 2, 0]);
  });

  it('is what a catalog file stores: indexCatalog over its rows, checked again when it is read', () => {
    const { table } = importIndexTable(generatedIndex(9, 1500));
    const t = decodeCatalogTable(encodeCatalog(table.views()), 'test');
    expect(t.index).toEqual(indexCatalog(t));
    // Rows not grouped by name, or names not sorted: no catalog index (the pool indexes them itself).
    const b = new CatalogBuilder();
    for (const name of ['b', 'a', 'b']) b.addEntry({ name, version: '1', arch: 'all', summary: '', depends: [], conflicts: [], provides: [], replaces: [], size: 0, installedSize: 0 });
    expect(indexCatalog(b.finish())).toBeUndefined();
  });
});
