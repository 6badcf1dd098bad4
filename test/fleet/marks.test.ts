// Issue 17 "auto / manual marks": `mark auto|manual`, `list --manual|--auto`, autoremove follows the marks.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ok, tempDir, writePackage, zpkg, TRUST } from '../helpers/zpkg.js';

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

const listed = (root: string, ...flags: string[]): string[] => ok(['--root', root, '--json', 'list', ...flags]).json.packages.map((p: { name: string }) => p.name);

beforeAll(() => {
  work = tempDir();
  repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  publish('lib', '1.0');
  publish('app', '1.0', { depends: ['lib'] });
});

describe('auto / manual marks', () => {
  it('list --manual and --auto split the installed set by mark', () => {
    const root = image();
    ok(['--root', root, 'install', 'app']);
    expect(listed(root, '--manual')).toEqual(['app']);
    expect(listed(root, '--auto')).toEqual(['lib']);
    expect(listed(root)).toEqual(['app', 'lib']);
  });

  it('mark manual keeps a dependency through autoremove; mark auto lets it go', () => {
    const root = image();
    ok(['--root', root, 'install', 'app']);
    const r = ok(['--root', root, '--json', 'mark', 'manual', 'lib']);
    expect(r.json.packages).toEqual([{ name: 'lib', version: '1.0', mark: 'manual', unchanged: false }]);
    expect(listed(root, '--manual')).toEqual(['app', 'lib']);
    expect(ok(['--root', root, '--json', 'remove', '--autoremove', 'app']).json.remove.map((p: { name: string }) => p.name)).toEqual(['app']);
    ok(['--root', root, 'mark', 'auto', 'lib']);
    // Nothing manual needs lib now: autoremove alone (no names) removes it.
    expect(ok(['--root', root, '--json', 'remove', '--autoremove']).json.remove.map((p: { name: string }) => p.name)).toEqual(['lib']);
    expect(listed(root)).toEqual([]);
  });

  it('mark auto on a requested package makes update --autoremove take it with its dependencies', () => {
    const root = image();
    ok(['--root', root, 'install', 'app']);
    ok(['--root', root, 'mark', 'auto', 'app']);
    const r = ok(['--root', root, '--json', 'update', '--autoremove']);
    expect(r.json.remove.map((p: { name: string }) => p.name).sort()).toEqual(['app', 'lib']);
  });

  it('marks a package already so without change, and refuses a package that is not installed with nothing changed', () => {
    const root = image();
    ok(['--root', root, 'install', 'app']);
    expect(ok(['--root', root, '--json', 'mark', 'manual', 'app']).json.packages[0].unchanged).toBe(true);
    const r = zpkg(['--root', root, '--json', 'mark', 'auto', 'lib', 'nope']);
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_NOT_INSTALLED');
    expect(r.json.error.message).toMatch(/nope/);
    expect(listed(root, '--auto')).toEqual(['lib']);
    expect(listed(root, '--manual')).toEqual(['app']);
    const bad = zpkg(['--root', root, 'mark', 'sideways', 'app']);
    expect(bad.status).toBe(2);
    const none = zpkg(['--root', root, '--json', 'remove']);
    expect(none.status).toBe(2);
    expect(none.json.error.code).toBe('E_USAGE');
  });
});
