/**
 * deb822 text as stanzas: RFC822-style paragraphs separated by blank lines; a
 * field is `Name: value`, a line starting with a space or tab continues the
 * previous field, field names are case-insensitive. The general reader, for
 * control files and tests; a whole `Packages` index is read on its bytes
 * (import-bytes.ts), the same way line by line.
 */
import { ZpkgError } from '../../core/errors.js';

/** One stanza: lower-cased field name → value (trimmed; continuation lines kept with their `\n `). */
export type Stanza = Map<string, string>;

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
