/**
 * The one reader of an atom's syntax (core/relation.ts `parseAtom` on text,
 * the Debian importer's fast path on the bytes of an index). It reads
 *
 *   \s* NAME (:ARCH)? \s* ( "(" \s* OP \s* VERSION \s* ")" )? \s* ( "[" … "]" \s* )? ( "<" … ">" \s* )*
 *
 * where NAME is `so:` + [A-Za-z0-9_.+-]+ with an optional `(VERSION-TAG)`, or
 * `file:/` + anything but white space and `|,()`, or [A-Za-z0-9][A-Za-z0-9+._-]*;
 * ARCH is [a-z0-9-]+; OP one of `<< <= >= >> = < >` (`<` and `>` are the
 * obsolete spellings of `<=` and `>=`); VERSION anything but white space and
 * `)`. White space is what JavaScript's `\s` matches. Where a first choice
 * fails later on (`file:/a[x)]`, `(<<)`), the next is tried, in the order of
 * the alternatives above, as a backtracking regular expression would: the
 * answer is the first reading that takes the whole span.
 *
 * It works on code units: UTF-16 for text, bytes for an index (the caller
 * passes only ASCII bytes, where the two agree). It only finds where the
 * parts are; the caller checks the name and the version and makes the atom.
 */
import { OP_EQ, OP_GE, OP_GT, OP_LE, OP_LT, OP_NONE } from './operator.js';

export type CodeUnits = Uint8Array | Uint16Array;

/** Where the parts of one atom are, in the span that was scanned. */
export interface AtomSpans {
  /** The name starts here (after leading white space) … */
  start: number;
  /** … and ends here without its `:arch` qualifier … */
  headEnd: number;
  /** … and here with it: a foreign architecture stays part of the name (`gcc:i386`), `:any` and `:native` do not. */
  nameEnd: number;
  /** Whether the name is a capability (`so:…`, `file:/…`). */
  capability: boolean;
  /** Operator code (operator.ts); OP_NONE without a constraint. */
  op: number;
  /** The version of the constraint (-1, -1 without one). */
  versionStart: number;
  versionEnd: number;
}

export function atomSpans(): AtomSpans {
  return { start: 0, headEnd: 0, nameEnd: 0, capability: false, op: OP_NONE, versionStart: -1, versionEnd: -1 };
}

const NO_UNITS = new Uint8Array(0);

// The span being scanned, and what the reading that succeeds found (set on the way back).
let src: CodeUnits = NO_UNITS;
let end = 0;
let headEnd = 0;
let archEnd = -1;
let op = OP_NONE;
let versionStart = -1;
let versionEnd = -1;

/** JavaScript's `\s`. */
export function isSpaceUnit(c: number): boolean {
  if (c === 32 || (c >= 9 && c <= 13)) return true;
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** [A-Za-z0-9+._-]: a name after its first character. */
function isNameUnit(c: number): boolean {
  return isAlnum(c) || c === 43 || c === 46 || c === 95 || c === 45;
}

/** [A-Za-z0-9_.+-]: a shared object's name. */
function isSoUnit(c: number): boolean {
  return isAlnum(c) || c === 95 || c === 46 || c === 43 || c === 45;
}

/** [A-Za-z0-9_.+@-]: a symbol version tag. */
function isTagUnit(c: number): boolean {
  return isSoUnit(c) || c === 64;
}

/** [^\s|,()]: a path. */
function isPathUnit(c: number): boolean {
  return c !== 124 && c !== 44 && c !== 40 && c !== 41 && !isSpaceUnit(c);
}

/** [a-z0-9-]: an architecture. */
function isArchUnit(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45;
}

function skipSpace(i: number): number {
  while (i < end && isSpaceUnit(src[i]!)) i++;
  return i;
}

function startsWith(i: number, prefix: readonly number[]): boolean {
  if (end - i < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (src[i + k] !== prefix[k]) return false;
  return true;
}

const SO = [115, 111, 58]; // "so:"
const FILE = [102, 105, 108, 101, 58, 47]; // "file:/"
const ANY = [97, 110, 121];
const NATIVE = [110, 97, 116, 105, 118, 101];

/** `( "<" … ">" \s* )*` and the end of the span. */
function profiles(i: number): boolean {
  while (i < end && src[i] === 60) {
    let close = i + 1;
    while (close < end && src[close] !== 62) close++;
    if (close >= end) break;
    i = skipSpace(close + 1);
  }
  return i === end;
}

/** `\s* ( "[" … "]" \s* )?`, then profiles. */
function restrictions(i: number): boolean {
  i = skipSpace(i);
  if (i < end && src[i] === 91) {
    let close = i + 1;
    while (close < end && src[close] !== 93) close++;
    if (close < end && profiles(skipSpace(close + 1))) return true;
  }
  return profiles(i);
}

/** `\s* VERSION \s* ")"` from i, after operator `code`, then the restrictions. */
function constraint(i: number, code: number): boolean {
  const v = skipSpace(i);
  let e = v;
  while (e < end) {
    const c = src[e]!;
    if (c === 41 || isSpaceUnit(c)) break;
    e++;
  }
  if (e === v) return false;
  const close = skipSpace(e);
  if (close >= end || src[close] !== 41 || !restrictions(close + 1)) return false;
  op = code;
  versionStart = v;
  versionEnd = e;
  return true;
}

/** `\s*`, an optional constraint (operators tried in the order `<< <= >= >> = < >`), then the restrictions. */
function afterName(i: number): boolean {
  i = skipSpace(i);
  if (i < end && src[i] === 40) {
    const o = skipSpace(i + 1);
    const c0 = o < end ? src[o]! : -1;
    const c1 = o + 1 < end ? src[o + 1]! : -1;
    if (c0 === 60) {
      if (c1 === 60 && constraint(o + 2, OP_LT)) return true;
      if (c1 === 61 && constraint(o + 2, OP_LE)) return true;
      if (constraint(o + 1, OP_LE)) return true;
    } else if (c0 === 62) {
      if (c1 === 61 && constraint(o + 2, OP_GE)) return true;
      if (c1 === 62 && constraint(o + 2, OP_GT)) return true;
      if (constraint(o + 1, OP_GE)) return true;
    } else if (c0 === 61 && constraint(o + 1, OP_EQ)) return true;
  }
  op = OP_NONE;
  versionStart = -1;
  versionEnd = -1;
  return restrictions(i);
}

/** An optional `:ARCH` (longest first), then the rest. */
function afterHead(i: number): boolean {
  if (i < end && src[i] === 58) {
    let j = i + 1;
    while (j < end && isArchUnit(src[j]!)) j++;
    for (let k = j; k > i + 1; k--) {
      if (afterName(k)) {
        archEnd = k;
        return true;
      }
    }
  }
  archEnd = -1;
  return afterName(i);
}

/** The name alternatives in order, each run longest first; sets headEnd. */
function readHead(p: number): 'capability' | 'name' | undefined {
  if (startsWith(p, SO)) {
    let j = p + 3;
    while (j < end && isSoUnit(src[j]!)) j++;
    for (let k = j; k > p + 3; k--) {
      if (k < end && src[k] === 40) {
        let m = k + 1;
        while (m < end && isTagUnit(src[m]!)) m++;
        if (m > k + 1 && m < end && src[m] === 41 && afterHead(m + 1)) {
          headEnd = m + 1;
          return 'capability';
        }
      }
      if (afterHead(k)) {
        headEnd = k;
        return 'capability';
      }
    }
  }
  if (startsWith(p, FILE)) {
    let j = p + 6;
    while (j < end && isPathUnit(src[j]!)) j++;
    for (let k = j; k >= p + 6; k--) {
      if (afterHead(k)) {
        headEnd = k;
        return 'capability';
      }
    }
  }
  if (p < end && isAlnum(src[p]!)) {
    let j = p + 1;
    while (j < end && isNameUnit(src[j]!)) j++;
    for (let k = j; k > p; k--) {
      if (afterHead(k)) {
        headEnd = k;
        return 'name';
      }
    }
  }
  return undefined;
}

function archIs(from: number, to: number, word: readonly number[]): boolean {
  return to - from === word.length && startsWith(from, word);
}

/**
 * Reads the atom in units[from, to) into `out`; false when the span is not an
 * atom at all (then `out` is left as it was).
 */
export function scanAtom(units: CodeUnits, from: number, to: number, out: AtomSpans): boolean {
  src = units;
  end = to;
  const p = skipSpace(from);
  const kind = readHead(p);
  if (kind !== undefined) {
    out.start = p;
    out.headEnd = headEnd;
    const dropped = archEnd < 0 || archIs(headEnd + 1, archEnd, ANY) || archIs(headEnd + 1, archEnd, NATIVE);
    out.nameEnd = dropped ? headEnd : archEnd;
    out.capability = kind === 'capability';
    out.op = op;
    out.versionStart = versionStart;
    out.versionEnd = versionEnd;
  }
  src = NO_UNITS;
  return kind !== undefined;
}
