/**
 * Canonical JSON: object keys sorted by code unit (as RFC 8785), no white space,
 * integers only. The same value always yields the same bytes, so the sha256 of
 * those bytes is the value's identity.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function canonicalJson(value: unknown): string {
  try {
    return JSON.stringify(sortedCopy(value));
  } catch (err) {
    if (err instanceof NotPlain) return spelled(value);
    throw err;
  }
}

/**
 * Keys a copy cannot hold in sorted order: V8 lists an object's array-index
 * keys (`"0"` … `"4294967294"`) first and in numeric order, whatever order
 * they were added in, and `__proto__` set on a plain object is its prototype,
 * not a key. A value with any of them is spelled out by hand (`spelled`).
 */
const INDEX = /^(?:0|[1-9]\d{0,9})$/;

class NotPlain extends Error {}

/**
 * VALUE with every object's keys added in sorted order, checked as `spelled`
 * checks it: `JSON.stringify` of the copy is then the canonical spelling. The
 * native stringifier writes a 300,000-path manifest in about half the time
 * the spelling by hand took, and without its ~1 GB of intermediate strings.
 */
function sortedCopy(value: unknown): unknown {
  if (typeof value !== 'object') return checkedScalar(value);
  if (value === null) return null;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = sortedCopy(value[i]);
    return out;
  }
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort()) {
    const v = obj[k];
    if (v === undefined) continue;
    if (k === '__proto__' || INDEX.test(k)) throw new NotPlain();
    out[k] = sortedCopy(v);
  }
  return out;
}

/** A number, string or boolean as it is; anything else refused as `spelled` refuses it. */
function checkedScalar(value: unknown): unknown {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new TypeError(`canonical JSON holds integers only, not ${value}`);
  if (typeof value !== 'number' && typeof value !== 'string' && typeof value !== 'boolean') throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  return value;
}

/** The canonical spelling built by hand: the reference, and the way for values a sorted copy cannot hold. */
export function spelled(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(value)) throw new TypeError(`canonical JSON holds integers only, not ${value}`);
      return String(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(spelled).join(',')}]`;
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${spelled(obj[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
}
