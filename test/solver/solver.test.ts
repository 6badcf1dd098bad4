/** Properties of the solver API that scenario files cannot state. */
import { describe, expect, test } from 'vitest';
import type { Candidate } from '../../src/core/catalog.js';
import { parseRelationField } from '../../src/core/relation.js';
import { buildPool, checkInstallable, solve } from '../../src/solver/index.js';

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
