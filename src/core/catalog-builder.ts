/**
 * Builds a CatalogTable row by row, interning strings, atoms and clauses so
 * each is stored once. Rows come from plain catalog entries (`addEntry`),
 * from rows of another table (copied id by id, without decoding strings), or
 * from a parser that interns bytes straight from its input (`internBytes`,
 * `atom`, `clause`, then `beginRow` … `endRow`), as the Debian index importer
 * does: no string is ever made for a value that is seen again.
 *
 * Interning is by span (core/span-map.ts): a string is the span of its bytes
 * in the string table's bytes, an atom the span of its (name, op, version)
 * triple in `atomKey`, a clause the span of its atom ids in `clauseAtoms`.
 */
import type { CatalogEntry } from './catalog.js';
import { CatalogRow, CatalogTable, KINDS, OP_NONE, StringTable, operatorCode } from './catalog-table.js';
import type { Atom, Clause } from './relation.js';
import { ABSENT, SpanMap, bytesOf } from './span-map.js';

/** A growable Int32Array. */
class Ints {
  a: Int32Array;
  n = 0;
  constructor(capacity = 1024) {
    this.a = new Int32Array(capacity);
  }
  push(x: number): void {
    if (this.n === this.a.length) this.grow(this.n + 1);
    this.a[this.n++] = x;
  }
  grow(need: number): void {
    const next = new Int32Array(Math.max(need, this.a.length * 2));
    next.set(this.a);
    this.a = next;
  }
  done(): Int32Array {
    return this.a.slice(0, this.n);
  }
}

class Floats {
  a: Float64Array;
  n = 0;
  constructor(capacity = 1024) {
    this.a = new Float64Array(capacity);
  }
  push(x: number): void {
    if (this.n === this.a.length) {
      const next = new Float64Array(this.a.length * 2);
      next.set(this.a);
      this.a = next;
    }
    this.a[this.n++] = x;
  }
  done(): Float64Array {
    return this.a.slice(0, this.n);
  }
}

/** Per source table: its string, atom and clause ids in this builder (-1: not yet copied). */
interface Remap {
  str: Int32Array;
  atom: Int32Array;
  clause: Int32Array;
}

export class CatalogBuilder {
  private bytes: Buffer;
  private bytesLen = 0;
  private readonly ends: Ints;
  private readonly strings: SpanMap;
  private readonly jsStrings = new Map<string, number>();
  private scratch = Buffer.allocUnsafe(256);

  /** Atom a is (name, op, version) at atomKey[3a .. 3a + 3); the map keys its bytes. */
  private readonly atomKey: Ints;
  private readonly atoms: SpanMap;
  private readonly atomQuery = new Int32Array(3);
  private readonly atomQueryBytes = bytesOf(this.atomQuery);

  private readonly clauseStart: Ints;
  private readonly clauseAtoms: Ints;
  /** Keys the bytes of each clause's span of clauseAtoms. */
  private readonly clauses: SpanMap;

  private readonly rowName: Ints;
  private readonly rowVersion: Ints;
  private readonly rowArch: Ints;
  private readonly rowSummary: Ints;
  private readonly rowManifest: Ints;
  private readonly rowSize: Floats;
  private readonly rowInstalledSize: Floats;
  private readonly rel: Ints;
  private readonly relItems: Ints;
  /** The open row's relations by kind, moved into relItems by endRow. */
  private readonly pending: Ints[] = [new Ints(64), new Ints(64), new Ints(64), new Ints(64)];

  private readonly atomOfObject = new Map<Atom, number>();
  private readonly clauseOfObject = new Map<Clause, number>();
  private readonly remaps = new Map<CatalogTable, Remap>();
  private scratchIds = new Int32Array(64);
  private clauseQuery = new Int32Array(64);
  private clauseQueryBytes = bytesOf(this.clauseQuery);

  /** `expectedRows`: how many rows to make room for up front (a guess; everything grows as needed). */
  constructor(expectedRows = 256) {
    const rows = Math.max(256, expectedRows);
    this.bytes = Buffer.allocUnsafe(64 * rows);
    this.ends = new Ints(3 * rows);
    this.strings = new SpanMap(this.bytes, 3 * rows);
    this.atomKey = new Ints(6 * rows);
    this.atoms = new SpanMap(bytesOf(this.atomKey.a), 2 * rows);
    this.clauseStart = new Ints(2 * rows);
    this.clauseAtoms = new Ints(2 * rows);
    this.clauses = new SpanMap(bytesOf(this.clauseAtoms.a), 2 * rows);
    this.rowName = new Ints(rows);
    this.rowVersion = new Ints(rows);
    this.rowArch = new Ints(rows);
    this.rowSummary = new Ints(rows);
    this.rowManifest = new Ints(rows);
    this.rowSize = new Floats(rows);
    this.rowInstalledSize = new Floats(rows);
    this.rel = new Ints(4 * rows + 1);
    this.relItems = new Ints(6 * rows);
    this.clauseStart.push(0);
    this.rel.push(0);
  }

  get rows(): number {
    return this.rowName.n;
  }

  // --- strings

  /** The id of the string whose UTF-8 bytes are src[a, b). */
  internBytes(src: Uint8Array, a: number, b: number): number {
    const found = this.strings.get(src, a, b);
    if (found !== ABSENT) return found;
    const at = this.bytesLen;
    const id = this.appendBytes(src, a, b);
    this.strings.set(at, this.bytesLen, id);
    return id;
  }

  /** A new string of the bytes src[a, b), not shared with equal ones (for values that rarely repeat). */
  appendBytes(src: Uint8Array, a: number, b: number): number {
    const len = b - a;
    if (this.bytesLen + len > this.bytes.length) {
      const next = Buffer.allocUnsafe(Math.max(this.bytesLen + len, this.bytes.length * 2));
      this.bytes.copy(next, 0, 0, this.bytesLen);
      this.bytes = next;
      this.strings.keys = next;
    }
    const bytes = this.bytes;
    const at = this.bytesLen;
    for (let k = 0; k < len; k++) bytes[at + k] = src[a + k]!;
    this.bytesLen += len;
    const id = this.ends.n;
    this.ends.push(this.bytesLen);
    return id;
  }

  internString(s: string): number {
    let id = this.jsStrings.get(s);
    if (id === undefined) {
      if (this.scratch.length < 3 * s.length) this.scratch = Buffer.allocUnsafe(3 * s.length + 64);
      const n = this.scratch.write(s, 0, 'utf8');
      id = this.internBytes(this.scratch, 0, n);
      this.jsStrings.set(s, id);
    }
    return id;
  }

  /** Whether string `id` passes a check on its bytes (for a parser that validates what it interned). */
  testString(id: number, test: (buf: Uint8Array, a: number, b: number) => boolean): boolean {
    return test(this.bytes, id === 0 ? 0 : this.ends.a[id - 1]!, this.ends.a[id]!);
  }

  // --- atoms and clauses

  /** The id of atom (name, op, version); version is -1 exactly when op is OP_NONE. */
  atom(name: number, op: number, version: number): number {
    const q = this.atomQuery;
    q[0] = name;
    q[1] = op;
    q[2] = version;
    const found = this.atoms.get(this.atomQueryBytes, 0, 12);
    if (found !== ABSENT) return found;
    const keys = this.atomKey;
    const id = keys.n / 3;
    const before = keys.a;
    keys.push(name);
    keys.push(op);
    keys.push(version);
    if (keys.a !== before) this.atoms.keys = bytesOf(keys.a);
    this.atoms.set(12 * id, 12 * id + 12, id);
    return id;
  }

  /** The id of the clause with atoms ids[from, to) (at least one). */
  clause(ids: ArrayLike<number>, from: number, to: number): number {
    const len = to - from;
    if (this.clauseQuery.length < len) {
      this.clauseQuery = new Int32Array(2 * len);
      this.clauseQueryBytes = bytesOf(this.clauseQuery);
    }
    const q = this.clauseQuery;
    for (let i = 0; i < len; i++) q[i] = ids[from + i]!;
    const found = this.clauses.get(this.clauseQueryBytes, 0, 4 * len);
    if (found !== ABSENT) return found;
    const id = this.clauseStart.n - 1;
    const atoms = this.clauseAtoms;
    const start = atoms.n;
    const before = atoms.a;
    for (let i = 0; i < len; i++) atoms.push(q[i]!);
    this.clauseStart.push(atoms.n);
    if (atoms.a !== before) this.clauses.keys = bytesOf(atoms.a);
    this.clauses.set(4 * start, 4 * atoms.n, id);
    return id;
  }

  /** How many atoms clause `id` has. */
  clauseSize(id: number): number {
    return this.clauseStart.a[id + 1]! - this.clauseStart.a[id]!;
  }

  /** Atom `k` of clause `id`. */
  clauseAtom(id: number, k: number): number {
    return this.clauseAtoms.a[this.clauseStart.a[id]! + k]!;
  }

  /** The operator code of atom `id`. */
  opOf(id: number): number {
    return this.atomKey.a[3 * id + 1]!;
  }

  private atomOf(a: Atom): number {
    const frozen = Object.isFrozen(a);
    if (frozen) {
      const id = this.atomOfObject.get(a);
      if (id !== undefined) return id;
    }
    const c = a.constraint;
    const id = c === undefined ? this.atom(this.internString(a.name), OP_NONE, -1) : this.atom(this.internString(a.name), operatorCode(c.op), this.internString(c.version));
    if (frozen) this.atomOfObject.set(a, id);
    return id;
  }

  private clauseOf(c: Clause): number {
    const frozen = Object.isFrozen(c);
    if (frozen) {
      const id = this.clauseOfObject.get(c);
      if (id !== undefined) return id;
    }
    if (this.scratchIds.length < c.length) this.scratchIds = new Int32Array(2 * c.length);
    const ids = this.scratchIds;
    for (let i = 0; i < c.length; i++) ids[i] = this.atomOf(c[i]!);
    const id = this.clause(ids, 0, c.length);
    if (frozen) this.clauseOfObject.set(c, id);
    return id;
  }

  // --- rows

  /** Starts a row: relations added until endRow belong to it. */
  beginRow(): void {
    for (const p of this.pending) p.n = 0;
  }

  /** Adds a relation of the open row: a clause id for DEPENDS, an atom id for the other kinds. */
  addRelation(kind: number, id: number): void {
    this.pending[kind]!.push(id);
  }

  endRow(name: number, version: number, arch: number, summary: number, manifest: number, size: number, installedSize: number): void {
    this.rowName.push(name);
    this.rowVersion.push(version);
    this.rowArch.push(arch);
    this.rowSummary.push(summary);
    this.rowManifest.push(manifest);
    this.rowSize.push(size);
    this.rowInstalledSize.push(installedSize);
    for (let k = 0; k < KINDS; k++) {
      const p = this.pending[k]!;
      for (let i = 0; i < p.n; i++) this.relItems.push(p.a[i]!);
      this.rel.push(this.relItems.n);
    }
  }

  /**
   * Appends an entry: a CatalogRow is copied id by id; anything else is
   * interned field by field — only its name, version and relations when
   * `relationsOnly` (a table for the solver, which reads nothing else).
   */
  addEntry(e: CatalogEntry, relationsOnly = false): void {
    if (e instanceof CatalogRow) {
      this.addRow(e.table, e.row);
      return;
    }
    this.beginRow();
    // Entries made by hand (tests, callers of the solver) may leave out what the solver does not read.
    for (const c of e.depends ?? []) this.addRelation(0, this.clauseOf(c));
    for (const a of e.conflicts ?? []) this.addRelation(1, this.atomOf(a));
    for (const a of e.provides ?? []) this.addRelation(2, this.atomOf(a));
    for (const a of e.replaces ?? []) this.addRelation(3, this.atomOf(a));
    const name = this.internString(e.name);
    const version = this.internString(e.version);
    if (relationsOnly) {
      const none = this.internString('');
      this.endRow(name, version, none, none, -1, 0, 0);
      return;
    }
    this.endRow(name, version, this.internString(e.arch ?? ''), this.internString(e.summary ?? ''), e.manifest ? this.internString(e.manifest) : -1, e.size ?? 0, e.installedSize ?? 0);
  }

  /** Appends row `row` of `t`, mapping its ids into this builder's. */
  addRow(t: CatalogTable, row: number): void {
    let m = this.remaps.get(t);
    if (m === undefined) {
      m = { str: new Int32Array(t.strings.count).fill(-1), atom: new Int32Array(t.atomCount).fill(-1), clause: new Int32Array(t.clauseCount).fill(-1) };
      this.remaps.set(t, m);
    }
    this.beginRow();
    for (let k = 0; k < KINDS; k++) {
      for (let i = t.rel[4 * row + k]!, end = t.rel[4 * row + k + 1]!; i < end; i++) {
        const id = t.relItems[i]!;
        this.addRelation(k, k === 0 ? this.remapClause(t, m, id) : this.remapAtom(t, m, id));
      }
    }
    const man = t.manifest[row]!;
    this.endRow(
      this.remapString(t, m, t.name[row]!),
      this.remapString(t, m, t.version[row]!),
      this.remapString(t, m, t.arch[row]!),
      this.remapString(t, m, t.summary[row]!),
      man < 0 ? -1 : this.remapString(t, m, man),
      t.size[row]!,
      t.installedSize[row]!,
    );
  }

  private remapString(t: CatalogTable, m: Remap, id: number): number {
    let out = m.str[id]!;
    if (out < 0) {
      out = this.internBytes(t.strings.bytes, t.strings.start(id), t.strings.ends[id]!);
      m.str[id] = out;
    }
    return out;
  }

  private remapAtom(t: CatalogTable, m: Remap, id: number): number {
    let out = m.atom[id]!;
    if (out < 0) {
      const op = t.atomOp[id]!;
      out = this.atom(this.remapString(t, m, t.atomName[id]!), op, op === OP_NONE ? -1 : this.remapString(t, m, t.atomVersion[id]!));
      m.atom[id] = out;
    }
    return out;
  }

  private remapClause(t: CatalogTable, m: Remap, id: number): number {
    let out = m.clause[id]!;
    if (out < 0) {
      const from = t.clauseStart[id]!;
      const to = t.clauseStart[id + 1]!;
      const ids: number[] = [];
      for (let k = from; k < to; k++) ids.push(this.remapAtom(t, m, t.clauseAtoms[k]!));
      out = this.clause(ids, 0, ids.length);
      m.clause[id] = out;
    }
    return out;
  }

  finish(): CatalogTable {
    const strings = new StringTable(Buffer.from(this.bytes.subarray(0, this.bytesLen)), this.ends.done());
    const atoms = this.atomKey.n / 3;
    const key = this.atomKey.a;
    const atomName = new Int32Array(atoms);
    const atomVersion = new Int32Array(atoms);
    const atomOp = new Uint8Array(atoms);
    for (let a = 0; a < atoms; a++) {
      atomName[a] = key[3 * a]!;
      atomOp[a] = key[3 * a + 1]!;
      atomVersion[a] = key[3 * a + 2]!;
    }
    return new CatalogTable({
      strings,
      name: this.rowName.done(),
      version: this.rowVersion.done(),
      arch: this.rowArch.done(),
      summary: this.rowSummary.done(),
      manifest: this.rowManifest.done(),
      size: this.rowSize.done(),
      installedSize: this.rowInstalledSize.done(),
      rel: this.rel.done(),
      relItems: this.relItems.done(),
      atomName,
      atomVersion,
      atomOp,
      clauseStart: this.clauseStart.done(),
      clauseAtoms: this.clauseAtoms.done(),
    });
  }
}

/** A table of entries, in their order (see addEntry for `relationsOnly`). */
export function tableOf(entries: readonly CatalogEntry[], relationsOnly = false): CatalogTable {
  const b = new CatalogBuilder();
  for (const e of entries) b.addEntry(e, relationsOnly);
  return b.finish();
}
