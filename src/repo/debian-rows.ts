/**
 * The fast way from a Debian stanza to a catalog row: the fields, found by
 * debian-index.ts as byte offsets, go straight into a CatalogBuilder — names
 * and versions are interned as bytes, each distinct relation clause is parsed
 * once (a byte scanner, no regular expression) and remembered by its bytes.
 * No string is made for a value seen before.
 *
 * It only ever accepts what the general mapping (debian-index.ts `toEntry`,
 * core/relation.ts `parseAtom`) accepts, and reads it the same way. Anything
 * it is not sure of — a capability name (`so:`, `file:`), a byte outside
 * ASCII in a relation, an invalid name or version, an error to report — makes
 * `addRow` answer false, and the caller maps the stanza the general way.
 */
import { COMMA, LF, PIPE, isSpaceByte } from '../core/ascii.js';
import { isPackageNameBytes, isVersionBytes } from '../core/bytes-check.js';
import { type CatalogBuilder, hashBytes } from '../core/catalog-builder.js';
import { CONFLICTS, DEPENDS, OP_EQ, OP_NONE, PROVIDES, REPLACES } from '../core/catalog-table.js';
import { rehashSlots, sameBytes } from '../core/slot-table.js';

/** The fields an entry is made of, as slots. */
export const F_PACKAGE = 0;
export const F_VERSION = 1;
export const F_ARCH = 2;
export const F_DESCRIPTION = 3;
export const F_PRE_DEPENDS = 4;
export const F_DEPENDS = 5;
export const F_CONFLICTS = 6;
export const F_BREAKS = 7;
export const F_PROVIDES = 8;
export const F_REPLACES = 9;
export const F_SIZE = 10;
export const F_INSTALLED_SIZE = 11;
export const SLOT_COUNT = 12;


function isLowerOrDigit(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
}

const NATIVE = [...Buffer.from('native', 'latin1')];

/** Not a clause id: the clause needs the general parser. */
const SLOW = -1;

/**
 * Clause bytes → clause id (or SLOW), in an open-addressing table of FNV-1a
 * hashes; keys stay in the input buffer as offsets.
 */
class ClauseMemo {
  private table: Int32Array;
  private mask: number;
  /** Per memoized clause: start, end, value. */
  private spans: Int32Array;
  private count = 0;
  private slot = 0;
  private hash = 0;

  constructor(
    private readonly buf: Buffer,
    expected: number,
  ) {
    let slots = 1 << 12;
    while (slots < 2 * expected) slots *= 2;
    this.table = new Int32Array(2 * slots);
    this.mask = slots - 1;
    this.spans = new Int32Array(3 * Math.max(1024, expected));
  }

  /** The remembered value of buf[a, b), or undefined (then `remember` stores one). */
  get(a: number, b: number): number | undefined {
    const buf = this.buf;
    const h = hashBytes(buf, a, b);
    this.hash = h;
    const table = this.table;
    const spans = this.spans;
    const length = b - a;
    let i = h & this.mask;
    for (let e = table[2 * i + 1]!; e !== 0; e = table[2 * i + 1]!) {
      if (table[2 * i] === h) {
        const s = spans[3 * (e - 1)]!;
        if (spans[3 * (e - 1) + 1]! - s === length && sameBytes(this.buf, s, a, length)) return spans[3 * (e - 1) + 2]!;
      }
      i = (i + 1) & this.mask;
    }
    this.slot = i;
    return undefined;
  }

  /** Stores the value of the span the last `get` missed. */
  remember(a: number, b: number, value: number): void {
    const e = this.count++;
    if (3 * e + 3 > this.spans.length) {
      const grown = new Int32Array(this.spans.length * 2);
      grown.set(this.spans);
      this.spans = grown;
    }
    this.spans[3 * e] = a;
    this.spans[3 * e + 1] = b;
    this.spans[3 * e + 2] = value;
    this.table[2 * this.slot] = this.hash;
    this.table[2 * this.slot + 1] = e + 1;
    if (this.count * 2 > this.mask) this.grow();
  }

  private grow(): void {
    this.table = rehashSlots(this.table);
    this.mask = (this.table.length >> 1) - 1;
  }

}

export class FastRows {
  private readonly memo: ClauseMemo;
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
    this.memo = new ClauseMemo(buf, 2 * expectedRows);
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
        let c = this.memo.get(a, z);
        if (c === undefined) {
          c = this.parseClause(a, z);
          this.memo.remember(a, z, c);
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

  /**
   * One alternative, as core/relation.ts's ATOM expression reads it — `name`,
   * optional `:arch` (`any` and `native` dropped, another kept in the name),
   * optional `(op version)`, an optional `[archs]`, any `<profiles>` — taking
   * at each step the choice the expression tries first; SLOW where that
   * choice fails (the expression may then backtrack into something else) or
   * the name is a capability.
   */
  private parseAtom(p: number, q: number): number {
    const buf = this.buf;
    let i = p;
    while (i < q && isSpaceByte(buf[i]!)) i++;
    const ns = i;
    if (i >= q || !isLowerOrDigit(buf[i]!)) return SLOW;
    i++;
    while (i < q) {
      const c = buf[i]!;
      if (isLowerOrDigit(c) || c === 43 || c === 46 || c === 45) i++;
      else if ((c >= 65 && c <= 90) || c === 95) return SLOW; // the expression reads on; the name is invalid
      else break;
    }
    let ne = i;
    if (i < q && buf[i] === 58 /* : */) {
      const len = ne - ns;
      if ((len === 2 && buf[ns] === 115 && buf[ns + 1] === 111) || (len === 4 && buf[ns] === 102 && buf[ns + 1] === 105 && buf[ns + 2] === 108 && buf[ns + 3] === 101)) {
        return SLOW; // so: or file:
      }
      let j = i + 1;
      while (j < q) {
        const c = buf[j]!;
        if (isLowerOrDigit(c) || c === 45) j++;
        else break;
      }
      if (j === i + 1) return SLOW;
      const archLen = j - i - 1;
      const any = archLen === 3 && buf[i + 1] === 97 && buf[i + 2] === 110 && buf[i + 3] === 121;
      const native = archLen === 6 && NATIVE.every((c, k) => buf[i + 1 + k] === c);
      if (!any && !native) ne = j;
      i = j;
    }
    while (i < q && isSpaceByte(buf[i]!)) i++;
    let op = OP_NONE;
    let version = -1;
    if (i < q && buf[i] === 40 /* ( */) {
      i++;
      while (i < q && isSpaceByte(buf[i]!)) i++;
      if (i >= q) return SLOW;
      const c0 = buf[i]!;
      const c1 = i + 1 < q ? buf[i + 1]! : 0;
      if (c0 === 60 /* < */) {
        if (c1 === 60) [op, i] = [1, i + 2];
        else if (c1 === 61) [op, i] = [2, i + 2];
        else [op, i] = [2, i + 1]; // `<` is `<=`
      } else if (c0 === 62 /* > */) {
        if (c1 === 61) [op, i] = [4, i + 2];
        else if (c1 === 62) [op, i] = [5, i + 2];
        else [op, i] = [4, i + 1]; // `>` is `>=`
      } else if (c0 === 61 /* = */) [op, i] = [3, i + 1];
      else return SLOW;
      while (i < q && isSpaceByte(buf[i]!)) i++;
      const vs = i;
      while (i < q) {
        const c = buf[i]!;
        if (isSpaceByte(c) || c === 41 /* ) */) break;
        if (c === 11 || c === 12) return SLOW; // white space to the expression, not to us
        i++;
      }
      if (i === vs) return SLOW;
      const ve = i;
      while (i < q && isSpaceByte(buf[i]!)) i++;
      if (i >= q || buf[i] !== 41) return SLOW;
      i++;
      version = this.b.internBytes(buf, vs, ve);
      if (!this.isVersion(version)) return SLOW;
      while (i < q && isSpaceByte(buf[i]!)) i++;
    }
    if (i < q && buf[i] === 91 /* [ */) {
      let close = i + 1;
      while (close < q && buf[close] !== 93 /* ] */) close++;
      if (close >= q) return SLOW;
      i = close + 1;
      while (i < q && isSpaceByte(buf[i]!)) i++;
    }
    while (i < q && buf[i] === 60 /* < */) {
      let close = i + 1;
      while (close < q && buf[close] !== 62 /* > */) close++;
      if (close >= q) return SLOW;
      i = close + 1;
      while (i < q && isSpaceByte(buf[i]!)) i++;
    }
    if (i !== q) return SLOW;
    return this.b.atom(this.b.internBytes(buf, ns, ne), op, version);
  }
}
