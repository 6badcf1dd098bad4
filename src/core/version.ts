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

/** dpkg's verrevcmp: alternating non-digit and digit runs. */
function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = i < a.length ? order(a.charCodeAt(i)) : 0;
      const bc = j < b.length ? order(b.charCodeAt(j)) : 0;
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (i < a.length && a.charCodeAt(i) === 48) i++;
    while (j < b.length && b.charCodeAt(j) === 48) j++;
    while (i < a.length && isDigit(a.charCodeAt(i)) && j < b.length && isDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && isDigit(a.charCodeAt(i))) return 1;
    if (j < b.length && isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/** Negative, zero or positive as `a` sorts before, equal to or after `b`. */
export function compareParsed(a: Version, b: Version): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  const u = compareFragment(a.upstream, b.upstream);
  if (u !== 0) return u;
  return compareFragment(a.revision, b.revision);
}

const cache = new Map<string, Version>();

/** Compares two version strings; parsed forms are memoized (catalogs repeat versions). */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  return compareParsed(cachedParse(a), cachedParse(b));
}

function cachedParse(text: string): Version {
  let v = cache.get(text);
  if (v === undefined) {
    v = parseVersion(text);
    if (cache.size > 200_000) cache.clear();
    cache.set(text, v);
  }
  return v;
}

export function formatVersion(v: Version): string {
  return `${v.epoch > 0 ? `${v.epoch}:` : ''}${v.upstream}${v.revision ? `-${v.revision}` : ''}`;
}

export function sign(n: number): '<' | '=' | '>' {
  return n < 0 ? '<' : n > 0 ? '>' : '=';
}
