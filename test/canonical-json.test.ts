/**
 * Canonical JSON (src/core/canonical-json.ts) is written by `JSON.stringify`
 * of a copy with sorted keys; `spelled`, the spelling by hand, is the
 * reference. Manifest digests and signed metadata depend on every byte.
 */
import { describe, expect, it } from 'vitest';
import { canonicalJson, spelled } from '../src/core/canonical-json.js';
import { prng } from './helpers/prng.js';

const KEYS = ['type', 'path', 'a', 'B', 'é', 'z', '\u{1F600}', '\uFF01', 'a b', 'quote"', 'nl\n', '01', '1e3', '-1', '4294967295', '99999999999', '7', '12'];
const STRINGS = ['', 'x', 'é', '\u{1F600}', '\uD800', 'tab\t', 'back\\slash', '"', '\u2028', 'ascii'];

function value(r: () => number, depth: number): unknown {
  const pick = Math.floor(r() * (depth > 3 ? 4 : 7));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return Math.floor((r() - 0.5) * 2 ** 40);
    case 3:
      return STRINGS[Math.floor(r() * STRINGS.length)];
    case 4:
    case 5: {
      const o: Record<string, unknown> = {};
      const n = Math.floor(r() * 6);
      for (let i = 0; i < n; i++) o[KEYS[Math.floor(r() * KEYS.length)]!] = r() < 0.1 ? undefined : value(r, depth + 1);
      return o;
    }
    default:
      return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
  }
}

describe('canonical JSON', () => {
  it('spells 2,000 generated values exactly as the spelling by hand does', () => {
    const r = prng(20261205);
    for (let i = 0; i < 2000; i++) {
      const v = value(r, 0);
      expect(canonicalJson(v)).toBe(spelled(v));
    }
  });

  it('keeps code-unit order where an object cannot: array-index keys and __proto__', () => {
    // V8 would list "10" before "9" and both before "a" in any object built from them.
    expect(canonicalJson({ a: 1, 9: 2, 10: 3 })).toBe('{"10":3,"9":2,"a":1}');
    expect(canonicalJson({ x: [{ 0: 'a', b: 'c' }] })).toBe('{"x":[{"0":"a","b":"c"}]}');
    const parsed = JSON.parse('{"z":1,"__proto__":{"a":2}}') as unknown;
    expect(canonicalJson(parsed)).toBe('{"__proto__":{"a":2},"z":1}');
    // Past the array indices a numeric key is an ordinary one.
    expect(canonicalJson({ b: 1, '4294967295': 2, a: 3 })).toBe('{"4294967295":2,"a":3,"b":1}');
  });

  it('refuses what has no canonical spelling, as the spelling by hand does', () => {
    for (const bad of [{ a: 1.5 }, [Number.NaN], { a: 2 ** 53 }, [undefined], { f: () => 1 }, { n: 1n }, Symbol('s')]) {
      expect(() => canonicalJson(bad)).toThrow(TypeError);
      expect(() => spelled(bad)).toThrow(TypeError);
    }
    expect(() => canonicalJson({ a: 1.5 })).toThrow(/integers only, not 1.5/);
    expect(() => canonicalJson([undefined])).toThrow(/cannot hold a undefined/);
    // An absent (undefined) property is left out, as by JSON.
    expect(canonicalJson({ b: undefined, a: 1 })).toBe('{"a":1}');
  });
});
