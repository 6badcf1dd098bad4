/**
 * Completeness and soundness against brute force: small random universes
 * (fixed seed) where every subset of packages can be enumerated. The solver
 * must find a plan exactly when some consistent package set fulfils the
 * request, and checkInstallable must agree with enumeration.
 */
import { describe, expect, test } from 'vitest';
import type { Candidate, InstalledPackage } from '../../src/core/catalog.js';
import type { Atom, Operator } from '../../src/core/relation.js';
import { providesAtom } from '../../src/core/relation.js';
import { buildPool, checkInstallable, solve } from '../../src/solver/index.js';
import type { SolveRequest } from '../../src/solver/types.js';
import { prng } from '../helpers/prng.js';
import { verifySet } from './verify.js';

const NAMES = ['a', 'b', 'c', 'd', 'e', 'f'];
const VIRTUALS = ['v', 'w'];
const OPS: Operator[] = ['<<', '<=', '=', '>=', '>>'];

function randomAtom(rnd: () => number): Atom {
  const name = rnd() < 0.2 ? VIRTUALS[Math.floor(rnd() * VIRTUALS.length)]! : NAMES[Math.floor(rnd() * NAMES.length)]!;
  if (rnd() < 0.6) return { name };
  return { name, constraint: { op: OPS[Math.floor(rnd() * OPS.length)]!, version: String(1 + Math.floor(rnd() * 3)) } };
}

function randomUniverse(rnd: () => number): Candidate[] {
  const pool: Candidate[] = [];
  for (const name of NAMES) {
    const versions = 1 + Math.floor(rnd() * 2);
    for (let v = 1; v <= versions; v++) {
      const c: Candidate = { name, version: String(v + (rnd() < 0.3 ? 1 : 0)), arch: 'all', summary: '', depends: [], conflicts: [], provides: [], replaces: [], size: 0, installedSize: 0, remote: 'main', priority: 0 };
      if (pool.some((p) => p.name === name && p.version === c.version)) continue;
      const nd = Math.floor(rnd() * 3);
      for (let i = 0; i < nd; i++) c.depends.push(rnd() < 0.3 ? [randomAtom(rnd), randomAtom(rnd)] : [randomAtom(rnd)]);
      if (rnd() < 0.3) c.conflicts.push(randomAtom(rnd));
      if (rnd() < 0.25) {
        const vname = VIRTUALS[Math.floor(rnd() * VIRTUALS.length)]!;
        c.provides.push(rnd() < 0.5 ? { name: vname } : { name: vname, constraint: { op: '=', version: String(1 + Math.floor(rnd() * 3)) } });
      }
      pool.push(c);
    }
  }
  return pool;
}

/** Every consistent subset of the pool, as bit masks. */
function consistentSets(pool: readonly Candidate[]): number[] {
  const out: number[] = [];
  for (let m = 0; m < 1 << pool.length; m++) {
    const set = pool.filter((_, i) => m & (1 << i));
    if (verifySet(set).length === 0) out.push(m);
  }
  return out;
}

function fulfils(pool: readonly Candidate[], m: number, installed: readonly InstalledPackage[], req: SolveRequest, cascade: boolean): boolean {
  const set = pool.filter((_, i) => m & (1 << i));
  for (const atom of req.install ?? []) if (!set.some((p) => providesAtom(p, atom))) return false;
  for (const name of req.remove ?? []) if (set.some((p) => p.name === name)) return false;
  for (const p of installed) {
    // A hold wins over everything, even a request to remove.
    if (p.held && !set.some((q) => q.name === p.name && q.version === p.version)) return false;
    if (req.remove?.includes(p.name) || cascade) continue;
    if (!set.some((q) => q.name === p.name)) return false;
  }
  return true;
}

describe('random universes against brute force', () => {
  test('solve finds a plan exactly when one exists', () => {
    const rnd = prng(20260711);
    let sat = 0;
    let unsat = 0;
    for (let round = 0; round < 300; round++) {
      const pool = randomUniverse(rnd);
      const sets = consistentSets(pool);
      // An installed set that is itself consistent, with random flags.
      const base = sets[Math.floor(rnd() * sets.length)]!;
      const installed: InstalledPackage[] = pool
        .filter((_, i) => base & (1 << i))
        .map((p) => ({ ...p, requested: rnd() < 0.5, held: rnd() < 0.15 }));
      const req: SolveRequest = { install: [randomAtom(rnd)] };
      if (installed.length > 0 && rnd() < 0.3) req.remove = [installed[Math.floor(rnd() * installed.length)]!.name];
      if (rnd() < 0.3) req.update = true;
      const cascade = rnd() < 0.3;
      const possible = sets.some((m) => fulfils(pool, m, installed, req, cascade));
      const where = JSON.stringify({ pool, installed, req, cascade });
      let r;
      try {
        r = solve(buildPool(pool), installed, req, { cascade });
      } catch (err) {
        throw new Error(`${(err as Error).message}: ${where}`);
      }
      expect(r.ok, where).toBe(possible);
      if (r.ok) {
        sat++;
        const final = r.plan.result.map((p) => pool.find((q) => q.name === p.name && q.version === p.version)!);
        expect(verifySet(final), where).toEqual([]);
        const m = pool.reduce((acc, p, i) => (final.includes(p) ? acc | (1 << i) : acc), 0);
        expect(fulfils(pool, m, installed, req, cascade), where).toBe(true);
      } else {
        unsat++;
        expect(r.explanation.length + r.message.length, where).toBeGreaterThan(0);
      }
    }
    expect(sat).toBeGreaterThan(50);
    expect(unsat).toBeGreaterThan(50);
  });

  test('checkInstallable agrees with enumeration', () => {
    const rnd = prng(42);
    for (let round = 0; round < 200; round++) {
      const pool = randomUniverse(rnd);
      const sets = consistentSets(pool);
      const expected = pool
        .filter((_, i) => !sets.some((m) => m & (1 << i)))
        .map((p) => `${p.name} ${p.version}`)
        .sort();
      const got = checkInstallable(buildPool(pool)).map((u) => `${u.name} ${u.version}`);
      expect(got, JSON.stringify(pool)).toEqual(expected);
    }
  });
});

describe('engines recycled across solves', () => {
  test('a pool large enough to recycle engine arrays gives the same, consistent plans every time', () => {
    const rnd = prng(1234);
    const n = 1500;
    const name = (i: number): string => `p${i}`;
    const pool: Candidate[] = [];
    for (let i = 0; i < n; i++) {
      const c: Candidate = { name: name(i), version: '1', arch: 'all', summary: '', depends: [], conflicts: [], provides: [], replaces: [], size: 0, installedSize: 0, remote: 'main', priority: 0 };
      for (let k = Math.floor(rnd() * 4); k > 0; k--) {
        const a = name(Math.floor(rnd() * n));
        c.depends.push(rnd() < 0.3 ? [{ name: a }, { name: name(Math.floor(rnd() * n)) }] : [{ name: a }]);
      }
      if (rnd() < 0.1) c.conflicts.push({ name: name(Math.floor(rnd() * n)) });
      pool.push(c);
    }
    const a = buildPool(pool);
    const b = buildPool([...pool, { ...pool[0]!, name: 'zzz-pad' }]);
    let oks = 0;
    for (let round = 0; round < 200; round++) {
      const req: SolveRequest = { install: [{ name: name(Math.floor(rnd() * n)) }] };
      const ra = solve(a, [], req);
      const rb = solve(b, [], req);
      expect(JSON.stringify(ra.ok ? ra.plan.result : ra.explanation)).toBe(JSON.stringify(rb.ok ? rb.plan.result : rb.explanation));
      if (ra.ok) expect(verifySet(ra.plan.result.map((p) => pool[Number(p.name.slice(1))]!))).toEqual([]);
      oks += ra.ok ? 1 : 0;
    }
    // Both outcomes occur, so both paths recycle their arrays.
    expect(oks).toBeGreaterThan(20);
    expect(oks).toBeLessThan(180);
  });
});
