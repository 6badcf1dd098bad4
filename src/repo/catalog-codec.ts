/**
 * The catalog file, zstd-compressed. Format 2 is columnar (core/catalog-table.ts):
 * a header, then the table's arrays one after the other, little-endian, each
 * starting at a multiple of 8 bytes so that decoding is typed-array views over
 * the decompressed bytes — no per-package parsing, no JSON, no object per
 * entry until one is asked for.
 *
 *   0   "zpkgcat\n"                         8-byte magic
 *   8   u32 format (2), u32 rows, u32 strings, u32 string bytes,
 *       u32 atoms, u32 clauses, u32 clause atoms, u32 relation items,
 *       u32 names, u32 solvables, u32 provides, u32 conflicts, u32 indexed (0 or 1),
 *       u32 weak bytes (0: none)              header: 64 bytes
 *   64  i32 string ends [strings]            string i is bytes[ends[i-1], ends[i]);
 *                                            strings 0 .. names-1 are the names (of
 *                                            rows and atoms), unique, in byte order
 *       u8  string bytes [string bytes]      UTF-8
 *       i32 name, version, arch, summary, manifest (-1: none) [rows] each
 *       f64 size, installed size [rows] each
 *       i32 rel [4 × rows + 1]               row r's kind k: items[rel[4r+k], rel[4r+k+1])
 *       i32 items [relation items]           clause ids (depends), atom ids (conflicts, provides, replaces)
 *       i32 atom name, atom version (-1: none) [atoms] each
 *       u8  atom op [atoms]                  0 none, 1 <<, 2 <=, 3 =, 4 >=, 5 >>
 *       i32 clause start [clauses + 1], clause atoms [clause atoms]
 *   when indexed, the solver's index (core/catalog-index.ts), each i32:
 *       solvable row [solvables], name start [names + 1],
 *       provided-by start [names + 1], solvable, atom [provides] each,
 *       declared-by start [names + 1], solvable, atom [conflicts] each,
 *       provides start [solvables + 1], name, atom [provides] each
 *   when weak bytes > 0, the weak relations (UTF-8 JSON, rows ascending):
 *       [[row, [recommends clause…], [suggests clause…]], …]
 *   A catalog without recommends or suggests is byte for byte what it was
 *   before they existed; one with them is refused by a zpkg older than them
 *   (it finds bytes after the last array) rather than misread.
 *
 * Rows are sorted by name, then version (as strings); with the names sorted
 * too, a single catalog's string ids serve the solver as name ids, and a name
 * is found by binary search, without hashing any. The stored index spares a
 * pool over one remote all of its building.
 *
 * Decoding checks every offset and id against the counts, every name, version
 * and manifest digest (catalog-check.ts), and the stored index by building it
 * again, so a corrupt or hand-made catalog is refused with E_REPO_INVALID
 * instead of misleading the solver — unless the caller vouches for the bytes
 * (`verified`: an image's cached copy, checked when it was fetched). Format 1
 * (`{"format":1,"packages":[…]}`, relations as Debian strings) is still read.
 */
import { CatalogBuilder } from '../core/catalog-builder.js';
import type { CatalogEntry } from '../core/catalog.js';
import { CatalogRow, CatalogTable, StringTable, decodeUtf8, type WeakRelations } from '../core/catalog-table.js';
import { type CatalogIndex, INDEX_ARRAYS, indexCatalog, sameIndex } from '../core/catalog-index.js';
import { checkColumns, invalidCatalog } from './catalog-check.js';
import { isDigest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { checkShape, count, v } from '../core/shape.js';
import { formatClause, parseAtom, parseClause, type Atom, type Clause } from '../core/relation.js';
import { compress, decompressBounded } from './compress.js';
import { DEFAULT_LIMITS, LIMIT_KEYS } from './limits.js';

export const CATALOG_FORMAT = 2;

const MAGIC = Buffer.from('zpkgcat\n', 'latin1');
const HEADER = 64;
const LEVEL = 9;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** n rounded up to a multiple of 8 (arithmetic: counts read from a file may exceed 32 bits once multiplied). */
const pad8 = (n: number): number => Math.ceil(n / 8) * 8;

const invalid = invalidCatalog;

// ---------------------------------------------------------------------------
// Encoding

/** Entries sorted by name, then version (as strings), into one table, their weak relations attached. */
function sortedTable(entries: readonly CatalogEntry[]): CatalogTable {
  const names = entries.map((e) => e.name);
  const versions = entries.map((e) => e.version);
  const order = entries.map((_, i) => i);
  order.sort((i, j) => {
    const a = names[i]!;
    const b = names[j]!;
    if (a !== b) return a < b ? -1 : 1;
    const va = versions[i]!;
    const vb = versions[j]!;
    return va < vb ? -1 : va > vb ? 1 : 0;
  });
  const b = new CatalogBuilder();
  for (const i of order) b.addEntry(entries[i]!);
  const table = b.finish();
  order.forEach((i, row) => {
    const e = entries[i]!;
    if (!e.recommends?.length && !e.suggests?.length) return;
    (table.weak ??= new Map()).set(row, { recommends: e.recommends ?? [], suggests: e.suggests ?? [] });
  });
  return table;
}

/** The weak section's bytes (see the format above), empty when no row has weak relations. */
function weakBytes(weak: CatalogTable['weak']): Buffer {
  if (!weak?.size) return Buffer.alloc(0);
  const rows = [...weak].sort((a, b) => a[0] - b[0]).map(([row, w]) => [row, w.recommends.map(formatClause), w.suggests.map(formatClause)]);
  return Buffer.from(JSON.stringify(rows), 'utf8');
}

const WEAK_ROW_MESSAGE = 'its weak relations name a row out of order or out of range';
const WEAK_CLAUSES = v.array(v.string('a weak relation is not a list of clauses'), 'a weak relation is not a list of clauses');
/** The weak section: `[[row, recommends, suggests], …]`, rows ascending (checked after, against the row count). */
const WEAK_SECTION = v.array(v.strictTuple([v.pipe(count, v.maxValue(Number.MAX_SAFE_INTEGER, WEAK_ROW_MESSAGE)), WEAK_CLAUSES, WEAK_CLAUSES], WEAK_ROW_MESSAGE), 'its weak relations are not a list');

/** Reads the weak section, every row id and clause checked. */
function readWeak(bytes: Buffer, rows: number, location: string): Map<number, WeakRelations> {
  let doc: unknown;
  try {
    doc = JSON.parse(decodeUtf8(bytes, 0, bytes.length));
  } catch {
    throw invalid(location, 'its weak relations are not JSON');
  }
  const r = v.safeParse(WEAK_SECTION, doc, { abortEarly: true });
  if (!r.success) throw invalid(location, r.issues[0].message.startsWith('Invalid') ? WEAK_ROW_MESSAGE : r.issues[0].message);
  const out = new Map<number, WeakRelations>();
  let last = -1;
  const clauses = (v: string[]): Clause[] => {
    try {
      return v.map(parseClause);
    } catch (err) {
      throw invalid(location, `a weak relation cannot be read: ${(err as Error).message}`);
    }
  };
  for (const [row, recommends, suggests] of r.output) {
    if (row <= last || row >= rows) throw invalid(location, WEAK_ROW_MESSAGE);
    last = row;
    out.set(last, { recommends: clauses(recommends), suggests: clauses(suggests) });
  }
  return out;
}

/**
 * The string order of format 2: every name used by a row or an atom first,
 * sorted by bytes and each once, then the other strings in their order.
 * Returns the new id of each old string id and the strings' new ends and bytes.
 */
function namesFirst(t: CatalogTable): { newId: Int32Array; ends: Int32Array; bytes: Buffer; names: number } {
  const s = t.strings;
  const isName = new Uint8Array(s.count);
  for (let r = 0; r < t.rows; r++) isName[t.name[r]!] = 1;
  for (let a = 0; a < t.atomCount; a++) isName[t.atomName[a]!] = 1;
  const nameIds: number[] = [];
  for (let id = 0; id < s.count; id++) if (isName[id] === 1) nameIds.push(id);
  // latin1 strings compare as their bytes do.
  const key = nameIds.map((id) => s.bytes.toString('latin1', s.start(id), s.ends[id]!));
  const order = nameIds.map((_, i) => i).sort((i, j) => (key[i]! < key[j]! ? -1 : key[i]! > key[j]! ? 1 : 0));
  const newId = new Int32Array(s.count);
  const kept: number[] = [];
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (k > 0 && key[i] === key[order[k - 1]!]) newId[nameIds[i]!] = kept.length - 1; // the same name twice: one id
    else {
      newId[nameIds[i]!] = kept.length;
      kept.push(nameIds[i]!);
    }
  }
  const names = kept.length;
  for (let id = 0; id < s.count; id++) {
    if (isName[id] === 1) continue;
    newId[id] = kept.length;
    kept.push(id);
  }
  const ends = new Int32Array(kept.length);
  const total = kept.reduce((sum, id) => sum + s.ends[id]! - s.start(id), 0);
  const bytes = Buffer.alloc(total);
  let at = 0;
  kept.forEach((id, k) => {
    at += s.bytes.copy(bytes, at, s.start(id), s.ends[id]!);
    ends[k] = at;
  });
  return { newId, ends, bytes, names };
}

/** `t` with its strings renumbered names first (see namesFirst). */
function withNamesFirst(t: CatalogTable): CatalogTable {
  const { newId, ends, bytes, names } = namesFirst(t);
  const renamed = (ids: Int32Array): Int32Array => ids.map((id) => (id < 0 ? id : newId[id]!));
  return new CatalogTable({
    strings: new StringTable(bytes, ends),
    name: renamed(t.name),
    version: renamed(t.version),
    arch: renamed(t.arch),
    summary: renamed(t.summary),
    manifest: renamed(t.manifest),
    size: t.size,
    installedSize: t.installedSize,
    rel: t.rel,
    relItems: t.relItems,
    atomName: renamed(t.atomName),
    atomVersion: renamed(t.atomVersion),
    atomOp: t.atomOp,
    clauseStart: t.clauseStart,
    clauseAtoms: t.clauseAtoms,
    names,
  });
}

/** An array as little-endian bytes. */
function le(a: Int32Array | Float64Array | Uint8Array): Uint8Array {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (LITTLE_ENDIAN || a instanceof Uint8Array) return bytes;
  const swapped = new Uint8Array(bytes.length);
  const w = a.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += w) for (let k = 0; k < w; k++) swapped[i + k] = bytes[i + w - 1 - k]!;
  return swapped;
}

/** The table's bytes in format 2 (uncompressed), with the solver's index when its rows are grouped by name. */
export function serializeTable(table: CatalogTable): Buffer {
  const t = withNamesFirst(table);
  const ix = indexCatalog(t);
  const s = t.strings;
  const arrays: (Int32Array | Float64Array | Uint8Array)[] = [
    s.ends,
    s.bytes,
    t.name,
    t.version,
    t.arch,
    t.summary,
    t.manifest,
    t.size,
    t.installedSize,
    t.rel,
    t.relItems,
    t.atomName,
    t.atomVersion,
    t.atomOp,
    t.clauseStart,
    t.clauseAtoms,
    ...(ix ? INDEX_ARRAYS.map((key) => ix[key]) : []),
  ];
  const weak = weakBytes(table.weak);
  if (weak.length) arrays.push(weak);
  const total = HEADER + arrays.reduce((sum, a) => sum + pad8(a.byteLength), 0);
  const out = Buffer.alloc(total);
  MAGIC.copy(out, 0);
  const counts = [
    CATALOG_FORMAT,
    t.rows,
    s.count,
    s.bytes.length,
    t.atomCount,
    t.clauseCount,
    t.clauseAtoms.length,
    t.relItems.length,
    t.names,
    ix ? ix.solvableRow.length : 0,
    ix ? ix.provByS.length : 0,
    ix ? ix.declByS.length : 0,
    ix ? 1 : 0,
    weak.length,
  ];
  counts.forEach((n, i) => out.writeUInt32LE(n, 8 + 4 * i));
  let at = HEADER;
  for (const a of arrays) {
    out.set(le(a), at);
    at += pad8(a.byteLength);
  }
  return out;
}

export function encodeCatalog(entries: readonly CatalogEntry[]): Buffer {
  return compress(serializeTable(sortedTable(entries)), LEVEL);
}

// ---------------------------------------------------------------------------
// Decoding

/** Reads the arrays of a format-2 catalog as views (copies where the platform or alignment needs). */
class Reader {
  at = HEADER;
  constructor(
    private readonly buf: Buffer,
    private readonly location: string,
  ) {}

  private take(bytes: number): number {
    const from = this.at;
    const to = from + pad8(bytes);
    if (to > this.buf.length) throw invalid(this.location, 'it is truncated');
    for (let i = from + bytes; i < to; i++) if (this.buf[i] !== 0) throw invalid(this.location, 'its padding is not zero');
    this.at = to;
    return from;
  }

  i32(n: number): Int32Array {
    const from = this.take(4 * n);
    const off = this.buf.byteOffset + from;
    if (LITTLE_ENDIAN && off % 4 === 0) return new Int32Array(this.buf.buffer, off, n);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.buf.readInt32LE(from + 4 * i);
    return out;
  }

  f64(n: number): Float64Array {
    const from = this.take(8 * n);
    const off = this.buf.byteOffset + from;
    if (LITTLE_ENDIAN && off % 8 === 0) return new Float64Array(this.buf.buffer, off, n);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.buf.readDoubleLE(from + 8 * i);
    return out;
  }

  u8(n: number): Uint8Array {
    const from = this.take(n);
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset + from, n);
  }

  bytes(n: number): Buffer {
    const from = this.take(n);
    return this.buf.subarray(from, from + n);
  }
}

function decodeTable(buf: Buffer, location: string, verified: boolean): CatalogTable {
  if (buf.length < HEADER || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw invalid(location, 'it is neither format 1 nor format 2');
  const header = Array.from({ length: 14 }, (_, i) => buf.readUInt32LE(8 + 4 * i));
  const [format, rows, nStrings, stringBytes, atoms, clauses, clauseAtomCount, relCount, names, solvables, provides, conflicts, indexed, weakLength] = header as [
    number, number, number, number, number, number, number, number, number, number, number, number, number, number,
  ];
  if (format !== CATALOG_FORMAT) throw invalid(location, `its format ${format} is not one this zpkg reads (1 and ${CATALOG_FORMAT})`);
  if (indexed > 1 || (indexed === 0 && solvables + provides + conflicts > 0)) throw invalid(location, 'its header is inconsistent');
  const r = new Reader(buf, location);
  const ends = r.i32(nStrings);
  const bytes = r.bytes(stringBytes);
  const columns = {
    strings: new StringTable(bytes, ends),
    name: r.i32(rows),
    version: r.i32(rows),
    arch: r.i32(rows),
    summary: r.i32(rows),
    manifest: r.i32(rows),
    size: r.f64(rows),
    installedSize: r.f64(rows),
    rel: r.i32(4 * rows + 1),
    relItems: r.i32(relCount),
    atomName: r.i32(atoms),
    atomVersion: r.i32(atoms),
    atomOp: r.u8(atoms),
    clauseStart: r.i32(clauses + 1),
    clauseAtoms: r.i32(clauseAtomCount),
    names,
  };
  let index: CatalogIndex | undefined;
  if (indexed === 1) {
    index = {
      solvableRow: r.i32(solvables),
      nameStart: r.i32(names + 1),
      provByStart: r.i32(names + 1),
      provByS: r.i32(provides),
      provByAtom: r.i32(provides),
      declByStart: r.i32(names + 1),
      declByS: r.i32(conflicts),
      declByAtom: r.i32(conflicts),
      provStart: r.i32(solvables + 1),
      provNames: r.i32(provides),
      provAtoms: r.i32(provides),
    };
  }
  const weak = weakLength > 0 ? readWeak(r.bytes(weakLength), rows, location) : undefined;
  if (r.at !== buf.length) throw invalid(location, `it has ${buf.length - r.at} bytes after its last array`);
  const withWeak = (t: CatalogTable): CatalogTable => {
    t.weak = weak;
    return t;
  };
  if (verified) return withWeak(new CatalogTable({ ...columns, index }));
  checkColumns(columns, clauseAtomCount, location);
  if (index === undefined) return withWeak(new CatalogTable(columns));
  // The stored index must be the one these columns make.
  const made = indexCatalog(new CatalogTable(columns));
  if (made === undefined || !sameIndex(made, index)) throw invalid(location, 'its solver index does not match its packages');
  return withWeak(new CatalogTable({ ...columns, index: made }));
}

// --- format 1

/**
 * One entry of a format-1 (JSON) catalog. Checked whole when the catalog is
 * decoded, so a hostile catalog is refused at refresh instead of being cached
 * and crashing `search` or `info` later.
 */
export const FORMAT1_ENTRY = v.object({
  name: v.string(),
  version: v.string(),
  arch: v.optional(v.string(), 'all'),
  summary: v.optional(v.string(), ''),
  depends: v.optional(v.array(v.string()), []),
  conflicts: v.optional(v.array(v.string()), []),
  provides: v.optional(v.array(v.string()), []),
  replaces: v.optional(v.array(v.string()), []),
  manifest: v.optional(v.pipe(v.string(), v.check((s: string) => isDigest(s), 'expected "sha256:<64 hex digits>"'))),
  size: v.optional(count, 0),
  installedSize: v.optional(count, 0),
});
const storedCatalog = v.object({ format: v.literal(1), packages: v.array(v.unknown()) });

function decodeFormat1(raw: unknown, location: string): CatalogEntry[] {
  const doc = checkShape(storedCatalog, raw, 'E_REPO_INVALID', `${location}: the catalog`);
  const clauses = new Map<string, Clause>();
  const atoms = new Map<string, Atom>();
  const clause = (s: string): Clause => {
    let c = clauses.get(s);
    if (!c) clauses.set(s, (c = parseClause(s)));
    return c;
  };
  const atom = (s: string): Atom => {
    let a = atoms.get(s);
    if (!a) atoms.set(s, (a = parseAtom(s)));
    return a;
  };
  return doc.packages.map((raw, i) => {
    const p = checkShape(FORMAT1_ENTRY, raw, 'E_REPO_INVALID', `${location}: catalog entry ${i}`);
    try {
      const entry: CatalogEntry = {
        name: p.name,
        version: p.version,
        arch: p.arch,
        summary: p.summary,
        depends: p.depends.map(clause),
        conflicts: p.conflicts.map(atom),
        provides: p.provides.map(atom),
        replaces: p.replaces.map(atom),
        size: p.size,
        installedSize: p.installedSize,
      };
      if (p.manifest) entry.manifest = p.manifest as CatalogEntry['manifest'];
      return entry;
    } catch (err) {
      throw new ZpkgError('E_REPO_INVALID', `${location}: catalog entry ${i} (${p.name}): ${(err as Error).message}`, { cause: err });
    }
  });
}

/** A decoded catalog: the table (format 2), or plain entries (format 1). */
function decode(stored: Uint8Array, location: string, options: DecodeOptions): CatalogTable | CatalogEntry[] {
  const maxBytes = options.maxBytes ?? DEFAULT_LIMITS.catalogBytes;
  const maxPackages = options.maxPackages ?? DEFAULT_LIMITS.catalogPackages;
  const raw = decompressBounded(stored, maxBytes, `${location}: the catalog`);
  const tooMany = (n: number): ZpkgError =>
    new ZpkgError('E_REPO_INVALID', `${location}: the catalog holds ${n} package versions, more than the limit of ${maxPackages}`, {
      hint: `raise \`limits.${LIMIT_KEYS.catalogPackages}\` in etc/zpkg/zpkg.yaml if the repository is that large on purpose`,
    });
  if (raw[0] !== 0x7b /* { */) {
    if (raw.length >= HEADER && raw.subarray(0, MAGIC.length).equals(MAGIC) && raw.readUInt32LE(12) > maxPackages) throw tooMany(raw.readUInt32LE(12));
    return decodeTable(raw, location, options.verified ?? false);
  }
  let doc: { format?: unknown; packages?: unknown };
  try {
    doc = JSON.parse(decodeUtf8(raw, 0, raw.length)) as typeof doc;
  } catch (err) {
    throw new ZpkgError('E_REPO_INVALID', `${location}: the catalog cannot be read: ${(err as Error).message}`);
  }
  if (doc.format !== 1) throw new ZpkgError('E_REPO_INVALID', `${location}: the catalog has an unsupported format`);
  if (Array.isArray(doc.packages) && doc.packages.length > maxPackages) throw tooMany(doc.packages.length);
  return decodeFormat1(doc, location);
}

export interface DecodeOptions {
  /**
   * These exact bytes (the caller has checked their digest) passed this
   * decoder's checks before — an image's cached copy of a remote's catalog,
   * checked by `refresh` when it arrived: skip checking their content again.
   * The layout is still read with every bound checked.
   */
  verified?: boolean;
  /** Bytes the catalog may decompress to (limits.ts; default DEFAULT_LIMITS.catalogBytes). */
  maxBytes?: number;
  /** Package versions it may hold (default DEFAULT_LIMITS.catalogPackages). */
  maxPackages?: number;
}

/** The catalog as a table, checked; the fast way in for the solver (a format-1 catalog is converted). */
export function decodeCatalogTable(stored: Uint8Array, location: string, options: DecodeOptions = {}): CatalogTable {
  const d = decode(stored, location, options);
  if (d instanceof CatalogTable) return d;
  const b = new CatalogBuilder();
  for (const e of d) b.addEntry(e);
  return b.finish();
}

/** The catalog's entries: lazy rows of its table (format 2), plain objects (format 1). */
export function decodeCatalog(stored: Uint8Array, location: string, options: DecodeOptions = {}): CatalogEntry[] {
  const d = decode(stored, location, options);
  return d instanceof CatalogTable ? d.views() : d;
}

/**
 * An entry with another fetch size, as a plain object: a lazy row of a
 * decoded catalog keeps its fields in its table, so spreading it would lose
 * them (and the catalog builder would copy the row's old size).
 */
export function withSize(e: CatalogEntry, size: number): CatalogEntry {
  return { ...(e instanceof CatalogRow ? e.table.entry(e.row) : e), size };
}

/** The catalog entry a manifest yields. */
export function entryFromManifest(
  m: { name: string; version: string; arch: string; summary: string; depends: string[]; conflicts: string[]; provides: string[]; replaces: string[]; recommends?: string[]; suggests?: string[] },
  manifest: CatalogEntry['manifest'],
  size: number,
  installedSize: number,
): CatalogEntry {
  return {
    name: m.name,
    version: m.version,
    arch: m.arch,
    summary: m.summary,
    depends: m.depends.map(parseClause),
    conflicts: m.conflicts.map((s) => parseAtom(s)),
    provides: m.provides.map((s) => parseAtom(s)),
    replaces: m.replaces.map((s) => parseAtom(s)),
    ...(m.recommends?.length ? { recommends: m.recommends.map(parseClause) } : {}),
    ...(m.suggests?.length ? { suggests: m.suggests.map(parseClause) } : {}),
    manifest,
    size,
    installedSize,
  };
}
