/**
 * The Debian importer makes the same catalog, byte for byte, as before it was
 * split by job (repo/debian/): on generated indexes, whose catalogs' digests
 * were recorded from the importer as it was (repo/debian-index.ts at commit
 * 6c71591), and on this machine's real index, where the fast path and the
 * general mapping of every stanza must give the same catalog.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../src/core/catalog.js';
import { encodeCatalog } from '../src/repo/catalog-codec.js';
import { decompress } from '../src/repo/compress.js';
import { importIndexFileTable, importIndexTable, parseStanzas, readIndexText, stanzaToEntry } from '../src/repo/debian/index.js';
import { findPackagesIndex } from '#debian-index';
import { generatedIndex } from './helpers/generated-index.js';

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** The catalog file's bytes (uncompressed: zstd's output is not what is compared). */
const catalogDigest = (entries: readonly CatalogEntry[]): string => sha256(decompress(encodeCatalog(entries)));

/** Recorded from the importer before the split: rows, skipped stanzas, catalog digest, digest of the skipped list. */
const RECORDED = [
  { seed: 1, rows: 3464, skipped: 536, catalog: 'ecc67c0827bfe308ccd19347f0a35f836f6ebf4a8bd02b985d9cf68954df348b', reasons: 'cd1ab8d395d2f4d63905a0c57aad34e495e85f27e709a6b64392e3f1acdf5598' },
  { seed: 2, rows: 3443, skipped: 557, catalog: 'ecabdc34cf9b098a0922e9ca64e976656eae03126cac1bdc22288ad3b53c0e91', reasons: '7bc42738a5148c2d8440b68174b362edcd847dde1172e525be76b082c0e8ae46' },
  { seed: 3, rows: 3406, skipped: 594, catalog: '556c475e362a4fc1517c21ae0bb970510c83a4b78e30a1de5bd6e20c4da2f47c', reasons: 'b43073d38e03b04fae240543b3ec0c589998697e5243558f483de3f4eb533e44' },
];

describe('the Debian importer, split by job', () => {
  for (const r of RECORDED) {
    it(`makes the recorded catalog of generated index ${r.seed}, and skips the same stanzas for the same reasons`, () => {
      const { table, skipped } = importIndexTable(generatedIndex(r.seed, 4000));
      expect([table.rows, skipped.length]).toEqual([r.rows, r.skipped]);
      expect(catalogDigest(table.views())).toBe(r.catalog);
      expect(sha256(JSON.stringify(skipped))).toBe(r.reasons);
    });
  }

  const index = findPackagesIndex();
  it.skipIf(index === undefined)(`reads every stanza of ${index ?? 'the real index'} the fast way as the general mapping does`, { timeout: 600_000 }, () => {
    const fast = importIndexFileTable(index!);
    expect(fast.skipped).toEqual([]);
    const general = parseStanzas(readIndexText(index!)).map(stanzaToEntry);
    expect(general).toHaveLength(fast.table.rows);
    expect(catalogDigest(fast.table.views())).toBe(catalogDigest(general));
  });
});
