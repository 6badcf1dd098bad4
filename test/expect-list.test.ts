/**
 * The check workers' wire format (src/fs/expect-list.ts): expectations kept
 * by columns and packed per batch come out of `unpackExpects` exactly as they
 * went in — every kind, every field present or absent, ids past 2^31, link
 * targets at their index — and a batch whose columns disagree with its count
 * is refused, never checked against the wrong paths.
 */
import { describe, expect, it } from 'vitest';
import { ExpectList, unpackExpects } from '../src/fs/expect-list.js';
import type { PathExpect } from '../src/fs/path-check.js';
import { ZpkgError } from '../src/core/errors.js';

const D = (c: string): string => `sha256:${c.repeat(64)}`;

const SOME: PathExpect[] = [
  { path: 'usr/bin/a', kind: 'file', size: 0, digest: D('a'), mode: 0o755, uid: 0, gid: 0 },
  { path: 'usr/bin/b', kind: 'file', size: 2 ** 40, digest: D('b'), mode: 0o4755 },
  { path: 'usr/lib', kind: 'dir', mode: 0o755 },
  { path: 'usr/lib/l', kind: 'link', target: 'a b/ü', uid: 2 ** 32 - 2, gid: 2 ** 31 + 7 },
  { path: 'usr/lib/any', kind: 'any' },
  { path: 'usr/share/ünï €', kind: 'link', target: '../x' },
];

describe('ExpectList: packed and unpacked', () => {
  it('every kind and field survives a round trip, with the prefix joined to each path', () => {
    const list = new ExpectList('/img/');
    for (const e of SOME) list.add(e);
    list.addFile('etc/x', 12, D('c'), 0o600, null, 5);
    expect(list.length).toBe(SOME.length + 1);
    const all = unpackExpects(list.pack());
    expect(all).toEqual([...SOME, { path: 'etc/x', kind: 'file', size: 12, digest: D('c'), mode: 0o600, gid: 5 }].map((e) => ({ ...e, path: `/img/${e.path}` })));
  });

  it('a slice keeps its own indexes: a target is found at its place in the batch', () => {
    const list = new ExpectList();
    for (const e of SOME) list.add(e);
    expect(unpackExpects(list.pack(3, 6))).toEqual(SOME.slice(3, 6));
    expect(unpackExpects(list.pack(1, 3))).toEqual(SOME.slice(1, 3));
    expect(unpackExpects(list.pack(2, 2))).toEqual([]);
  });

  it('keeps growing past its first columns, and answers each field as added', () => {
    const list = new ExpectList();
    for (let i = 0; i < 5000; i++) list.addFile(`f${i}`, i * 7, D('d'), 0o644, i % 2 ? null : 2 ** 32 - 2, i);
    expect(list.length).toBe(5000);
    expect([list.size(4321), list.digest(4321), list.mode(4321), list.uid(4321), list.gid(4321)]).toEqual([4321 * 7, D('d'), 0o644, undefined, 4321]);
    expect(list.uid(4320)).toBe(2 ** 32 - 2);
    expect(unpackExpects(list.pack(4998))).toEqual([
      { path: 'f4998', kind: 'file', size: 4998 * 7, digest: D('d'), mode: 0o644, uid: 2 ** 32 - 2, gid: 4998 },
      { path: 'f4999', kind: 'file', size: 4999 * 7, digest: D('d'), mode: 0o644, gid: 4999 },
    ]);
  });

  it('a batch whose columns do not hold its count of entries is refused', () => {
    const list = new ExpectList();
    for (const e of SOME) list.add(e);
    const good = list.pack();
    const bad = [
      { ...good, count: good.count + 1 },
      { ...good, paths: good.paths.slice(0, -1) },
      { ...good, digests: `${good.digests}\0` },
      { ...good, numbers: good.numbers.subarray(5) },
      { ...good, numbers: Float64Array.from(good.numbers, (x, i) => (i === 0 ? 9 : x)) },
    ];
    for (const b of bad) {
      expect(() => unpackExpects(b)).toThrow(ZpkgError);
      expect(() => unpackExpects(b)).toThrow(/check batch/);
    }
  });
});
