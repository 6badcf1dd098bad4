/**
 * The zstd level of a record's delta follows the record's size (record.ts:
 * deltaLevel): 19 for a small record, 12 above 512 KiB, where 19 took a
 * publish of a 300,000-file package 49 s for a 5.3 MB delta (12: 1.4 s for
 * 0.8 MB). Both kinds of delta apply to their base and carry little more
 * than what changed. Synthetic records of manifest-like lines.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { applyDelta, deltaLevel, encodeDelta } from '../src/repo/record.js';

const line = (i: number, version: number): string => {
  const digest = createHash('sha256').update(`${i}:${version}`).digest('hex');
  return `{"digest":"sha256:${digest}","group":"root","mode":"0644","owner":"root","path":"usr/share/doc/pkg/d${i % 97}/file-${i}.txt","size":${(i * 7919) % 100000},"type":"file"},\n`;
};

/** A record of `n` entries, where every `every`-th entry changed in version 2. */
function records(n: number, every: number): { base: Buffer; next: Buffer; changed: number } {
  const base: string[] = [];
  const next: string[] = [];
  let changed = 0;
  for (let i = 0; i < n; i++) {
    base.push(line(i, 1));
    const moved = i % every === 0;
    if (moved) changed++;
    next.push(line(i, moved ? 2 : 1));
  }
  return { base: Buffer.from(base.join('')), next: Buffer.from(next.join('')), changed };
}

describe('record deltas', () => {
  it('a record up to 512 KiB is delta-compressed at level 19, a larger one at 12', () => {
    expect(deltaLevel(1000)).toBe(19);
    expect(deltaLevel(512 << 10)).toBe(19);
    expect(deltaLevel((512 << 10) + 1)).toBe(12);
    expect(deltaLevel(62 << 20)).toBe(12);
  });

  for (const [what, n] of [
    ['small (level 19)', 1500],
    ['large (level 12)', 30_000],
  ] as const) {
    it(`a ${what} record's delta applies to its base and is about the size of what changed`, () => {
      const { base, next, changed } = records(n, 20);
      expect(deltaLevel(next.length)).toBe(what.startsWith('small') ? 19 : 12);
      const delta = encodeDelta(next, base);
      expect(applyDelta(delta, base, 'test').equals(next)).toBe(true);
      // A changed entry carries a new sha256 (32 bytes of entropy as 64 hex digits): a delta within 3× of that.
      expect(delta.length).toBeLessThan(changed * 32 * 3 + 512);
    });
  }
});
