/**
 * Reads a Debian `Packages` index (the file apt keeps under /var/lib/apt/lists)
 * into catalog entries. Used to import Debian archives as catalog-only
 * repositories and, in tests and benchmarks, as a real-world corpus.
 *
 * The parts, by job: decompress.ts (the file's bytes, compressed or not),
 * stanzas.ts (deb822 text as stanzas), fields.ts (the fields an entry is made
 * of), entry.ts (the general mapping of a stanza to an entry, and the words
 * of every refusal), import-bytes.ts (a whole index on its bytes, stanza by
 * stanza), byte-fields.ts (a stanza's fields as offsets) and rows.ts (the
 * fast path from a stanza's bytes to a catalog row). Relations are read by
 * core/relation-scan.ts, in both paths.
 *
 * importIndexTable is the fast way in (bookworm main: 63k stanzas, 50 MB);
 * importIndex and importIndexFile return the same import as plain entries.
 */
import type { CatalogEntry } from '../../core/catalog.js';
import { decompressIndex, readIndexBytes } from './decompress.js';
import { type ImportedTable, type SkippedStanza, importBytes } from './import-bytes.js';

export { decompressIndex, readIndexText } from './decompress.js';
export { stanzaToEntry } from './entry.js';
export { type Stanza, parseStanzas } from './stanzas.js';
export type { ImportedTable, SkippedStanza };

export interface ImportedIndex {
  entries: CatalogEntry[];
  skipped: SkippedStanza[];
}

/** Reads and imports an index file (see importIndex). */
export function importIndexFile(path: string): ImportedIndex {
  return withEntries(importIndexFileTable(path));
}

/** Reads and imports an index file into a catalog table; the fastest way in (see importIndexTable). */
export function importIndexFileTable(path: string): ImportedTable {
  return importBytes(decompressIndex(readIndexBytes(path), path));
}

/**
 * Imports a whole index into catalog entries. A stanza that is malformed or
 * does not map to an entry (see stanzaToEntry) is reported in `skipped` with
 * its package name and the reason, and the import goes on.
 *
 * `input` is the index text, or its bytes, compressed or not (see
 * decompressIndex); bytes are the faster way in (importIndexFile).
 */
export function importIndex(input: string | Uint8Array): ImportedIndex {
  return withEntries(importIndexTable(input));
}

/** importIndex, into a catalog table: no object per package (what `repo import-index` and the solver read). */
export function importIndexTable(input: string | Uint8Array): ImportedTable {
  if (typeof input === 'string') return importBytes(Buffer.from(input, 'utf8'));
  return importBytes(decompressIndex(input));
}

function withEntries(imported: ImportedTable): ImportedIndex {
  return { entries: imported.table.entries(), skipped: imported.skipped };
}
