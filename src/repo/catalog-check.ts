/**
 * The checks a format-2 catalog passes before anything reads it (see
 * catalog-codec.ts): every offset and id within its array, names unique and
 * sorted, names, versions and manifest digests valid. Each check is its own
 * small function with one loop: V8 then optimizes each loop on its own, instead
 * of compiling one long function again at every loop it reaches.
 */
import { isDigestBytes, isVersionBytes } from '../core/bytes-check.js';
import { type CatalogColumns, OP_NONE } from '../core/catalog-table.js';
import { isDigest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { isPackageName, isRelationName } from '../core/relation.js';
import { isValidVersion } from '../core/version.js';

export function invalidCatalog(location: string, reason: string): ZpkgError {
  return new ZpkgError('E_REPO_INVALID', `${location}: the catalog is invalid: ${reason}`);
}

/** Every id in `ids` is in [min, max). */
function inRange(ids: Int32Array, min: number, max: number): boolean {
  for (let i = 0; i < ids.length; i++) {
    const x = ids[i]!;
    if (x < min || x >= max) return false;
  }
  return true;
}

/** offsets[0] is 0, they never decrease (strictly increase when `strict`), and the last is `last`. */
function isOffsets(offsets: Int32Array, last: number, strict: boolean): boolean {
  if (offsets.length === 0 || offsets[0] !== 0 || offsets[offsets.length - 1] !== last) return false;
  for (let i = 1; i < offsets.length; i++) {
    const d = offsets[i]! - offsets[i - 1]!;
    if (d < 0 || (strict && d === 0)) return false;
  }
  return true;
}

/** String ends: non-decreasing from 0, the last one `total`. */
function isStringEnds(ends: Int32Array, total: number): boolean {
  let prev = 0;
  for (let i = 0; i < ends.length; i++) {
    const e = ends[i]!;
    if (e < prev) return false;
    prev = e;
  }
  return prev === total;
}

function isSizes(a: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (!(Number.isSafeInteger(a[i]) && a[i]! >= 0)) return false;
  return true;
}

/** The first row with a dependency outside the clauses or another relation outside the atoms, or -1. */
function badRelations(rel: Int32Array, relItems: Int32Array, rows: number, clauses: number, atoms: number): number {
  for (let row = 0; row < rows; row++) {
    const to = rel[4 * row + 1]!;
    for (let k = rel[4 * row]!; k < to; k++) {
      const c = relItems[k]!;
      if (c < 0 || c >= clauses) return row;
    }
    const end = rel[4 * row + 4]!;
    for (let k = to; k < end; k++) {
      const a = relItems[k]!;
      if (a < 0 || a >= atoms) return row;
    }
  }
  return -1;
}

/** The first atom whose operator is unknown or whose version does not go with it, or -1. */
function badAtom(atomOp: Uint8Array, atomVersion: Int32Array, strings: number): number {
  for (let a = 0; a < atomOp.length; a++) {
    const op = atomOp[a]!;
    const v = atomVersion[a]!;
    if (op > 5 || (op === OP_NONE ? v !== -1 : v < 0 || v >= strings)) return a;
  }
  return -1;
}

const NAME_OTHER = 0;
const NAME_PACKAGE = 1;
const NAME_QUALIFIED = 2;
/** Byte classes of names: 1 `[a-z0-9]`, 2 `+ . -`, 4 `:`. */
const NAME_CLASS = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const lowerOrDigit = (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
  NAME_CLASS[c] = lowerOrDigit ? 1 : c === 43 || c === 46 || c === 45 ? 2 : c === 58 ? 4 : 0;
}

/**
 * One pass over the first `names` strings: undefined unless each sorts
 * strictly after the one before; else what each is — a package name
 * (`[a-z0-9][a-z0-9+.-]*`, NAME_PACKAGE), one qualified by an architecture
 * (`name:arch`, NAME_QUALIFIED), or anything else (NAME_OTHER: a capability,
 * or invalid — the string check decides).
 */
function nameKinds(bytes: Uint8Array, ends: Int32Array, names: number): Uint8Array | undefined {
  const kinds = new Uint8Array(names);
  let prevFrom = 0;
  let prevTo = 0;
  for (let id = 0; id < names; id++) {
    const from = id === 0 ? 0 : ends[id - 1]!;
    const to = ends[id]!;
    if (id > 0) {
      const n = Math.min(to - from, prevTo - prevFrom);
      let k = 0;
      while (k < n && bytes[from + k] === bytes[prevFrom + k]) k++;
      if (k < n ? bytes[from + k]! < bytes[prevFrom + k]! : to - from <= prevTo - prevFrom) return undefined;
    }
    prevFrom = from;
    prevTo = to;
    let kind = NAME_OTHER;
    if (to > from && NAME_CLASS[bytes[from]!] === 1) {
      let i = from + 1;
      while (i < to && (NAME_CLASS[bytes[i]!]! & 3) !== 0) i++;
      if (i === to) kind = NAME_PACKAGE;
      else if (bytes[i] === 58 && i + 1 < to) {
        let j = i + 1;
        while (j < to && (NAME_CLASS[bytes[j]!] === 1 || bytes[j] === 45)) j++;
        if (j === to) kind = NAME_QUALIFIED;
      }
    }
    kinds[id] = kind;
  }
  return kinds;
}

/** The distinct ids of `ids` whose kind is not `want` (few or none). */
function idsNotOfKind(kinds: Uint8Array, ids: Int32Array, want: number): number[] {
  const out: number[] = [];
  let prev = -1;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id === prev) continue; // rows of one name are together
    prev = id;
    if (kinds[id] !== want) out.push(id);
  }
  return out;
}

/** Ids of names that are neither package names nor architecture-qualified ones. */
function otherNames(kinds: Uint8Array): number[] {
  const out: number[] = [];
  for (let id = 0; id < kinds.length; id++) if (kinds[id] === NAME_OTHER) out.push(id);
  return out;
}

/** Marks the string ids that are versions of rows or of atoms. */
function markVersions(marks: Uint8Array, ids: Int32Array): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id >= 0) marks[id] = 1;
  }
}

/** Marked ids whose bytes the fast check does not accept (the string check decides). */
function doubtfulVersions(marks: Uint8Array, bytes: Uint8Array, ends: Int32Array): number[] {
  const out: number[] = [];
  for (let id = 0; id < marks.length; id++) {
    if (marks[id] === 1 && !isVersionBytes(bytes, id === 0 ? 0 : ends[id - 1]!, ends[id]!)) out.push(id);
  }
  return out;
}

function doubtfulDigests(manifest: Int32Array, bytes: Uint8Array, ends: Int32Array): number[] {
  const out: number[] = [];
  for (let row = 0; row < manifest.length; row++) {
    const m = manifest[row]!;
    if (m >= 0 && !isDigestBytes(bytes, m === 0 ? 0 : ends[m - 1]!, ends[m]!)) out.push(m);
  }
  return out;
}

/** Throws E_REPO_INVALID, naming the first problem, unless the columns make a sound catalog. */
export function checkColumns(c: CatalogColumns & { names: number }, clauseAtomCount: number, location: string): void {
  const fail = (reason: string): never => {
    throw invalidCatalog(location, reason);
  };
  const { strings, names } = c;
  const nStrings = strings.count;
  const rows = c.name.length;
  const atoms = c.atomName.length;
  const clauses = c.clauseStart.length - 1;
  // Structure: every offset and id within its array.
  if (!(nStrings === 0 ? strings.bytes.length === 0 : isStringEnds(strings.ends, strings.bytes.length))) fail('its string table is inconsistent');
  if (names > nStrings) fail('it has more names than strings');
  if (!inRange(c.name, 0, names)) fail('a package name is not in its names');
  if (!inRange(c.version, 0, nStrings)) fail('a package version points outside the string table');
  if (!inRange(c.arch, 0, nStrings)) fail('a package arch points outside the string table');
  if (!inRange(c.summary, 0, nStrings)) fail('a package summary points outside the string table');
  if (!inRange(c.manifest, -1, nStrings)) fail('a manifest points outside the string table');
  if (!isSizes(c.size) || !isSizes(c.installedSize)) fail('a size is not a whole number of bytes');
  if (!isOffsets(c.rel, c.relItems.length, false)) fail('its relation offsets are inconsistent');
  const row = badRelations(c.rel, c.relItems, rows, clauses, atoms);
  if (row >= 0) fail(`a relation of package ${row} points outside the clauses or atoms`);
  if (!inRange(c.atomName, 0, names)) fail('a relation name is not in its names');
  const atom = badAtom(c.atomOp, c.atomVersion, nStrings);
  if (atom >= 0) fail(`relation ${atom} has an invalid operator or version`);
  if (!isOffsets(c.clauseStart, clauseAtomCount, true)) fail('its clause offsets are inconsistent');
  if (!inRange(c.clauseAtoms, 0, atoms)) fail('a clause points outside the atoms');

  // Content: names, versions and digests are what the rest of zpkg assumes they are.
  const bad = (what: string, id: number): never => fail(`${what} \`${strings.get(id).slice(0, 80)}\` is invalid`);
  const kinds = nameKinds(strings.bytes, strings.ends, names);
  if (kinds === undefined) return fail('its names are not unique and in order');
  for (const id of otherNames(kinds)) if (!isRelationName(strings.get(id))) bad('relation name', id);
  for (const id of idsNotOfKind(kinds, c.name, NAME_PACKAGE)) if (!isPackageName(strings.get(id))) bad('package name', id);
  const marks = new Uint8Array(nStrings);
  markVersions(marks, c.version);
  markVersions(marks, c.atomVersion);
  for (const id of doubtfulVersions(marks, strings.bytes, strings.ends)) if (!isValidVersion(strings.get(id))) bad('version', id);
  for (const id of doubtfulDigests(c.manifest, strings.bytes, strings.ends)) if (!isDigest(strings.get(id))) bad('manifest digest', id);
}

