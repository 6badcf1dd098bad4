// Issue 17 "version locks with ranges, and excluding a bad release": `hold "NAME (< 2.0)"`, `hold --reason`,
// `exclude:` in etc/zpkg/zpkg.yaml, `why-not NAME=VERSION`.
import Database from 'better-sqlite3';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectRefused, hostileImage, hostileWorld } from '../helpers/hostile.js';
import { ok, tempDir, writePackage, zpkg, TRUST } from '../helpers/zpkg.js';

let work: string;
let repo: string;
let n = 0;

function publish(name: string, version: string, extra: Record<string, unknown> = {}): void {
  const src = writePackage(join(work, `src-${name}-${version}-${n++}`), { name, version, ...extra }, { [`usr/share/${name}/v`]: `${name} ${version}\n` });
  ok(['build', src, '--repo', repo]);
}

function image(config?: string): string {
  const root = join(work, `img-${n++}`);
  if (config !== undefined) {
    mkdirSync(join(root, 'etc/zpkg'), { recursive: true });
    writeFileSync(join(root, 'etc/zpkg/zpkg.yaml'), config);
  }
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  return root;
}

const version = (root: string, name: string): string | undefined => ok(['--root', root, '--json', 'list']).json.packages.find((p: { name: string }) => p.name === name)?.version;

beforeAll(() => {
  work = tempDir();
  repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  for (const v of ['1.0', '1.5', '2.0', '2.3.1', '2.4']) publish('db', v);
  publish('app', '1.0', { depends: ['db (>= 2.0)'] });
});

describe('version locks with ranges', () => {
  it('hold "NAME (< 2.0)" lets update move inside the range only, and says why with the reason', () => {
    const root = image();
    ok(['--root', root, 'install', 'db=1.0']);
    const r = ok(['--root', root, '--json', 'hold', 'db (<< 2.0)', '--reason', 'schema migration in 2.0 not tested']);
    expect(r.json.packages).toEqual([{ name: 'db', version: '1.0', held: false, range: 'db (<< 2.0)', reason: 'schema migration in 2.0 not tested' }]);
    expect(ok(['--root', root, '--json', 'update']).json.upgrade).toEqual([{ name: 'db', from: '1.0', to: '1.5' }]);
    expect(ok(['--root', root, '--json', 'hold']).json.holds).toEqual([{ name: 'db', version: '1.5', held: false, range: 'db (<< 2.0)', reason: 'schema migration in 2.0 not tested' }]);
    const blocked = zpkg(['--root', root, '--json', 'install', 'db=2.0']);
    expect(blocked.status).toBe(1);
    expect(blocked.json.error.code).toBe('E_EXCLUDED');
    expect(blocked.json.error.message).toMatch(/db \(<< 2\.0\).*schema migration/);
    // A dependent that needs the locked-out versions: unsatisfiable, and the explanation names the hold.
    const dep = zpkg(['--root', root, '--json', 'install', 'app']);
    expect(dep.json.error.code).toBe('E_UNSATISFIABLE');
    expect(dep.json.error.explanation.join('\n')).toMatch(/db 2\.4 is not a candidate: the hold `db \(<< 2\.0\)`/);
    const w = ok(['--root', root, '--json', 'why-not', 'db=2.4']).json;
    expect(w.reasons.map((x: { kind: string }) => x.kind)).toEqual(['lock']);
    expect(w.reasons[0].text).toMatch(/schema migration/);
    ok(['--root', root, 'unhold', 'db']);
    expect(ok(['--root', root, '--json', 'hold']).json.holds).toEqual([]);
    expect(ok(['--root', root, '--json', 'update']).json.upgrade).toEqual([{ name: 'db', from: '1.5', to: '2.4' }]);
  });

  it('a range lock on a package not installed yet decides what install picks', () => {
    const root = image();
    ok(['--root', root, 'hold', 'db (<= 2.0)']);
    ok(['--root', root, 'install', 'app']);
    expect(version(root, 'db')).toBe('2.0');
    // A stored range that no longer parses (state.db damaged by hand) is named as the state's, not as a relation someone typed.
    const db = new Database(join(root, 'var/lib/zpkg/state.db'));
    db.prepare("UPDATE holds SET range = 'db (<= ' WHERE name = 'db'").run();
    db.close();
    const r = zpkg(['--root', root, '--json', 'hold']);
    expect(r.json.error.code).toBe('E_STATE_CORRUPT');
    expect(r.json.error.message).toBe('state.db: the hold of db: relation `db (<= ` is invalid: cannot read `db (<=` as `name` or `name (op version)`');
  });

  it('hold --reason on an exact hold is listed; a range that leaves out the installed version is refused and changes nothing', () => {
    const root = image();
    ok(['--root', root, 'install', 'db=2.0']);
    ok(['--root', root, 'hold', 'db', '--reason', 'pinned by ops ticket 42']);
    expect(ok(['--root', root, '--json', 'hold']).json.holds).toEqual([{ name: 'db', version: '2.0', held: true, range: null, reason: 'pinned by ops ticket 42' }]);
    expect(ok(['--root', root, '--json', 'why-not', 'db=2.4']).json.reasons).toEqual([{ kind: 'held', text: 'db is held at 2.0 (zpkg unhold db)' }]);
    // The installed version itself: nothing keeps it out, and the text says so (it said "db 2.0 is out because: db 2.0 is installed").
    expect(ok(['--root', root, 'why-not', 'db=2.0']).stdout).toMatch(/^db 2\.0 is installed: nothing keeps it out/);
    const r = zpkg(['--root', root, '--json', 'hold', 'db (>= 2.3)']);
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_EXCLUDED');
    expect(r.json.error.message).toMatch(/installed db 2\.0/);
    expect(ok(['--root', root, '--json', 'hold']).json.holds[0]).toMatchObject({ held: true, range: null });
    const bad = zpkg(['--root', root, '--json', 'hold', 'db (<< ']);
    expect(bad.json.error.code).toBe('E_RELATION_INVALID');
    // It said "relation `hold `db (<< `` is invalid": the hold's own words nested inside the relation's.
    expect(bad.json.error.message).toBe('relation `db (<< ` is invalid: cannot read `db (<<` as `name` or `name (op version)`');
    expect(zpkg(['--root', root, '--json', 'hold', 'nope']).json.error.code).toBe('E_NOT_INSTALLED');
    expect(zpkg(['--root', root, '--json', 'unhold', 'nope']).json.error.code).toBe('E_NOT_INSTALLED');
  });
});

describe('exclude in zpkg.yaml', () => {
  it('an excluded release is never chosen: install and update skip it, naming it refuses with E_EXCLUDED', () => {
    const root = image('exclude: ["db (= 2.4)"]\n');
    ok(['--root', root, 'install', 'app']);
    expect(version(root, 'db')).toBe('2.3.1');
    const r = zpkg(['--root', root, '--json', 'install', 'db=2.4']);
    expect(r.json.error.code).toBe('E_EXCLUDED');
    expect(r.json.error.message).toMatch(/`exclude: db \(= 2\.4\)` in etc\/zpkg\/zpkg\.yaml/);
    expect(ok(['--root', root, '--json', 'update']).json.upgrade).toEqual([]);
    const w = ok(['--root', root, '--json', 'why-not', 'db=2.4']).json;
    expect(w).toMatchObject({ name: 'db', version: '2.4', newer: null });
    expect(w.reasons).toEqual([{ kind: 'exclude', text: '`exclude: db (= 2.4)` in etc/zpkg/zpkg.yaml excludes it' }]);
  });

  it('why-not names the relation that keeps a version out, and nothing when it could land', () => {
    const root = image();
    ok(['--root', root, 'install', 'app']);
    const w = ok(['--root', root, '--json', 'why-not', 'db=1.5']).json;
    expect(w.reasons.map((x: { kind: string }) => x.kind)).toContain('relation');
    expect(w.reasons.map((x: { text: string }) => x.text).join('\n')).toMatch(/app/);
    const free = ok(['--root', root, '--json', 'why-not', 'db=2.3.1']).json;
    expect(free).toEqual({ name: 'db', version: '2.3.1', reasons: [], newer: '2.4' });
    expect(ok(['--root', root, 'why-not', 'db=2.3.1']).stdout).toMatch(/nothing keeps db 2\.3\.1 out/);
    expect(zpkg(['--root', root, '--json', 'why-not', 'db=9']).json.error.code).toBe('E_VERSION_UNKNOWN');
    expect(zpkg(['--root', root, '--json', 'why-not', 'db>=2']).status).toBe(2);
  });

  it('a malformed exclude is refused with E_CONFIG_INVALID, image and state unchanged', () => {
    const world = hostileWorld();
    const root = hostileImage(world, 'bad-exclude', { repo, setup: (r) => {
      mkdirSync(join(r, 'etc/zpkg'), { recursive: true });
      writeFileSync(join(r, 'etc/zpkg/zpkg.yaml'), 'exclude: ["db (=="]\n');
    } });
    expectRefused(world, root, ['install', 'db'], { code: 'E_CONFIG_INVALID', message: /exclude/ });
    writeFileSync(join(root, 'etc/zpkg/zpkg.yaml'), 'exclude: db\n');
    expectRefused(world, root, ['install', 'db'], { code: 'E_CONFIG_INVALID', message: /exclude/ });
    writeFileSync(join(root, 'etc/zpkg/zpkg.yaml'), 'arch: all\n');
    expectRefused(world, root, ['install', 'db'], { code: 'E_CONFIG_INVALID', message: /arch/ });
  });
});
