/** core/span-map.ts: the one hash table from spans of an array to values. */
import { describe, expect, it } from 'vitest';
import { ABSENT, SpanMap, bytesOf, hashSpan } from '../src/core/span-map.js';
import { prng } from './helpers/prng.js';

describe('SpanMap', () => {
  it('finds a key by an equal span of any array, and nothing else', () => {
    const keys = Buffer.from('libc6 libc libc6-dev');
    const map = new SpanMap(keys, 4);
    for (const [a, b, v] of [[0, 5, 10], [6, 10, 11], [11, 20, 12]] as const) {
      expect(map.get(keys, a, b)).toBe(ABSENT);
      map.set(a, b, v);
    }
    const other = Buffer.from('xx libc6-dev libc libc6 libc6-');
    expect(map.get(other, 3, 12)).toBe(12);
    expect(map.get(other, 13, 17)).toBe(11);
    expect(map.get(other, 18, 23)).toBe(10);
    expect(map.get(other, 24, 30)).toBe(ABSENT); // `libc6-`: a prefix of a key is not the key
    expect(map.get(other, 18, 22)).toBe(11); // `libc`
    expect(map.get(other, 0, 0)).toBe(ABSENT);
    expect(map.size).toBe(3);
  });

  it('agrees with a Map over many random keys while it grows, its key array reallocated under it', () => {
    const rnd = prng(7);
    let keys = Buffer.alloc(16);
    let used = 0;
    const map = new SpanMap(keys, 8);
    const oracle = new Map<string, number>();
    const query = Buffer.alloc(16);
    for (let k = 0; k < 50_000; k++) {
      const len = Math.floor(rnd() * 12);
      for (let i = 0; i < len; i++) query[i] = 97 + Math.floor(rnd() * 4);
      const text = query.toString('latin1', 0, len);
      const got = map.get(query, 0, len);
      expect(got).toBe(oracle.get(text) ?? ABSENT);
      if (got !== ABSENT) continue;
      if (used + len > keys.length) {
        const grown = Buffer.alloc(2 * keys.length + len);
        keys.copy(grown, 0, 0, used);
        keys = grown;
        map.keys = keys; // offsets stay valid in the new array
      }
      query.copy(keys, used, 0, len);
      map.set(used, used + len, oracle.size);
      oracle.set(text, oracle.size);
      used += len;
    }
    expect(map.size).toBe(oracle.size);
    for (const [text, v] of oracle) expect(map.get(Buffer.from(text, 'latin1'), 0, text.length)).toBe(v);
  });

  it('keys ints by their bytes (atoms as triples, clauses as lists of atom ids)', () => {
    const store = new Int32Array([7, 3, 9, 1, 2, 7, 3, 9, 4]);
    const map = new SpanMap(bytesOf(store), 4);
    expect(map.get(bytesOf(store), 0, 12)).toBe(ABSENT);
    map.set(0, 12, 100);
    expect(map.get(bytesOf(store), 20, 32)).toBe(100); // the same triple elsewhere
    expect(map.get(bytesOf(new Int32Array([7, 3])), 0, 8)).toBe(ABSENT);
    expect(map.get(bytesOf(new Int32Array([0, 7, 3, 9])), 4, 16)).toBe(100);
  });

  it('stores only where a lookup missed', () => {
    const map = new SpanMap(new Uint8Array(4), 4);
    expect(() => map.set(0, 1, 1)).toThrow(/missed get/);
    expect(map.get(Uint8Array.of(5), 0, 1)).toBe(ABSENT);
    map.set(0, 1, 1);
    expect(() => map.set(0, 1, 1)).toThrow(/missed get/);
  });

  it('hashes equal spans equally, wherever they lie', () => {
    const a = Buffer.from('__so:libc.so.6__');
    const b = Buffer.from('so:libc.so.6');
    expect(hashSpan(a, 2, 14)).toBe(hashSpan(b, 0, 12));
    expect(hashSpan(bytesOf(new Int32Array([1, 2, 3])), 0, 12)).toBe(hashSpan(bytesOf(new Int32Array([0, 1, 2, 3])), 4, 16));
    expect(hashSpan(b, 0, 11)).not.toBe(hashSpan(b, 0, 12));
  });
});
