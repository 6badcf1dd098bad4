/**
 * Runs every scenario in test/solver/scenarios/ (format: scenario.ts). A
 * successful plan is also checked by the independent verifier.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { CatalogEntry } from '../../src/core/catalog.js';
import { buildPool, checkInstallable, solve, why } from '../../src/solver/index.js';
import { parseScenario } from './scenario.js';
import { verifySet } from './verify.js';

const dir = join(import.meta.dirname, 'scenarios');
const files = readdirSync(dir).filter((f) => f.endsWith('.scenario')).sort();

describe('solver scenarios', () => {
  test('there are at least 60', () => {
    expect(files.length).toBeGreaterThanOrEqual(60);
  });

  for (const file of files) {
    const sc = parseScenario(readFileSync(join(dir, file), 'utf8'));
    test(`${file}: ${sc.title}`, () => {
      const pool = buildPool(sc.pool);
      if (sc.check) {
        const got = checkInstallable(pool);
        expect(got.map((u) => `${u.name} ${u.version}`)).toEqual(sc.check.map((u) => `${u.name} ${u.version}`));
        sc.check.forEach((want, i) => {
          if (want.reason.length > 0) expect(got[i]!.reason).toEqual(want.reason);
        });
      }
      if (sc.why) expect(why(sc.why.name, sc.installed)).toEqual(sc.why.lines);
      if (!sc.expect && !sc.error && !sc.result) return;
      const r = solve(pool, sc.installed, sc.request, sc.policy);
      if (sc.error) {
        expect(r.ok ? r.plan : undefined).toBeUndefined();
        if (r.ok) return;
        expect(r.code).toBe('E_UNSATISFIABLE');
        expect(r.message.startsWith(sc.error.headline)).toBe(true);
        expect(r.explanation).toEqual(sc.error.explanation);
        return;
      }
      if (!r.ok) expect.fail(r.message);
      const { plan } = r;
      if (sc.expect) {
        const lines = [
          ...plan.install.map((s) => `install ${s.name} ${s.version}`),
          ...plan.upgrade.map((s) => `upgrade ${s.name} ${s.from} -> ${s.to}`),
          ...plan.downgrade.map((s) => `downgrade ${s.name} ${s.from} -> ${s.to}`),
          ...plan.remove.map((s) => `remove ${s.name} ${s.version}`),
        ].sort();
        expect(lines).toEqual(sc.expect.lines);
        for (const [line, remote] of sc.expect.remotes) {
          const [, name] = line.split(' ');
          const step = [...plan.install, ...plan.upgrade, ...plan.downgrade].find((s) => s.name === name);
          expect((step?.entry as { remote?: string } | undefined)?.remote, line).toBe(remote);
        }
      }
      if (sc.result) expect(plan.result.map((p) => `${p.name} ${p.version}${p.requested ? ' requested' : ''}`)).toEqual(sc.result);
      // Independent check: the final set is consistent and honours holds.
      const byKey = new Map<string, CatalogEntry>([...sc.installed, ...sc.pool].map((e) => [`${e.name} ${e.version}`, e]));
      const final = plan.result.map((p) => byKey.get(`${p.name} ${p.version}`)!);
      expect(verifySet(final)).toEqual([]);
      for (const h of sc.installed.filter((p) => p.held)) expect(plan.result.some((p) => p.name === h.name && p.version === h.version)).toBe(true);
    });
  }
});
