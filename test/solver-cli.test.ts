// The solver through the CLI: plans, holds, update, cascade, autoremove, why, and explained failures.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ok, tempDir, writePackage, zpkg, TRUST } from './helpers/zpkg.js';

let work: string;
let repo: string;
let n = 0;

function publish(name: string, version: string, extra: Record<string, unknown> = {}): void {
  const src = writePackage(join(work, `src-${name}-${version}-${n++}`), { name, version, ...extra }, { [`usr/share/${name}/${version}`]: `${name} ${version}\n` });
  ok(['build', src, '--repo', repo]);
}

function image(): string {
  const root = join(work, `img-${n++}`);
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  return root;
}

const names = (list: { name: string; version?: string; to?: string }[]): string[] => list.map((p) => `${p.name} ${p.version ?? p.to}`).sort();

beforeAll(() => {
  work = tempDir();
  repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  publish('libb', '1.0');
  publish('libb', '2.0');
  publish('app', '1.0', { depends: ['libb (>= 2.0)'] });
  publish('tool', '1.0', { depends: ['app'] });
  publish('old', '1.0', { conflicts: ['libb (>= 2.0)'] });
});

describe('solver through the CLI', () => {
  it('--dry-run --json prints the plan in the documented shape and changes nothing', () => {
    const root = image();
    const r = ok(['--root', root, '--json', 'install', '--dry-run', 'app']);
    expect(r.json.install).toEqual([{ name: 'libb', version: '2.0' }, { name: 'app', version: '1.0' }]);
    expect(r.json.upgrade).toEqual([]);
    expect(r.json.remove).toEqual([]);
    expect(ok(['--root', root, '--json', 'list']).json.packages).toEqual([]);
  });

  it('an unsatisfiable request exits non-zero with code, message and explanation', () => {
    const root = image();
    ok(['--root', root, 'install', 'app']);
    const r = zpkg(['--root', root, '--json', 'install', 'old']);
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_UNSATISFIABLE');
    expect(r.json.error.message).toMatch(/old/);
    expect(r.json.error.explanation.join(' ')).toMatch(/libb/);
    const text = zpkg(['--root', root, 'install', 'old']);
    expect(text.stderr).toMatch(/error: .*old/);
  });

  it('hold keeps a package at its version; update moves the rest; unhold lets it move', () => {
    const root = image();
    ok(['--root', root, 'install', 'libb=1.0']);
    ok(['--root', root, 'hold', 'libb']);
    expect(ok(['--root', root, '--json', 'list']).json.packages[0]).toMatchObject({ name: 'libb', version: '1.0', held: true });
    const blocked = zpkg(['--root', root, '--json', 'install', 'app']);
    expect(blocked.json.error.code).toBe('E_UNSATISFIABLE');
    expect(blocked.json.error.explanation.join(' ')).toMatch(/held/);
    expect(ok(['--root', root, '--json', 'update']).json.upgrade).toEqual([]);
    // Nothing moves: the update says how many it looked at and how many are held.
    expect(ok(['--root', root, 'update']).stdout).toBe('no installed package has a newer version to take (1 package checked, 1 held): nothing to do\n');
    ok(['--root', root, 'unhold', 'libb']);
    expect(ok(['--root', root, '--json', 'update']).json.upgrade).toEqual([{ name: 'libb', from: '1.0', to: '2.0' }]);
    expect(ok(['--root', root, 'update', 'libb']).stdout).toBe('libb has no newer version to take: nothing to do\n');
    expect(zpkg(['--root', root, 'verify']).status).toBe(0);
  });

  it('remove refuses to break dependents, --cascade takes them along', () => {
    const root = image();
    ok(['--root', root, 'install', 'tool']);
    const refused = zpkg(['--root', root, '--json', 'remove', 'libb']);
    expect(refused.json.error.code).toBe('E_DEPENDENTS');
    const r = ok(['--root', root, '--json', 'remove', '--cascade', 'libb']);
    expect(names(r.json.remove)).toEqual(['app 1.0', 'libb 2.0', 'tool 1.0']);
    expect(ok(['--root', root, '--json', 'list']).json.packages).toEqual([]);
  });

  it('--autoremove removes what was only pulled in as a dependency', () => {
    const root = image();
    ok(['--root', root, 'install', 'tool']);
    expect(ok(['--root', root, '--json', 'list']).json.packages.map((p: { name: string; requested: boolean }) => [p.name, p.requested])).toEqual([['app', false], ['libb', false], ['tool', true]]);
    const r = ok(['--root', root, '--json', 'remove', '--autoremove', 'tool']);
    expect(names(r.json.remove)).toEqual(['app 1.0', 'libb 2.0', 'tool 1.0']);
  });

  it('naming an installed dependency makes it requested, so autoremove keeps it', () => {
    const root = image();
    ok(['--root', root, 'install', 'tool']);
    // The mark is the only change, and it is said: no transaction, no paths to count (it said "nothing to do").
    expect(ok(['--root', root, 'install', '-n', 'libb']).stdout).toBe('would mark libb manual: it was installed as a dependency; autoremove keeps it now\n');
    expect(ok(['--root', root, 'install', '-n', 'libb', 'app']).stdout).toBe('would mark 2 packages manual: they were installed as dependencies; autoremove keeps them now (app and libb)\n');
    expect(ok(['--root', root, '--json', 'list', '--manual']).json.packages.map((p: { name: string }) => p.name)).toEqual(['tool']);
    expect(ok(['--root', root, 'install', 'libb']).stdout).toBe('marked libb manual: it was installed as a dependency; autoremove keeps it now\n');
    expect(ok(['--root', root, 'install', 'libb']).stdout).toBe('libb 2.0 is already installed: nothing to do\n');
    expect(ok(['--root', root, 'install', 'libb', 'tool']).stdout).toBe('libb 2.0 is already installed\ntool 1.0 is already installed\nnothing to do\n');
    expect(ok(['--root', root, '--json', 'install', 'app']).json).toMatchObject({ id: null, markedManual: ['app'] });
    ok(['--root', root, 'mark', 'auto', 'app']);
    // A plain remove names what it leaves behind; --autoremove takes it.
    const plain = ok(['--root', root, 'remove', '-n', 'tool']).stdout;
    expect(plain).toContain('1 package installed as a dependency is no longer needed: app (`zpkg remove --autoremove` removes it)\n');
    const r = ok(['--root', root, '--json', 'remove', '--autoremove', 'tool']);
    expect(names(r.json.remove)).toEqual(['app 1.0', 'tool 1.0']);
  });

  it('why prints the chain that keeps a package installed', () => {
    const root = image();
    ok(['--root', root, 'install', 'tool']);
    const chain = ok(['--root', root, '--json', 'why', 'libb']).json.chain;
    expect(chain.join('\n')).toMatch(/tool/);
    expect(chain.join('\n')).toMatch(/app/);
    expect(zpkg(['--root', root, '--json', 'why', 'nope']).json.error.code).toBe('E_NOT_INSTALLED');
  });
});
