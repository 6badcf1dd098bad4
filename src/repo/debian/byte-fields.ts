/**
 * A stanza's entry fields as offsets into the index's bytes (Fields of
 * entry.ts): the reader of the whole index (import-bytes.ts) sets where each
 * value lies, and the general mapping decodes only what it asks for.
 */
import { isSpaceByte, LF, COMMA } from '../../core/ascii.js';
import { decodeUtf8 } from '../../core/catalog-table.js';
import { type Clause, parseClause } from '../../core/relation.js';
import { ABSENT, SpanMap } from '../../core/span-map.js';
import type { Fields } from './entry.js';
import { SLOT_COUNT } from './fields.js';

/**
 * Relation clauses by their bytes, parsed once each and frozen, so entries
 * that repeat a clause share it. A hit makes no string.
 */
class ClauseMemo {
  private readonly map: SpanMap;
  private readonly clauses: Clause[] = [];

  constructor(private readonly buf: Buffer) {
    this.map = new SpanMap(buf);
  }

  /** The comma-separated relation field in buf[from, to). */
  parseField(from: number, to: number): Clause[] {
    const buf = this.buf;
    const out: Clause[] = [];
    let start = from;
    while (start < to) {
      let comma = start;
      while (comma < to && buf[comma] !== COMMA) comma++;
      let a = start;
      let b = comma;
      while (a < b && isSpaceByte(buf[a]!)) a++;
      while (b > a && isSpaceByte(buf[b - 1]!)) b--;
      if (a < b) out.push(this.clause(a, b));
      start = comma + 1;
    }
    return out;
  }

  private clause(a: number, b: number): Clause {
    const known = this.map.get(this.buf, a, b);
    if (known !== ABSENT) return this.clauses[known]!;
    const clause = parseClause(decodeUtf8(this.buf, a, b));
    for (const atom of clause) {
      if (atom.constraint) Object.freeze(atom.constraint);
      Object.freeze(atom);
    }
    Object.freeze(clause);
    this.map.set(a, b, this.clauses.length);
    this.clauses.push(clause);
    return clause;
  }
}

/** A stanza's entry fields as offsets into the buffer; values are decoded on demand. */
export class ByteFields implements Fields {
  readonly starts = new Int32Array(SLOT_COUNT).fill(-1);
  readonly ends = new Int32Array(SLOT_COUNT);
  private readonly clauses: ClauseMemo;

  constructor(private readonly buf: Buffer) {
    this.clauses = new ClauseMemo(buf);
  }

  get(slot: number): string | undefined {
    const a = this.starts[slot]!;
    return a < 0 ? undefined : this.decode(a, this.ends[slot]!);
  }

  firstLine(slot: number): string {
    const a = this.starts[slot]!;
    if (a < 0) return '';
    const buf = this.buf;
    let b = a;
    const end = this.ends[slot]!;
    while (b < end && buf[b] !== LF) b++;
    return this.decode(a, b);
  }

  count(slot: number): number {
    let a = this.starts[slot]!;
    if (a < 0) return 0;
    let b = this.ends[slot]!;
    const buf = this.buf;
    while (a < b && isSpaceByte(buf[a]!)) a++;
    while (b > a && isSpaceByte(buf[b - 1]!)) b--;
    if (a === b) return 0;
    let n = 0;
    for (let i = a; i < b; i++) {
      const d = buf[i]! - 48;
      if (d < 0 || d > 9) return Number.NaN;
      n = n * 10 + d;
    }
    return n;
  }

  /** buf[a, b) without surrounding white space, as a string. */
  private decode(a: number, b: number): string {
    const buf = this.buf;
    while (a < b && isSpaceByte(buf[a]!)) a++;
    while (b > a && isSpaceByte(buf[b - 1]!)) b--;
    return decodeUtf8(buf, a, b);
  }

  relations(slot: number): Clause[] {
    const a = this.starts[slot]!;
    return a < 0 ? [] : this.clauses.parseField(a, this.ends[slot]!);
  }

  reset(): void {
    this.starts.fill(-1);
  }
}
