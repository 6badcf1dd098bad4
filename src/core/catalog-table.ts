/**
 * A catalog as columns: what the catalog file stores (format 2) and what the
 * solver's pool indexes, without one object per package.
 *
 * - Strings (names, versions, architectures, summaries, manifest digests) live
 *   once each in a string table: UTF-8 bytes and end offsets. A string is
 *   decoded the first time it is asked for, then kept.
 * - A *row* is one package version: string ids of its name, version, arch,
 *   summary and manifest (-1: none) and its two sizes.
 * - An *atom* is a relation on one name: the name's string id, an operator
 *   (OP_NONE or one of `<< <= = >= >>`) and the version's string id (-1 with
 *   OP_NONE). A *clause* is a list of atom ids (alternatives). Equal atoms and
 *   equal clauses are stored once, so a relation repeated across a
 *   distribution (`libc6 (>= 2.34)`) is one id.
 * - The relations of row r are `relItems[rel[4r+k] .. rel[4r+k+1])` for kind k:
 *   clause ids for depends (k = 0), atom ids for conflicts (1), provides (2)
 *   and replaces (3).
 *
 * A decoded catalog lists its names first, sorted and unique (`names`), so a
 * reader can use their string ids as name ids without hashing a name.
 *
 * `CatalogRow` presents a row as a CatalogEntry (and Candidate) whose fields
 * are read from the columns on access; `entry(row)` makes a plain object.
 * Atoms and clauses handed out are frozen and shared.
 */
import type { Candidate, CatalogEntry } from './catalog.js';
import type { CatalogIndex } from './catalog-index-shape.js';
import type { Digest } from './digest.js';
import { OP_NONE, OPERATORS } from './operator.js';
import type { Atom, Clause } from './relation.js';

export { OP_EQ, OP_NONE, OPERATORS, operatorCode } from './operator.js';

/** A row's weak relations. */
export interface WeakRelations {
  recommends: Clause[];
  suggests: Clause[];
}

export const DEPENDS = 0;
export const CONFLICTS = 1;
export const PROVIDES = 2;
export const REPLACES = 3;
export const KINDS = 4;

/**
 * buf.utf8Slice(a, b): Buffer#toString without its argument handling, which
 * is most of the cost of decoding many short strings.
 */
const utf8Slice: (buf: Buffer, a: number, b: number) => string = (() => {
  const direct = (Buffer.prototype as unknown as { utf8Slice?: (this: Buffer, a: number, b: number) => string }).utf8Slice;
  return typeof direct === 'function' ? (buf, a, b) => direct.call(buf, a, b) : (buf, a, b) => buf.toString('utf8', a, b);
})();

export function decodeUtf8(buf: Buffer, a: number, b: number): string {
  return utf8Slice(buf, a, b);
}

/** Strings as UTF-8 bytes and end offsets; string i is bytes[ends[i-1] .. ends[i]). */
export class StringTable {
  readonly count: number;
  private readonly cache: (string | undefined)[];

  constructor(
    readonly bytes: Buffer,
    readonly ends: Int32Array,
  ) {
    this.count = ends.length;
    this.cache = new Array<string | undefined>(this.count);
  }

  start(i: number): number {
    return i === 0 ? 0 : this.ends[i - 1]!;
  }

  get(i: number): string {
    let s = this.cache[i];
    if (s === undefined) {
      s = utf8Slice(this.bytes, i === 0 ? 0 : this.ends[i - 1]!, this.ends[i]!);
      this.cache[i] = s;
    }
    return s;
  }
}

/** The columns of a table (see the module comment); every array is exactly as long as its count says. */
export interface CatalogColumns {
  strings: StringTable;
  name: Int32Array;
  version: Int32Array;
  arch: Int32Array;
  summary: Int32Array;
  /** -1: no manifest (catalog-only repositories). */
  manifest: Int32Array;
  size: Float64Array;
  installedSize: Float64Array;
  /** 4 × rows + 1 offsets into relItems. */
  rel: Int32Array;
  relItems: Int32Array;
  atomName: Int32Array;
  /** -1 when the atom has no constraint. */
  atomVersion: Int32Array;
  atomOp: Uint8Array;
  /** clauses + 1 offsets into clauseAtoms. */
  clauseStart: Int32Array;
  clauseAtoms: Int32Array;
  /**
   * When > 0: strings 0 .. names-1 are every name the rows and atoms use,
   * each once, in strictly increasing byte order (a decoded catalog, checked);
   * 0 when strings come in no particular order.
   */
  names?: number;
  /** The solver's index of this catalog (catalog-index.ts), when the file carried one and it was checked. */
  index?: CatalogIndex;
}


export class CatalogTable implements CatalogColumns {
  readonly strings: StringTable;
  readonly name: Int32Array;
  readonly version: Int32Array;
  readonly arch: Int32Array;
  readonly summary: Int32Array;
  readonly manifest: Int32Array;
  readonly size: Float64Array;
  readonly installedSize: Float64Array;
  readonly rel: Int32Array;
  readonly relItems: Int32Array;
  readonly atomName: Int32Array;
  readonly atomVersion: Int32Array;
  readonly atomOp: Uint8Array;
  readonly clauseStart: Int32Array;
  readonly clauseAtoms: Int32Array;
  readonly rows: number;
  /** See CatalogColumns.names. */
  readonly names: number;
  /** See CatalogColumns.index. */
  readonly index: CatalogIndex | undefined;
  readonly atomCount: number;
  readonly clauseCount: number;
  /**
   * Weak relations by row, when the catalog has any (the codec's optional
   * section): kept beside the columns, never read by the solver's index.
   */
  weak: Map<number, WeakRelations> | undefined;
  private readonly atoms: (Atom | undefined)[];
  private readonly clauses: (Clause | undefined)[];

  constructor(c: CatalogColumns) {
    this.strings = c.strings;
    this.name = c.name;
    this.version = c.version;
    this.arch = c.arch;
    this.summary = c.summary;
    this.manifest = c.manifest;
    this.size = c.size;
    this.installedSize = c.installedSize;
    this.rel = c.rel;
    this.relItems = c.relItems;
    this.atomName = c.atomName;
    this.atomVersion = c.atomVersion;
    this.atomOp = c.atomOp;
    this.clauseStart = c.clauseStart;
    this.clauseAtoms = c.clauseAtoms;
    this.rows = c.name.length;
    this.names = c.names ?? 0;
    this.index = c.index;
    this.weak = undefined;
    this.atomCount = c.atomName.length;
    this.clauseCount = c.clauseStart.length - 1;
    this.atoms = new Array<Atom | undefined>(this.atomCount);
    this.clauses = new Array<Clause | undefined>(this.clauseCount);
  }

  str(id: number): string {
    return this.strings.get(id);
  }

  /** Atom `id` as a frozen object, made once. */
  atom(id: number): Atom {
    let a = this.atoms[id];
    if (a === undefined) {
      const name = this.strings.get(this.atomName[id]!);
      const op = this.atomOp[id]!;
      a = op === OP_NONE ? Object.freeze({ name }) : Object.freeze({ name, constraint: Object.freeze({ op: OPERATORS[op]!, version: this.strings.get(this.atomVersion[id]!) }) });
      this.atoms[id] = a;
    }
    return a;
  }

  /** Clause `id` as a frozen array of frozen atoms, made once. */
  clause(id: number): Clause {
    let c = this.clauses[id];
    if (c === undefined) {
      const out: Atom[] = [];
      for (let k = this.clauseStart[id]!, end = this.clauseStart[id + 1]!; k < end; k++) out.push(this.atom(this.clauseAtoms[k]!));
      c = Object.freeze(out) as Clause;
      this.clauses[id] = c;
    }
    return c;
  }

  /** Where the relations of `kind` of `row` start and end in relItems. */
  relFrom(row: number, kind: number): number {
    return this.rel[4 * row + kind]!;
  }

  relTo(row: number, kind: number): number {
    return this.rel[4 * row + kind + 1]!;
  }

  depends(row: number): Clause[] {
    const out: Clause[] = [];
    for (let k = this.rel[4 * row]!, end = this.rel[4 * row + 1]!; k < end; k++) out.push(this.clause(this.relItems[k]!));
    return out;
  }

  /** Conflicts, provides or replaces of a row, as atoms. */
  atomList(row: number, kind: number): Atom[] {
    const out: Atom[] = [];
    for (let k = this.rel[4 * row + kind]!, end = this.rel[4 * row + kind + 1]!; k < end; k++) out.push(this.atom(this.relItems[k]!));
    return out;
  }

  manifestOf(row: number): Digest | undefined {
    const m = this.manifest[row]!;
    return m < 0 ? undefined : (this.strings.get(m) as Digest);
  }

  /** Row `row` as a plain catalog entry (fresh arrays, shared frozen atoms and clauses). */
  entry(row: number): CatalogEntry {
    const e: CatalogEntry = {
      name: this.strings.get(this.name[row]!),
      version: this.strings.get(this.version[row]!),
      arch: this.strings.get(this.arch[row]!),
      summary: this.strings.get(this.summary[row]!),
      depends: this.depends(row),
      conflicts: this.atomList(row, CONFLICTS),
      provides: this.atomList(row, PROVIDES),
      replaces: this.atomList(row, REPLACES),
      size: this.size[row]!,
      installedSize: this.installedSize[row]!,
    };
    const m = this.manifestOf(row);
    if (m !== undefined) e.manifest = m;
    const w = this.weak?.get(row);
    if (w?.recommends.length) e.recommends = w.recommends;
    if (w?.suggests.length) e.suggests = w.suggests;
    return e;
  }

  /** Every row as a plain entry, in row order. */
  entries(): CatalogEntry[] {
    const out: CatalogEntry[] = new Array(this.rows);
    for (let r = 0; r < this.rows; r++) out[r] = this.entry(r);
    return out;
  }

  /** Every row as a lazy CatalogRow, in row order. */
  views(remote = '', priority = 0): CatalogRow[] {
    const out: CatalogRow[] = new Array(this.rows);
    for (let r = 0; r < this.rows; r++) out[r] = new CatalogRow(this, r, remote, priority);
    return out;
  }
}

/**
 * One row of a table seen as a catalog entry; as a Candidate when `remote` and
 * `priority` are set (the remote it comes through; '' and 0 for a bare
 * catalog). Fields are read from the columns on each access; relation arrays
 * are fresh, their atoms and clauses shared and frozen.
 */
export class CatalogRow implements Candidate {
  constructor(
    readonly table: CatalogTable,
    readonly row: number,
    public remote = '',
    public priority = 0,
  ) {}

  get name(): string {
    return this.table.strings.get(this.table.name[this.row]!);
  }

  get version(): string {
    return this.table.strings.get(this.table.version[this.row]!);
  }

  get arch(): string {
    return this.table.strings.get(this.table.arch[this.row]!);
  }

  get summary(): string {
    return this.table.strings.get(this.table.summary[this.row]!);
  }

  get depends(): Clause[] {
    return this.table.depends(this.row);
  }

  get conflicts(): Atom[] {
    return this.table.atomList(this.row, CONFLICTS);
  }

  get provides(): Atom[] {
    return this.table.atomList(this.row, PROVIDES);
  }

  get replaces(): Atom[] {
    return this.table.atomList(this.row, REPLACES);
  }

  get manifest(): Digest | undefined {
    return this.table.manifestOf(this.row);
  }

  get recommends(): Clause[] | undefined {
    return this.table.weak?.get(this.row)?.recommends;
  }

  get suggests(): Clause[] | undefined {
    return this.table.weak?.get(this.row)?.suggests;
  }

  get size(): number {
    return this.table.size[this.row]!;
  }

  get installedSize(): number {
    return this.table.installedSize[this.row]!;
  }

  /** The plain entry (with `remote` and `priority` when it is a candidate). */
  toJSON(): CatalogEntry | Candidate {
    const e = this.table.entry(this.row);
    return this.remote === '' ? e : { ...e, remote: this.remote, priority: this.priority };
  }
}

