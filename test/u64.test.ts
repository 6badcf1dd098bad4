/** 64-bit fields as numbers (src/core/u64.ts), against Node's BigInt reads and writes as the reference. */
import { describe, expect, it } from 'vitest';
import { readU64, writeU64 } from '../src/core/u64.js';

describe('u64 fields', () => {
  it('write and read what BigInt writes and reads, at every word boundary', () => {
    const values = [0, 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40 + 12345, 2 ** 52, Number.MAX_SAFE_INTEGER];
    for (const v of values) {
      const ours = Buffer.alloc(11);
      const ref = Buffer.alloc(11);
      expect(writeU64(ours, v, 3)).toBe(11);
      ref.writeBigUInt64LE(BigInt(v), 3);
      expect(ours.equals(ref), String(v)).toBe(true);
      expect(readU64(ref, 3)).toBe(v);
    }
  });

  it('reads a value past the safe integers as MAX_SAFE_INTEGER, so size limits refuse it', () => {
    for (const big of [2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n]) {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(big);
      expect(readU64(b, 0)).toBe(Number.MAX_SAFE_INTEGER);
    }
  });

  it('refuses to write what is no safe unsigned integer', () => {
    for (const bad of [-1, 1.5, 2 ** 53, Number.NaN, Infinity]) expect(() => writeU64(Buffer.alloc(8), bad, 0)).toThrow(RangeError);
  });
});
