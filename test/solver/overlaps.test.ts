/**
 * solver/overlaps.ts on its own: which pairs of entries become conflicts.
 * Entries may be chosen; fixed entries (the installed set) may not, so two
 * fixed entries never pair, and a path only fixed entries deliver makes
 * nothing — the map of paths takes a fixed entry's path only where an entry
 * delivers it too.
 */
import { describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../../src/core/catalog.js';
import { parseAtom } from '../../src/core/relation.js';
import { addOverlapConflicts, explainOverlaps } from '../../src/solver/overlaps.js';

function entry(name: string, version = '1', replaces: string[] = []): CatalogEntry {
  return { name, version, arch: 'all', summary: '', depends: [], conflicts: [], provides: [], replaces: replaces.map(parseAtom), size: 0, installedSize: 0 };
}

describe('addOverlapConflicts', () => {
  it('pairs two entries delivering one path, once per pair with the count of paths, the conflict on the first', () => {
    const a = entry('a');
    const b = entry('b');
    const c = entry('c');
    const paths = new Map([
      ['a', ['usr/bin/x', 'usr/bin/y', 'usr/bin/only-a']],
      ['b', ['usr/bin/x', 'usr/bin/y']],
      ['c', ['usr/bin/z']],
    ]);
    const r = addOverlapConflicts([a, b, c], (e) => paths.get(e.name));
    expect(r.overlaps).toEqual([{ path: 'usr/bin/x', count: 2, a: { name: 'a', version: '1' }, b: { name: 'b', version: '1' } }]);
    expect(r.entries[0]!.conflicts).toEqual([{ name: 'b', constraint: { op: '=', version: '1' } }]);
    // Unchanged entries come back as the same objects.
    expect(r.entries[1]).toBe(b);
    expect(r.entries[2]).toBe(c);
    expect(explainOverlaps(['`a 1` conflicts with `b 1`'], r.overlaps)).toEqual(['`a 1` and `b 1` both deliver `/usr/bin/x` (and 1 more path)']);
  });

  it('pairs an entry with a fixed one (the conflict on the entry), never two fixed ones, nor two versions of one name', () => {
    const candidate = entry('new');
    const installedOne = entry('old');
    const installedTwo = entry('older');
    const sameName = entry('new', '0.9');
    const paths = new Map([
      ['new@1', ['usr/bin/x']],
      ['old@1', ['usr/bin/x', 'usr/bin/shared-by-fixed']],
      ['older@1', ['usr/bin/shared-by-fixed', 'usr/bin/x']],
      ['new@0.9', ['usr/bin/x']],
    ]);
    const pathsOf = (e: { name: string; version: string }) => paths.get(`${e.name}@${e.version}`);
    const r = addOverlapConflicts([candidate], pathsOf, [installedOne, installedTwo, sameName]);
    expect(r.overlaps.map((o) => `${o.a.name} ${o.b.name} ${o.path} ${o.count}`)).toEqual(['new old usr/bin/x 1', 'new older usr/bin/x 1']);
    expect(r.entries[0]!.conflicts.map((c) => c.name)).toEqual(['old', 'older']);
    // Only fixed entries meet at a path: nothing to choose, nothing added.
    expect(addOverlapConflicts([entry('c')], () => undefined, [installedOne, installedTwo]).overlaps).toEqual([]);
  });

  it('a package replacing the other is no overlap, either way round', () => {
    const paths = (e: { name: string }) => (e.name === 'x' || e.name === 'y' ? ['etc/x.conf'] : undefined);
    expect(addOverlapConflicts([entry('x', '1', ['y'])], paths, [entry('y')]).overlaps).toEqual([]);
    expect(addOverlapConflicts([entry('x')], paths, [entry('y', '1', ['x (<< 2)'])]).overlaps).toEqual([]);
    // A replaces whose range misses the version still overlaps.
    expect(addOverlapConflicts([entry('x', '2')], paths, [entry('y', '1', ['x (<< 2)'])]).overlaps).toHaveLength(1);
  });

  it('an entry that is an installed version is not indexed: its overlaps come through the fixed entry, with the same atom', () => {
    const big = Array.from({ length: 1_000 }, (_, i) => `usr/share/big/f${i}`);
    const paths = new Map<string, readonly string[]>([
      ['big@1', big],
      ['big@2', [...big, 'usr/share/big/new']],
      ['tiny@1', ['usr/share/big/f7']],
      ['other@1', ['usr/bin/other']],
    ]);
    const asked: string[] = [];
    const pathsOf = (e: { name: string; version: string }) => {
      asked.push(`${e.name}@${e.version}`);
      return paths.get(`${e.name}@${e.version}`);
    };
    const installedBig = entry('big', '1');
    const offeredBig = entry('big', '1');
    const r = addOverlapConflicts([offeredBig, entry('big', '2'), entry('tiny'), entry('other')], pathsOf, [installedBig]);
    // The offered twin of the installed version is never asked for its paths; the fixed entry is, once.
    expect(asked.filter((k) => k === 'big@1')).toHaveLength(1);
    expect(r.entries[0]).toBe(offeredBig);
    // tiny overlaps big 1 (through the fixed entry) and big 2 (an entry); the conflicts land on tiny.
    expect(r.overlaps.map((o) => `${o.a.name}@${o.a.version} ${o.b.name}@${o.b.version} ${o.path}`).sort()).toEqual(['big@2 tiny@1 usr/share/big/f7', 'tiny@1 big@1 usr/share/big/f7']);
    expect(r.entries[2]!.conflicts).toEqual([{ name: 'big', constraint: { op: '=', version: '1' } }]);
  });

  it('two installed versions offered again that deliver one path do not pair, as two fixed entries do not', () => {
    const paths = (e: { name: string }) => (e.name === 'x' || e.name === 'y' ? ['usr/bin/both'] : undefined);
    const r = addOverlapConflicts([entry('x'), entry('y')], paths, [entry('x'), entry('y')]);
    expect(r.overlaps).toEqual([]);
    // A newer version of one of them still overlaps the other's installed version.
    expect(addOverlapConflicts([entry('x'), entry('x', '2'), entry('y')], paths, [entry('x'), entry('y')]).overlaps.map((o) => `${o.a.name}@${o.a.version} ${o.b.name}`)).toEqual(['x@2 y']);
  });
});
