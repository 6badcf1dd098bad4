/**
 * Reads a Debian `Packages` index (the file apt keeps under /var/lib/apt/lists)
 * into catalog entries. Used to import Debian archives as catalog-only
 * repositories and, in tests and benchmarks, as a real-world corpus.
 *
 * Format: deb822 / RFC822-style stanzas separated by blank lines; a field is
 * `Name: value`, a line starting with a space or tab continues the previous
 * field, field names are case-insensitive.
 *
 * importIndexTable is the fast path (bookworm main: 63k stanzas, 50 MB): it
 * works on the bytes, never making one big string (which would cost a decode,
 * up to 100 MB of UTF-16, and stay alive as long as any value sliced from it);
 * it finds the twelve fields an entry needs by offset, without a map per
 * stanza, and hands them to debian-rows.ts, which writes them into a catalog
 * table as interned bytes and parses each distinct relation clause once. A
 * stanza that path is unsure of goes through the general mapping (toEntry),
 * which also words why a stanza is skipped. importIndex and importIndexFile
 * return the same import as plain entries.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'zstd-napi';
import { COLON, COMMA, CR, HASH, LF, SPACE, TAB, isSpaceByte } from '../core/ascii.js';
import type { CatalogEntry } from '../core/catalog.js';
import { CatalogBuilder } from '../core/catalog-builder.js';
import type { CatalogTable } from '../core/catalog-table.js';
import { ZpkgError, isZpkgError } from '../core/errors.js';
import { type Atom, type Clause, isPackageName, parseClause, parseRelationField, validateProvide } from '../core/relation.js';
import { rehashSlots, sameBytes } from '../core/slot-table.js';
import { parseVersion } from '../core/version.js';
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
  FastRows,
  SLOT_COUNT,
} from './debian-rows.js';

/** One stanza: lower-cased field name → value (trimmed; continuation lines kept with their `\n `). */
export type Stanza = Map<string, string>;

export interface SkippedStanza {
  /** The stanza's Package field, or `(stanza at line N)` when it has none. */
  package: string;
  reason: string;
}

export interface ImportedIndex {
  entries: CatalogEntry[];
  skipped: SkippedStanza[];
}

/** An import as a catalog table (rows in index order). */
export interface ImportedTable {
  table: CatalogTable;
  skipped: SkippedStanza[];
}

// ---------------------------------------------------------------------------
// Reading the file

function readBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ZpkgError('E_IO', `cannot read index \`${path}\`: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * lz4-napi, loaded when an LZ4 index is first read: its native binding costs
 * ~20 ms, which every CLI command would pay at start-up (this module is
 * imported by `repo import-index`).
 */
let lz4: { decompressFrameSync(data: Buffer): Buffer } | undefined;
function lz4DecompressFrame(data: Buffer): Buffer {
  lz4 ??= createRequire(import.meta.url)('lz4-napi') as { decompressFrameSync(data: Buffer): Buffer };
  return lz4.decompressFrameSync(data);
}

/**
 * Undoes the compression apt may keep a list in (`Acquire::GzipIndexes`),
 * recognised by magic bytes rather than by file name: an LZ4 frame (magic
 * 0x184D2204, apt's default), gzip or zstd. Anything else is returned as is.
 */
export function decompressIndex(data: Uint8Array, what = 'index'): Buffer {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const [m0, m1, m2, m3] = [buf[0], buf[1], buf[2], buf[3]];
  try {
    if (m0 === 0x04 && m1 === 0x22 && m2 === 0x4d && m3 === 0x18) return lz4DecompressFrame(buf);
    if (m0 === 0x1f && m1 === 0x8b) return gunzipSync(buf);
    if (m0 === 0x28 && m1 === 0xb5 && m2 === 0x2f && m3 === 0xfd) return zstdDecompress(buf);
  } catch (err) {
    throw new ZpkgError('E_REPO_INVALID', `index \`${what}\` cannot be decompressed: ${(err as Error).message}`, { cause: err });
  }
  if (m0 === 0xfd && m1 === 0x37 && m2 === 0x7a && m3 === 0x58) {
    throw new ZpkgError('E_REPO_INVALID', `index \`${what}\` is xz-compressed, which zpkg does not read`, {
      hint: 'decompress it first (`xz -d`), or use the plain, .gz, .lz4 or .zst variant',
    });
  }
  return buf;
}

/** Reads an index file as text: plain, an LZ4 frame, gzip or zstd (see decompressIndex). */
export function readIndexText(path: string): string {
  return decompressIndex(readBytes(path), path).toString('utf8');
}

/** Reads and imports an index file (see importIndex). */
export function importIndexFile(path: string): ImportedIndex {
  return withEntries(importIndexFileTable(path));
}

/** Reads and imports an index file into a catalog table; the fastest way in (see importIndexTable). */
export function importIndexFileTable(path: string): ImportedTable {
  return importBytes(decompressIndex(readBytes(path), path));
}

// ---------------------------------------------------------------------------
// Generic stanza parsing

const keyCache = new Map<string, string>();

function lowerKey(raw: string): string {
  let k = keyCache.get(raw);
  if (k === undefined) {
    k = raw.toLowerCase();
    if (keyCache.size < 4096) keyCache.set(raw, k);
  }
  return k;
}

function isBlankLine(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

/** The value between `from` and `to`, without surrounding white space. */
function sliceTrimmed(text: string, from: number, to: number): string {
  let a = from;
  let b = to;
  while (a < b) {
    const c = text.charCodeAt(a);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
    a++;
  }
  while (b > a) {
    const c = text.charCodeAt(b - 1);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
    b--;
  }
  return text.slice(a, b);
}

/**
 * Splits deb822 text into stanzas, field names lower-cased. Throws
 * E_REPO_INVALID at the first malformed stanza (a line that is not a field, a
 * continuation before any field, a field given twice); importIndex skips such
 * stanzas instead, and reads the lines the same way.
 */
export function parseStanzas(text: string): Stanza[] {
  const out: Stanza[] = [];
  const n = text.length;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let lineNo = 0;
  let fields: Stanza | undefined;
  let startLine = 0;
  // The field being read: its key and the span of its value.
  let key: string | undefined;
  let valueStart = 0;
  let valueEnd = 0;
  const flushField = () => {
    if (key !== undefined) fields!.set(key, sliceTrimmed(text, valueStart, valueEnd));
    key = undefined;
  };
  const fail = (reason: string): never => {
    throw new ZpkgError('E_REPO_INVALID', `index stanza at line ${startLine || lineNo} is malformed: ${reason}`);
  };

  while (pos < n) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = n;
    lineNo++;
    let end = nl;
    if (end > pos && text.charCodeAt(end - 1) === 13) end--;
    const c = text.charCodeAt(pos);
    if (pos === end || ((c === 32 || c === 9) && isBlankLine(text, pos, end))) {
      if (fields !== undefined) {
        flushField();
        out.push(fields);
        fields = undefined;
        startLine = 0;
      }
    } else if (c === 35 /* # */) {
      // A deb822 comment; Packages files have none, control files may.
    } else if (c === 32 || c === 9) {
      if (key === undefined) fail(`line ${lineNo}: a continuation line (starting with white space) comes before any field`);
      valueEnd = end;
    } else {
      if (fields === undefined) {
        fields = new Map();
        startLine = lineNo;
      }
      flushField();
      const colon = text.indexOf(':', pos);
      if (colon < 0 || colon >= end) fail(`line ${lineNo}: \`${text.slice(pos, Math.min(end, pos + 60))}\` is not a \`Field: value\` line`);
      if (colon === pos) fail(`line ${lineNo}: the field name before \`:\` is empty`);
      const k = lowerKey(text.slice(pos, colon));
      if (fields.has(k)) fail(`line ${lineNo}: field \`${text.slice(pos, colon)}\` appears twice`);
      key = k;
      valueStart = colon + 1;
      valueEnd = end;
    }
    pos = nl + 1;
  }
  if (fields !== undefined) {
    flushField();
    out.push(fields);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Stanza → catalog entry

/** Canonical spelling of each slot's field, as Debian writes it. */
const SLOT_FIELDS = [
  'Package',
  'Version',
  'Architecture',
  'Description',
  'Pre-Depends',
  'Depends',
  'Conflicts',
  'Breaks',
  'Provides',
  'Replaces',
  'Size',
  'Installed-Size',
] as const;

const SLOT_LOWER = SLOT_FIELDS.map((f) => f.toLowerCase());
const SLOT_BY_LOWER = new Map<string, number>(SLOT_LOWER.map((f, i) => [f, i]));

/** Read access to a stanza's fields by slot. */
interface Fields {
  get(slot: number): string | undefined;
  /** The first line of the field's value ('' when absent). */
  firstLine(slot: number): string;
  /** The field's value as a whole number (0 when absent); NaN when it is not one. */
  count(slot: number): number;
  /** The field's clauses (no field: none); throws ZpkgError. */
  relations(slot: number): Clause[];
}

/** A whole number written in decimal digits, NaN for anything else. */
function decimal(text: string): number {
  return /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
}

class MapFields implements Fields {
  constructor(private readonly stanza: Stanza) {}
  get(slot: number): string | undefined {
    return this.stanza.get(SLOT_LOWER[slot]!);
  }
  firstLine(slot: number): string {
    const value = this.get(slot) ?? '';
    const nl = value.indexOf('\n');
    return nl < 0 ? value : value.slice(0, nl).trimEnd();
  }
  count(slot: number): number {
    const value = this.get(slot);
    return value === undefined || value === '' ? 0 : decimal(value);
  }
  relations(slot: number): Clause[] {
    const value = this.get(slot);
    return value === undefined ? [] : parseRelationField(value);
  }
}

function whoOf(fields: Fields): string {
  const name = fields.get(F_PACKAGE);
  const version = fields.get(F_VERSION);
  if (name === undefined || name === '') return '(no Package field)';
  return version ? `\`${name}\` ${version}` : `\`${name}\``;
}

function entryError(fields: Fields, reason: string, cause?: unknown): ZpkgError {
  return new ZpkgError('E_REPO_INVALID', `index stanza ${whoOf(fields)}: ${reason}`, cause === undefined ? {} : { cause });
}

function relationField(fields: Fields, slot: number): Clause[] {
  try {
    return fields.relations(slot);
  } catch (err) {
    if (!isZpkgError(err)) throw err;
    throw new ZpkgError(err.code, `index stanza ${whoOf(fields)}: field ${SLOT_FIELDS[slot]}: ${err.message}`, { cause: err });
  }
}

function atomField(fields: Fields, slot: number): Atom[] {
  const clauses = relationField(fields, slot);
  const atoms: Atom[] = [];
  for (const clause of clauses) {
    if (clause.length !== 1) {
      throw new ZpkgError(
        'E_RELATION_INVALID',
        `index stanza ${whoOf(fields)}: field ${SLOT_FIELDS[slot]}: alternatives (\`|\`) are not allowed here`,
      );
    }
    atoms.push(clause[0]!);
  }
  return atoms;
}

function sizeField(fields: Fields, slot: number): number {
  const n = fields.count(slot);
  if (Number.isSafeInteger(n)) return n;
  const text = fields.get(slot);
  throw entryError(fields, `field ${SLOT_FIELDS[slot]} \`${text}\` is ${Number.isNaN(n) ? 'not a whole number' : 'too large'}`);
}

function toEntry(fields: Fields): CatalogEntry {
  const name = fields.get(F_PACKAGE);
  if (name === undefined || name === '') throw entryError(fields, 'it has no Package field');
  if (!isPackageName(name)) throw entryError(fields, `\`${name}\` is not a valid package name`);
  const version = fields.get(F_VERSION);
  if (version === undefined || version === '') throw entryError(fields, 'it has no Version field');
  try {
    parseVersion(version);
  } catch (err) {
    throw entryError(fields, (err as Error).message, err);
  }
  const arch = fields.get(F_ARCH);
  if (arch === undefined || arch === '') throw entryError(fields, 'it has no Architecture field');
  const summary = fields.firstLine(F_DESCRIPTION);

  const preDepends = relationField(fields, F_PRE_DEPENDS);
  const depends = relationField(fields, F_DEPENDS);
  const provides = atomField(fields, F_PROVIDES);
  for (const p of provides) {
    if (p.constraint === undefined || p.constraint.op === '=') continue;
    try {
      validateProvide(p, fields.get(F_PROVIDES) ?? '');
    } catch (err) {
      if (!isZpkgError(err)) throw err;
      throw new ZpkgError(err.code, `index stanza ${whoOf(fields)}: field Provides: ${err.message}`, { cause: err });
    }
  }
  const conflicts = atomField(fields, F_CONFLICTS);
  const breaks = atomField(fields, F_BREAKS);
  const replaces = atomField(fields, F_REPLACES);

  return {
    name,
    version,
    arch,
    summary,
    depends: preDepends.length === 0 ? depends : preDepends.concat(depends),
    conflicts: breaks.length === 0 ? conflicts : conflicts.concat(breaks),
    provides,
    replaces,
    size: sizeField(fields, F_SIZE),
    installedSize: sizeField(fields, F_INSTALLED_SIZE) * 1024,
  };
}

/**
 * Maps one stanza (as parseStanzas returns it; field names in any case) to a
 * catalog entry: Package, Version, Architecture, the first line of
 * Description as summary; Pre-Depends + Depends → depends; Conflicts + Breaks
 * → conflicts; Provides; Replaces. Recommends, Suggests and Enhances are not
 * relations zpkg enforces. `:any`-style qualifiers and `[arch]`/`<profile>`
 * restrictions are dropped by the relation parser. Size is in bytes,
 * Installed-Size in KiB (the entry holds bytes). No manifest digest.
 * Throws ZpkgError (E_REPO_INVALID, E_RELATION_INVALID).
 */
export function stanzaToEntry(stanza: Stanza): CatalogEntry {
  let s = stanza;
  for (const k of stanza.keys()) {
    if (k !== k.toLowerCase()) {
      s = new Map([...stanza].map(([key, v]) => [key.toLowerCase(), v]));
      break;
    }
  }
  return toEntry(new MapFields(s));
}

// ---------------------------------------------------------------------------
// Whole-index import, on bytes


/**
 * A cheap fingerprint of a field name, the same in any letter case: its
 * length and its first and last characters, folded to lower case. A name
 * whose fingerprint no entry field has is skipped without a string compare.
 */
function fingerprint(length: number, first: number, last: number): number {
  return (length << 16) | ((first | 0x20) << 8) | (last | 0x20);
}

const SLOT_BY_FINGERPRINT = new Map<number, number>(
  SLOT_FIELDS.map((f, i) => [fingerprint(f.length, f.charCodeAt(0), f.charCodeAt(f.length - 1)), i]),
);
if (SLOT_BY_FINGERPRINT.size !== SLOT_COUNT) throw new Error('debian-index: entry fields share a fingerprint');

/** Field names as bytes, to compare in place. */
const SLOT_BYTES = SLOT_FIELDS.map((f) => Buffer.from(f, 'latin1'));

/** Fingerprint → slot + 1, in a small open-addressing table (a Map lookup per field line costs more). */
const FINGERPRINT_SLOTS = (() => {
  const table = new Int32Array(2 * 64);
  for (const [fp, slot] of SLOT_BY_FINGERPRINT) {
    let i = (fp ^ (fp >>> 9)) & 63;
    while (table[2 * i + 1] !== 0) i = (i + 1) & 63;
    table[2 * i] = fp;
    table[2 * i + 1] = slot + 1;
  }
  return table;
})();

/** The slot of the field named buf[pos, colon), -1 if an entry does not use it. */
function slotOf(buf: Buffer, pos: number, colon: number): number {
  const fp = fingerprint(colon - pos, buf[pos]!, buf[colon - 1]!);
  let i = (fp ^ (fp >>> 9)) & 63;
  let slot = -1;
  for (let e = FINGERPRINT_SLOTS[2 * i + 1]!; e !== 0; e = FINGERPRINT_SLOTS[2 * i + 1]!) {
    if (FINGERPRINT_SLOTS[2 * i] === fp) {
      slot = e - 1;
      break;
    }
    i = (i + 1) & 63;
  }
  if (slot < 0) return -1;
  const want = SLOT_BYTES[slot]!;
  let same = true;
  for (let k = 0; k < want.length; k++) {
    if (buf[pos + k] !== want[k]) {
      same = false;
      break;
    }
  }
  if (same) return slot; // as Debian writes it
  return SLOT_BY_LOWER.get(buf.toString('latin1', pos, colon).toLowerCase()) ?? -1;
}

/**
 * Memo of clause bytes → frozen clause. A real index repeats most clauses
 * (`libc6 (>= 2.34)` thousands of times; bookworm main has 346k clauses, 102k
 * of them distinct), so a hit must cost no string and few cache misses: an
 * open-addressing table of FNV-1a hashes in typed arrays, each memoized key
 * kept as its offsets in the buffer and compared there. Entries share the
 * frozen clauses.
 */
class ClauseCache {
  /** Open addressing, two ints a slot: the hash and the entry number + 1 (0: empty). */
  private table = new Int32Array(2 << 16);
  /** Per entry, where its text lies: start and end offsets in the buffer. */
  private spans = new Int32Array(2 << 15);
  private readonly clauses: Clause[] = [];

  constructor(private readonly buf: Buffer) {}

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
    const buf = this.buf;
    let h = 0x811c9dc5;
    for (let i = a; i < b; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    const table = this.table;
    const mask = (table.length >> 1) - 1;
    const spans = this.spans;
    const length = b - a;
    let i = h & mask;
    for (let e = table[2 * i + 1]!; e !== 0; e = table[2 * i + 1]!) {
      if (table[2 * i] === h) {
        const start = spans[2 * (e - 1)]!;
        if (spans[2 * (e - 1) + 1]! - start === length && sameBytes(this.buf, start, a, length)) return this.clauses[e - 1]!;
      }
      i = (i + 1) & mask;
    }
    const clause = parseClause(buf.toString('utf8', a, b));
    for (const atom of clause) {
      if (atom.constraint) Object.freeze(atom.constraint);
      Object.freeze(atom);
    }
    Object.freeze(clause);
    const e = this.clauses.length;
    this.clauses.push(clause);
    table[2 * i] = h;
    table[2 * i + 1] = e + 1;
    if (2 * e + 2 > this.spans.length) {
      const grown = new Int32Array(this.spans.length * 2);
      grown.set(this.spans);
      this.spans = grown;
    }
    this.spans[2 * e] = a;
    this.spans[2 * e + 1] = b;
    if ((e + 1) * 2 > mask + 1) this.grow();
    return clause;
  }

  private grow(): void {
    this.table = rehashSlots(this.table);
  }
}

/**
 * buf.toString('utf8', a, b) without the argument handling of toString, which
 * is most of its cost on the ~400k short values of an index.
 */
const utf8: (buf: Buffer, a: number, b: number) => string = (() => {
  const direct = (Buffer.prototype as unknown as { utf8Slice?: (this: Buffer, a: number, b: number) => string }).utf8Slice;
  return typeof direct === 'function' ? (buf, a, b) => direct.call(buf, a, b) : (buf, a, b) => buf.toString('utf8', a, b);
})();

/** A stanza's entry fields as offsets into the buffer; values are decoded on demand. */
class ByteFields implements Fields {
  readonly starts = new Int32Array(SLOT_COUNT).fill(-1);
  readonly ends = new Int32Array(SLOT_COUNT);
  private readonly cache: ClauseCache;

  constructor(private readonly buf: Buffer) {
    this.cache = new ClauseCache(buf);
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
    return utf8(buf, a, b);
  }

  relations(slot: number): Clause[] {
    const a = this.starts[slot]!;
    return a < 0 ? [] : this.cache.parseField(a, this.ends[slot]!);
  }

  reset(): void {
    this.starts.fill(-1);
  }
}

/**
 * The index in `buf` as a table: each stanza through FastRows when it can,
 * else through the general mapping (toEntry), which also words the reason a
 * stanza is skipped.
 */
function importBytes(buf: Buffer): ImportedTable {
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
