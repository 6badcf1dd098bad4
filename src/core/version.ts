/**
 * Debian version numbers: `[epoch:]upstream[-revision]`, ordered exactly as
 * dpkg orders them (deb-version(7)); `~` sorts before everything, even the end.
 */
import { ZpkgError } from './errors.js';

export interface Version {
  epoch: number;
  upstream: string;
  revision: string;
}

const UPSTREAM_CHARS = /^[A-Za-z0-9.+~:-]*$/;
const REVISION_CHARS = /^[A-Za-z0-9.+~]*$/;

function invalid(text: string, reason: string): ZpkgError {
  return new ZpkgError('E_VERSION_INVALID', `version \`${text}\` is invalid: ${reason}`);
}

/** Parses with dpkg's rules (lib/dpkg/parsehelp.c); throws E_VERSION_INVALID. */
export function parseVersion(text: string): Version {
  if (text.length === 0) throw invalid(text, 'it is empty');
  if (/\s/.test(text)) throw invalid(text, 'it contains white space');
  let rest = text;
  let epoch = 0;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    const e = rest.slice(0, colon);
    if (!/^[0-9]+$/.test(e)) throw invalid(text, 'the epoch is not a number');
    epoch = Number(e);
    if (epoch > 2147483647) throw invalid(text, 'the epoch is too large');
    rest = rest.slice(colon + 1);
    if (rest.length === 0) throw invalid(text, 'nothing follows the epoch');
  }
  let upstream = rest;
  let revision = '';
  const hyphen = rest.lastIndexOf('-');
  if (hyphen >= 0) {
    upstream = rest.slice(0, hyphen);
    revision = rest.slice(hyphen + 1);
    if (revision.length === 0) throw invalid(text, 'the revision after `-` is empty');
  }
  if (upstream.length === 0) throw invalid(text, 'the upstream version is empty');
  if (!/^[0-9]/.test(upstream)) throw invalid(text, 'the upstream version does not start with a digit');
  if (!UPSTREAM_CHARS.test(upstream)) throw invalid(text, 'the upstream version has a character outside [A-Za-z0-9.+~:-]');
  if (!REVISION_CHARS.test(revision)) throw invalid(text, 'the revision has a character outside [A-Za-z0-9.+~]');
  return { epoch, upstream, revision };
}

export function isValidVersion(text: string): boolean {
  try {
    parseVersion(text);
    return true;
  } catch {
    return false;
  }
}

/** dpkg's order(): `~` first, then the end of the string and digits, letters, other characters. */
function order(code: number): number {
  if (code >= 48 && code <= 57) return 0; // digit
  if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122)) return code; // letter
  if (code === 126) return -1; // ~
  return code + 256;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** dpkg's verrevcmp over a[i..ie) and b[j..je): alternating non-digit and digit runs. */
function fragment(a: string, i: number, ie: number, b: string, j: number, je: number): number {
  while (i < ie || j < je) {
    while ((i < ie && !isDigit(a.charCodeAt(i))) || (j < je && !isDigit(b.charCodeAt(j)))) {
      const ac = i < ie ? order(a.charCodeAt(i)) : 0;
      const bc = j < je ? order(b.charCodeAt(j)) : 0;
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (i < ie && a.charCodeAt(i) === 48) i++;
    while (j < je && b.charCodeAt(j) === 48) j++;
    let firstDiff = 0;
    while (i < ie && j < je && isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < ie && isDigit(a.charCodeAt(i))) return 1;
    if (j < je && isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

function epochOf(v: string, colon: number): number {
  let e = 0;
  for (let k = 0; k < colon; k++) e = e * 10 + (v.charCodeAt(k) - 48);
  return e;
}

/**
 * Negative, zero or positive as `a` sorts before, equal to or after `b`, in
 * dpkg's order. Computed in place on the strings, without parsing or
 * allocating: resolving a whole archive compares hundreds of thousands of
 * pairs. Both must be valid versions (catalogs and manifests are validated;
 * check user input with parseVersion first).
 */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  const ca = a.indexOf(':');
  const cb = b.indexOf(':');
  const ea = ca < 0 ? 0 : epochOf(a, ca);
  const eb = cb < 0 ? 0 : epochOf(b, cb);
  if (ea !== eb) return ea < eb ? -1 : 1;
  const ha = a.lastIndexOf('-');
  const hb = b.lastIndexOf('-');
  const ua = ha > ca ? ha : a.length;
  const ub = hb > cb ? hb : b.length;
  const u = fragment(a, ca + 1, ua, b, cb + 1, ub);
  if (u !== 0) return u;
  return fragment(a, ua < a.length ? ua + 1 : a.length, a.length, b, ub < b.length ? ub + 1 : b.length, b.length);
}

export function formatVersion(v: Version): string {
  return `${v.epoch > 0 ? `${v.epoch}:` : ''}${v.upstream}${v.revision ? `-${v.revision}` : ''}`;
}

export function sign(n: number): '<' | '=' | '>' {
  return n < 0 ? '<' : n > 0 ? '>' : '=';
}
