/**
 * The fast way from a Debian stanza to a catalog row: the fields, found by
 * import-bytes.ts as byte offsets, go straight into a CatalogBuilder — names
 * and versions are interned as bytes, each distinct relation clause is read
 * once (core/relation-scan.ts, the same reader as parseAtom's) and
 * remembered by its bytes. No string is made for a value seen before.
 *
 * It only ever accepts what the general mapping (entry.ts `toEntry`) accepts,
 * and reads it the same way. Anything it is not sure of — a capability name
 * (`so:`, `file:`), a byte outside ASCII in a relation, an invalid name or
 * version, an error to report — makes `addRow` answer false, and the caller
 * maps the stanza the general way.
 */
import { COMMA, LF, PIPE, isSpaceByte } from '../../core/ascii.js';
import { isPackageNameBytes, isVersionBytes } from '../../core/bytes-check.js';
import type { CatalogBuilder } from '../../core/catalog-builder.js';
import { CONFLICTS, DEPENDS, OP_EQ, OP_NONE, PROVIDES, REPLACES } from '../../core/catalog-table.js';
import { type AtomSpans, atomSpans, scanAtom } from '../../core/relation-scan.js';
import { ABSENT, SpanMap } from '../../core/span-map.js';
import {
  F_ARCH,
  F_BREAKS,
  F_CONFLICTS,
  F_DEPENDS,
  F_DESCRIPTION,
  F_INSTALLED_SIZE,
  F_PACKAGE,
  F_PRE_DEPENDS,
  F_PROVIDES,
  F_REPLACES,
  F_SIZE,
  F_VERSION,
} from './fields.js';

/** Not a clause id: the clause needs the general parser. */
const SLOW = -2;

export class FastRows {
  /** Clause bytes → clause id, or SLOW. */
  private readonly memo: SpanMap;
  private readonly spans: AtomSpans = atomSpans();
  /** Per string id of the builder: 0 not checked, 1 a valid version, 2 not one. */
  private versionOk = new Uint8Array(1 << 16);
  private readonly atomIds: number[] = [];
  /** The value being read: trimmed start and end (set by `span`). */
  private a = 0;
  private z = 0;
  /** The last architecture value (index offsets) and its string id: most stanzas repeat one of two. */
  private archAt = [-1, -1];
  private archLen = [0, 0];
  private archId = [-1, -1];

  constructor(
    private readonly b: CatalogBuilder,
    private readonly buf: Buffer,
    private readonly starts: Int32Array,
    private readonly ends: Int32Array,
    expectedRows: number,
  ) {
    this.memo = new SpanMap(buf, 2 * expectedRows);
  }

  /** Trims the slot's value into [a, z); false when the field is absent. */
  private span(slot: number): boolean {
    let a = this.starts[slot]!;
    if (a < 0) return false;
    let z = this.ends[slot]!;
    const buf = this.buf;
    while (a < z && isSpaceByte(buf[a]!)) a++;
    while (z > a && isSpaceByte(buf[z - 1]!)) z--;
    this.a = a;
    this.z = z;
    return true;
  }

  private isVersion(id: number): boolean {
    if (id >= this.versionOk.length) {
      const grown = new Uint8Array(Math.max(id + 1, this.versionOk.length * 2));
      grown.set(this.versionOk);
      this.versionOk = grown;
    }
    let ok = this.versionOk[id]!;
    if (ok === 0) {
      ok = this.b.testString(id, isVersionBytes) ? 1 : 2;
      this.versionOk[id] = ok;
    }
    return ok === 1;
  }

  /** The string id of the architecture at buf[a, z), remembering the last two seen. */
  private archOf(a: number, z: number): number {
    const buf = this.buf;
    for (let k = 0; k < 2; k++) {
      const at = this.archAt[k]!;
      if (at < 0 || this.archLen[k] !== z - a) continue;
      let same = true;
      for (let i = 0; i < z - a; i++) {
        if (buf[at + i] !== buf[a + i]) {
          same = false;
          break;
        }
      }
      if (same) return this.archId[k]!;
    }
    const id = this.b.internBytes(buf, a, z);
    this.archAt = [a, this.archAt[0]!];
    this.archLen = [z - a, this.archLen[0]!];
    this.archId = [id, this.archId[0]!];
    return id;
  }

  /** The field as a whole number (0 when absent or empty), NaN when it is not one (ByteFields.count). */
  private count(slot: number): number {
    if (!this.span(slot)) return 0;
    const buf = this.buf;
    let n = 0;
    for (let i = this.a; i < this.z; i++) {
      const d = buf[i]! - 48;
      if (d < 0 || d > 9) return Number.NaN;
      n = n * 10 + d;
    }
    return n;
  }

  /**
   * Adds the stanza whose fields are at starts/ends as a row; false (and no
   * row) when the general mapping must decide.
   */
  addRow(): boolean {
    const { b, buf } = this;
    if (!this.span(F_PACKAGE) || !isPackageNameBytes(buf, this.a, this.z)) return false;
    const name = b.internBytes(buf, this.a, this.z);
    if (!this.span(F_VERSION) || this.a === this.z) return false;
    const version = b.internBytes(buf, this.a, this.z);
    if (!this.isVersion(version)) return false;
    if (!this.span(F_ARCH) || this.a === this.z) return false;
    const arch = this.archOf(this.a, this.z);
    let summary: number;
    const d = this.starts[F_DESCRIPTION]!;
    if (d < 0) summary = b.internBytes(buf, 0, 0);
    else {
      let a = d;
      let z = a;
      const end = this.ends[F_DESCRIPTION]!;
      while (z < end && buf[z] !== LF) z++;
      while (a < z && isSpaceByte(buf[a]!)) a++;
      while (z > a && isSpaceByte(buf[z - 1]!)) z--;
      summary = b.appendBytes(buf, a, z);
    }
    const size = this.count(F_SIZE);
    const installed = this.count(F_INSTALLED_SIZE);
    if (!Number.isSafeInteger(size) || !Number.isSafeInteger(installed)) return false;

    b.beginRow();
    if (!this.clauses(F_PRE_DEPENDS, DEPENDS) || !this.clauses(F_DEPENDS, DEPENDS)) return false;
    if (!this.clauses(F_CONFLICTS, CONFLICTS) || !this.clauses(F_BREAKS, CONFLICTS)) return false;
    if (!this.clauses(F_PROVIDES, PROVIDES) || !this.clauses(F_REPLACES, REPLACES)) return false;
    b.endRow(name, version, arch, summary, -1, size, installed * 1024);
    return true;
  }

  /** The relation field in `slot`, comma-separated, as relations of `kind` of the open row. */
  private clauses(slot: number, kind: number): boolean {
    let start = this.starts[slot]!;
    if (start < 0) return true;
    const to = this.ends[slot]!;
    const buf = this.buf;
    while (start < to) {
      let comma = start;
      while (comma < to && buf[comma] !== COMMA) comma++;
      let a = start;
      let z = comma;
      while (a < z && isSpaceByte(buf[a]!)) a++;
      while (z > a && isSpaceByte(buf[z - 1]!)) z--;
      if (a < z) {
        let c = this.memo.get(buf, a, z);
        if (c === ABSENT) {
          c = this.parseClause(a, z);
          this.memo.set(a, z, c);
        }
        if (c === SLOW) return false;
        if (kind === DEPENDS) this.b.addRelation(kind, c);
        else {
          // Conflicts, Breaks, Provides and Replaces hold single atoms; a provide only an exact version.
          if (this.b.clauseSize(c) !== 1) return false;
          const atom = this.b.clauseAtom(c, 0);
          if (kind === PROVIDES) {
            const op = this.b.opOf(atom);
            if (op !== OP_NONE && op !== OP_EQ) return false;
          }
          this.b.addRelation(kind, atom);
        }
      }
      start = comma + 1;
    }
    return true;
  }

  /** buf[a, z) (trimmed, not empty): `atom | atom …` → clause id, or SLOW. */
  private parseClause(a: number, z: number): number {
    const buf = this.buf;
    for (let i = a; i < z; i++) if (buf[i]! >= 0x80) return SLOW;
    const ids = this.atomIds;
    ids.length = 0;
    let p = a;
    for (;;) {
      let q = p;
      while (q < z && buf[q] !== PIPE) q++;
      const atom = this.parseAtom(p, q);
      if (atom === SLOW) return SLOW;
      ids.push(atom);
      if (q === z) break;
      p = q + 1;
    }
    return this.b.clause(ids, 0, ids.length);
  }

  /** One alternative (ASCII) → atom id, or SLOW for a capability, an invalid name or version, or no atom at all. */
  private parseAtom(p: number, q: number): number {
    const { buf, spans } = this;
    if (!scanAtom(buf, p, q, spans) || spans.capability || !isPackageNameBytes(buf, spans.start, spans.headEnd)) return SLOW;
    let version = -1;
    if (spans.op !== OP_NONE) {
      version = this.b.internBytes(buf, spans.versionStart, spans.versionEnd);
      if (!this.isVersion(version)) return SLOW;
    }
    return this.b.atom(this.b.internBytes(buf, spans.start, spans.nameEnd), spans.op, version);
  }
}
