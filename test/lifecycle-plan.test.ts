/** The lifecycle plan (pure): which hooks and service operations a transaction implies, and their order. */
import { describe, expect, it } from 'vitest';
import type { Digest } from '../src/core/digest.js';
import { MANIFEST_FORMAT, type Action, type Manifest, type ServiceDecl } from '../src/core/manifest.js';
import { dependencyOrder, serviceWaves } from '../src/hooks/order.js';
import { planLifecycle, type LandingInput, type PlanInput } from '../src/hooks/plan.js';

const D = (n: number): Digest => `sha256:${n.toString(16).padStart(64, '0')}`;

function manifest(name: string, version: string, extra: Partial<Manifest> = {}): Manifest {
  return { format: MANIFEST_FORMAT, name, version, arch: 'all', summary: '', description: '', license: '', depends: [], conflicts: [], provides: [], replaces: [], actions: [], ...extra };
}

function file(path: string, restart?: string[]): Action {
  return { type: 'file', path, mode: '0644', owner: 'root', group: 'root', size: 1, digest: D(9), ...(restart ? { restart } : {}) };
}

function landing(m: Manifest, from?: Manifest, digest = D(1)): LandingInput {
  return { name: m.name, version: m.version, digest, manifest: m, repair: false, ...(from ? { from: { version: from.version, digest: D(2), manifest: from } } : {}) };
}

const base: PlanInput = { installs: [], removes: [], put: [], deleted: [], runHooks: true, zinit: false, protected: [] };

describe('services', () => {
  const svc = (name: string, restart: ServiceDecl['restart'], reload?: boolean): ServiceDecl => ({ name, restart, ...(reload ? { reload } : {}) });

  it('a service several packages touch is stopped once and started once', () => {
    const a1 = manifest('a', '1', { actions: [file('etc/a.conf', ['web'])] });
    const a2 = manifest('a', '2', { actions: [file('etc/a.conf', ['web'])] });
    const b1 = manifest('b', '1', { actions: [file('etc/b.conf', ['web'])] });
    const b2 = manifest('b', '2', { actions: [file('etc/b.conf', ['web'])] });
    const w1 = manifest('web', '1', { services: [svc('web', 'on-upgrade')] });
    const w2 = manifest('web', '2', { services: [svc('web', 'on-upgrade')] });
    const plan = planLifecycle({
      ...base,
      installs: [landing(a2, a1), landing(b2, b1), landing(w2, w1)],
      put: [{ path: 'etc/a.conf', package: 'a', existed: true }, { path: 'etc/b.conf', package: 'b', existed: true }],
    });
    expect(plan.services).toHaveLength(1);
    expect(plan.services[0]).toMatchObject({ name: 'web', stop: true, after: 'start', onlyIfRunning: true });
    expect([...plan.services[0]!.reasons].sort()).toEqual(['etc/a.conf changes', 'etc/b.conf changes', 'web 1 → 2']);
  });

  it('on-upgrade needs a new version, always does not; never is never touched; reload is not stopped', () => {
    const m = (v: string): Manifest => manifest('p', v, { services: [svc('up', 'on-upgrade'), svc('al', 'always'), svc('nv', 'never'), svc('rl', 'on-upgrade', true)] });
    const same = planLifecycle({ ...base, installs: [landing(m('1'), m('1'), D(3))] });
    expect(same.services.map((s) => s.name)).toEqual(['al']);
    const up = planLifecycle({ ...base, installs: [landing(m('2'), m('1'))] });
    expect(up.services.map((s) => `${s.name} stop=${s.stop} after=${s.after}`)).toEqual(['al stop=true after=start', 'rl stop=false after=reload', 'up stop=true after=start']);
    const fresh = planLifecycle({ ...base, installs: [landing(m('1'))] });
    expect(fresh.services.map((s) => `${s.name} ${s.after} ${s.onlyIfRunning}`)).toEqual(['al start false', 'rl start false', 'up start false']);
  });

  it('removal stops (and with zinit forgets); a service moving to another package is restarted, not lost', () => {
    const old = manifest('old', '1', { services: [svc('web', 'on-upgrade')] });
    const neu = manifest('new', '1', { services: [svc('web', 'on-upgrade')] });
    const plan = planLifecycle({ ...base, zinit: true, installs: [landing(neu)], removes: [{ name: 'old', version: '1', manifest: old, relations: { depends: [], provides: [] } }] });
    expect(plan.services).toEqual([expect.objectContaining({ name: 'web', stop: true, forget: true, after: 'start', onlyIfRunning: false })]);
  });

  it('protected services are planned but flagged', () => {
    const plan = planLifecycle({ ...base, protected: ['redis'], installs: [landing(manifest('r', '2', { services: [svc('redis', 'always')] }), manifest('r', '1'))] });
    expect(plan.services[0]).toMatchObject({ name: 'redis', protected: true });
  });

  it('zinit service files: new → monitor; changed → stop, forget, monitor; removed → stop, forget', () => {
    const plan = planLifecycle({
      ...base,
      zinit: true,
      put: [{ path: 'etc/zinit/new.yaml', package: 'x', existed: false }, { path: 'etc/zinit/changed.yaml', package: 'x', existed: true }],
      deleted: [{ path: 'etc/zinit/gone.yaml', package: 'y' }],
    });
    expect(plan.services.map((s) => `${s.name} stop=${s.stop} forget=${s.forget} after=${s.after}`)).toEqual(['changed stop=true forget=true after=monitor', 'gone stop=true forget=true after=undefined', 'new stop=false forget=false after=monitor']);
    expect(planLifecycle({ ...base, put: [{ path: 'etc/zinit/new.yaml', package: 'x', existed: false }] }).services).toEqual([]);
  });

  it('a zinit service file or a restart: file written again with the same content touches no service', () => {
    const a = (v: string) => manifest('a', v, { actions: [file('etc/a.conf', ['web'])] });
    const plan = planLifecycle({
      ...base,
      zinit: true,
      installs: [landing(a('2'), a('1'))],
      put: [
        { path: 'etc/zinit/modprobe.yaml', package: 'a', existed: true, changed: false },
        { path: 'etc/a.conf', package: 'a', existed: true, changed: false },
        { path: 'etc/zinit/noded.yaml', package: 'a', existed: true, changed: true },
      ],
    });
    expect(plan.services.map((s) => `${s.name} stop=${s.stop} forget=${s.forget} after=${s.after}`)).toEqual(['noded stop=true forget=true after=monitor']);
  });
});

describe('hooks', () => {
  const h = (n: number) => ({ digest: D(n), size: 1 });
  it('repairs run no hooks; runHooks false runs none', () => {
    const m = manifest('p', '1', { hooks: { 'post-install': h(5) } });
    expect(planLifecycle({ ...base, installs: [{ ...landing(m), repair: true }] }).post).toEqual([]);
    expect(planLifecycle({ ...base, runHooks: false, installs: [landing(m)] }).post).toEqual([]);
    expect(planLifecycle({ ...base, installs: [landing(m)] }).post).toEqual([{ package: 'p', version: '1', phase: 'post-install', digest: D(5), size: 1, newVersion: '1' }]);
  });

  it('a landing pre-hook needs the landing packages it depends on and the one delivering its interpreter; post-hooks and removals need nothing', () => {
    const lib = manifest('lib', '1');
    const sh = manifest('shell', '1');
    const app = manifest('app', '1', { depends: ['lib'], hooks: { 'pre-install': h(7), 'post-install': h(8) } });
    const plan = planLifecycle({
      ...base,
      installs: [landing(lib), landing(sh), landing(app)],
      put: [{ path: 'bin/sh', package: 'shell', existed: false }],
      interpreters: new Map([[D(7), 'bin/sh']]),
    });
    expect(plan.pre).toEqual([expect.objectContaining({ package: 'app', phase: 'pre-install', needs: ['lib', 'shell'] })]);
    expect(plan.post[0]!.needs).toBeUndefined();
    const alone = planLifecycle({ ...base, installs: [landing(app)] });
    expect(alone.pre[0]!.needs).toBeUndefined();
  });
});

describe('service waves', () => {
  it('each service after the ones of the set it comes after; stops reverse it; a cycle ends in one wave', () => {
    const after: Record<string, string[]> = { storaged: ['noded'], noded: ['modprobe'], powerd: [], modprobe: [], x: ['y'], y: ['x'] };
    expect(serviceWaves(['storaged', 'noded', 'powerd', 'modprobe'], (n) => after[n] ?? [])).toEqual([['modprobe', 'powerd'], ['noded'], ['storaged']]);
    expect(serviceWaves(['storaged', 'powerd'], (n) => after[n] ?? [])).toEqual([['powerd', 'storaged']]);
    expect(serviceWaves(['x', 'y', 'z'], (n) => after[n] ?? [])).toEqual([['z'], ['x', 'y']]);
  });
});

describe('dependency order', () => {
  it('dependencies first, through provides and alternatives; ties by name; cycles broken', () => {
    expect(dependencyOrder([
      { name: 'app', depends: ['web | httpd', 'libc (>= 2)'], provides: [] },
      { name: 'nginx', depends: ['libc'], provides: ['httpd'] },
      { name: 'libc', depends: [], provides: [] },
      { name: 'zz', depends: [], provides: [] },
    ])).toEqual(['libc', 'nginx', 'app', 'zz']);
    expect(dependencyOrder([
      { name: 'b', depends: ['a'], provides: [] },
      { name: 'a', depends: ['b'], provides: [] },
      { name: 'c', depends: ['a'], provides: [] },
    ])).toEqual(['a', 'b', 'c']);
  });
});
