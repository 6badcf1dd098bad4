/**
 * A whole `Packages` index, on its bytes, into a catalog table. It never
 * makes one big string (which would cost a decode, up to 100 MB of UTF-16,
 * and stay alive as long as any value sliced from it): it reads line by line
 * as stanzas.ts does, finds the twelve fields an entry needs by offset
 * (fields.ts), and hands each stanza to the fast path (rows.ts); a stanza
 * that path is unsure of goes through the general mapping (entry.ts), which
 * also words why a stanza is skipped.
 */
import { COLON, CR, HASH, LF, SPACE, TAB } from '../../core/ascii.js';
import { CatalogBuilder } from '../../core/catalog-builder.js';
import type { CatalogTable } from '../../core/catalog-table.js';
import { isZpkgError } from '../../core/errors.js';
import { ByteFields } from './byte-fields.js';
import { toEntry } from './entry.js';
import { F_PACKAGE, slotOf } from './fields.js';
import { FastRows } from './rows.js';

export interface SkippedStanza {
  /** The stanza's Package field, or `(stanza at line N)` when it has none. */
  package: string;
  reason: string;
}

/** An import as a catalog table (rows in index order). */
export interface ImportedTable {
  table: CatalogTable;
  skipped: SkippedStanza[];
}

/**
 * The index in `buf` as a table: each stanza through FastRows when it can,
 * else through the general mapping (toEntry), which also words the reason a
 * stanza is skipped.
 */
export function importBytes(buf: Buffer): ImportedTable {
  // Room for the rows at once: real indexes hold about a stanza per 800 bytes.
  const expectedRows = Math.ceil(buf.length / 700);
  const builder = new CatalogBuilder(expectedRows);
  const skipped: SkippedStanza[] = [];
  const fields = new ByteFields(buf);
  const { starts, ends } = fields;
  const fast = new FastRows(builder, buf, starts, ends, expectedRows);
  const n = buf.length;
  let pos = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0; // UTF-8 BOM
  let lineNo = 0;
  let open = false; // inside a stanza
  let startLine = 0;
  let slot = -1; // the field continuation lines extend
  let fault: string | undefined;

  const faultAt = (reason: string) => {
    fault ??= reason;
    slot = -1;
  };
  const endStanza = () => {
    if (fault === undefined && !fast.addRow()) {
      try {
        builder.addEntry(toEntry(fields));
      } catch (err) {
        if (!isZpkgError(err)) throw err;
        fault = err.message;
      }
    }
    if (fault !== undefined) skipped.push({ package: fields.get(F_PACKAGE) || `(stanza at line ${startLine})`, reason: fault });
    fields.reset();
    open = false;
    slot = -1;
    fault = undefined;
  };

  while (pos < n) {
    let nl = buf.indexOf(LF, pos);
    if (nl < 0) nl = n;
    lineNo++;
    let end = nl;
    if (end > pos && buf[end - 1] === CR) end--;
    const c = buf[pos]!;
    if (c === SPACE || c === TAB) {
      let blank = true;
      for (let i = pos + 1; i < end; i++) {
        const d = buf[i]!;
        if (d !== SPACE && d !== TAB) {
          blank = false;
          break;
        }
      }
      if (blank) {
        if (open) endStanza();
      } else if (!open) {
        open = true;
        startLine = lineNo;
        faultAt(`line ${lineNo}: a continuation line (starting with white space) comes before any field`);
      } else if (slot >= 0) {
        ends[slot] = end;
      }
    } else if (pos === end) {
      if (open) endStanza();
    } else if (c !== HASH) {
      if (!open) {
        open = true;
        startLine = lineNo;
      }
      let colon = pos;
      while (colon < end && buf[colon] !== COLON) colon++;
      if (fault !== undefined) {
        // The stanza is already refused; read on to its end.
      } else if (colon === end) {
        faultAt(`line ${lineNo}: \`${buf.toString('utf8', pos, Math.min(end, pos + 60))}\` is not a \`Field: value\` line`);
      } else if (colon === pos) {
        faultAt(`line ${lineNo}: the field name before \`:\` is empty`);
      } else {
        slot = slotOf(buf, pos, colon);
        if (slot >= 0) {
          if (starts[slot]! >= 0) {
            faultAt(`line ${lineNo}: field \`${buf.toString('utf8', pos, colon)}\` appears twice`);
          } else {
            starts[slot] = colon + 1;
            ends[slot] = end;
          }
        }
      }
    }
    pos = nl + 1;
  }
  if (open) endStanza();
  return { table: builder.finish(), skipped };
}

