/** Properties of the solver API that scenario files cannot state. */
import { describe, expect, test } from 'vitest';
import type { Candidate } from '../../src/core/catalog.js';
import { parseRelationField } from '../../src/core/relation.js';
import { compareVersions } from '../../src/core/version.js';
import { buildPool, checkInstallable, solve } from '../../src/solver/index.js';
import { vercmp } from '../../src/solver/vercmp.js';
import { prng } from './prng.js';

function pkg(name: string, version: string, depends = '', extra: Partial<Candidate> = {}): Candidate {
  return {
    name,
    version,
    arch: 'all',
    summary: '',
    depends: parseRelationField(depends),
    conflicts: [],
    provides: [],
    replaces: [],
    size: 0,
    installedSize: 0,
    remote: 'main',
    priority: 0,
    ...extra,
  };
}

describe('vercmp', () => {
  const tricky = ['0', '1', '1.0', '1.0-0', '1.0-1', '1:0', '1:1.0', '2:0.1', '1.0~rc1', '1.0~~', '1.0~', '1.0+b1', '1.0.1', '1.00', '1.0a', '1.0A', '1.0-1~bpo', '1.0-1+deb12u1', '10', '9', '1.2.3-4.5', '0:1.0', '1.0-a', '1.0-1.1', '1.0-0.1', 'a', '1:2.36-9+deb12u14', '1:128.x', '1:140.12.0esr-1~deb12u1'].filter((v) => /^[0-9]/.test(v));
  test('orders tricky versions exactly like core compareVersions', () => {
    for (const a of tricky) for (const b of tricky) expect(Math.sign(vercmp(a, b)), `${a} vs ${b}`).toBe(Math.sign(compareVersions(a, b)));
  });
  test('orders random versions exactly like core compareVersions', () => {
    const rnd = prng(99);
    const pick = (s: string): string => s[Math.floor(rnd() * s.length)]!;
    const gen = (): string => {
      let v = rnd() < 0.2 ? `${Math.floor(rnd() * 3)}:` : '';
      v += String(Math.floor(rnd() * 20));
      for (let i = Math.floor(rnd() * 6); i > 0; i--) v += pick('0123456789.+~abcz');
      if (rnd() < 0.5) v += `-${pick('0123456789')}${rnd() < 0.5 ? pick('.+~') + pick('0123456789ab') : ''}`;
      return v;
    };
    for (let i = 0; i < 20_000; i++) {
      const a = gen();
      const b = gen();
      expect(Math.sign(vercmp(a, b)), `${a} vs ${b}`).toBe(Math.sign(compareVersions(a, b)));
    }
  });
});

describe('solve', () => {
  const repo = [pkg('app', '1.0', 'lib, tool'), pkg('lib', '1.0', 'base'), pkg('tool', '1.0', 'lib'), pkg('base', '1.0')];

  test('lists new packages dependencies first', () => {
    const r = solve(repo, [], { install: [{ name: 'app' }] });
    if (!r.ok) throw new Error(r.message);
    const order = r.plan.install.map((s) => s.name);
    expect(order).toEqual(['base', 'lib', 'tool', 'app']);
  });

  test('accepts a candidate list or a pool, and a pool serves many jobs', () => {
    const pool = buildPool(repo);
    const a = solve(pool, [], { install: [{ name: 'app' }] });
    const b = solve(repo, [], { install: [{ name: 'app' }] });
    const c = solve(pool, [], { install: [{ name: 'tool' }] });
    const again = solve(pool, [], { install: [{ name: 'app' }] });
    expect(a).toEqual(b);
    expect(again).toEqual(a);
    expect(c.ok && c.plan.install.map((s) => s.name)).toEqual(['base', 'lib', 'tool']);
  });

  test('plan steps carry the candidate entries', () => {
    const r = solve(repo, [], { install: [{ name: 'base' }] });
    expect(r.ok && r.plan.install[0]!.entry).toBe(repo[3]);
  });

  test('a failure has a message that states the whole explanation', () => {
    const r = solve([pkg('a', '1.0', 'missing')], [], { install: [{ name: 'a' }] });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe('E_UNSATISFIABLE');
    expect(r.message).toBe('zpkg cannot install `a`: `a 1.0` depends on `missing`, which no available package satisfies');
    expect(r.explanation).toEqual(['`a 1.0` depends on `missing`, which no available package satisfies']);
  });

  test('an empty request on an empty image is an empty plan', () => {
    expect(solve([], [], {})).toEqual({ ok: true, plan: { install: [], upgrade: [], downgrade: [], remove: [], result: [] } });
  });

  test('a long chain solves without recursion limits', () => {
    const chain = Array.from({ length: 20_000 }, (_, i) => pkg(`p${i}`, '1', i + 1 < 20_000 ? `p${i + 1}` : ''));
    const r = solve(chain, [], { install: [{ name: 'p0' }] });
    expect(r.ok && r.plan.install.length).toBe(20_000);
    expect(r.ok && r.plan.install[0]!.name).toBe('p19999');
  });
});

describe('checkInstallable', () => {
  test('accepts a candidate list and reports versions in name order with reasons', () => {
    const got = checkInstallable([pkg('z', '1', 'nope'), pkg('a', '1', 'z'), pkg('m', '1')]);
    expect(got.map((u) => `${u.name} ${u.version}`)).toEqual(['a 1', 'z 1']);
    expect(got[1]!.reason).toEqual(['`z 1` depends on `nope`, which no available package satisfies']);
  });
});
