// Plan-time conflicts: overlapping paths, replaces taking a path over, directories whose attributes disagree.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ok, snapshot, tempDir, writePackage, zpkg, TRUST } from './helpers/zpkg.js';

let work: string;
let repo: string;

beforeAll(() => {
  work = tempDir();
  repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  const srcs = [
    writePackage(join(work, 'old'), { name: 'oldlib', version: '1' }, { 'usr/lib/libfoo.so.1': 'old\n', 'usr/share/doc/oldlib': 'doc\n' }),
    writePackage(join(work, 'new'), { name: 'newlib', version: '1', replaces: ['oldlib (<< 2)'] }, { 'usr/lib/libfoo.so.1': 'new\n' }),
    writePackage(join(work, 'rival'), { name: 'rival', version: '1' }, { 'usr/lib/libfoo.so.1': 'rival\n' }),
    writePackage(join(work, 'd1'), { name: 'dirs-a', version: '1', attributes: [{ path: 'srv/data', mode: '0755' }] }, { 'srv/data/a': 'a\n' }),
    writePackage(join(work, 'd2'), { name: 'dirs-b', version: '1', attributes: [{ path: 'srv/data', mode: '0700' }] }, { 'srv/data/b': 'b\n' }),
    writePackage(join(work, 'd3'), { name: 'dirs-c', version: '1', attributes: [{ path: 'srv/data', mode: '0755' }] }, { 'srv/data/c': 'c\n' }),
    writePackage(join(work, 'tb'), { name: 'tool-bundled', version: '1' }, { 'usr/bin/tool': 'bundled tool\n' }),
    writePackage(join(work, 'tf'), { name: 'tool-free', version: '1' }, { 'usr/bin/tool-free': 'free tool\n' }),
    writePackage(join(work, 'app'), { name: 'app', version: '1', depends: ['tool-bundled | tool-free'] }, { 'usr/bin/app': 'app\n' }),
  ];
  ok(['build', ...srcs, '--repo', repo]);
});

function image(name: string): string {
  const root = join(work, name);
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  return root;
}

describe('conflicts at plan time', () => {
  it('two packages in one transaction delivering the same path are refused before anything is written', () => {
    const root = image('img-both');
    const r = zpkg(['--root', root, '--json', 'install', 'oldlib', 'rival']);
    expect(r.json.error.code).toBe('E_FILE_CONFLICT');
    expect(r.json.error.message).toMatch(/oldlib 1 and rival 1 both deliver `usr\/lib\/libfoo.so.1`|rival 1 and oldlib 1 both deliver/);
    expect(existsSync(join(root, 'usr'))).toBe(false);
  });

  it('replaces lets a package take a path over; the old owner keeps the rest and its removal leaves the path', () => {
    const root = image('img-replaces');
    ok(['--root', root, 'install', 'oldlib']);
    expect(zpkg(['--root', root, '--json', 'install', 'rival']).json.error.hint).toMatch(/replaces: oldlib/);
    const r = ok(['--root', root, '--json', 'install', 'newlib']);
    expect(r.json.takenOver).toEqual([{ path: 'usr/lib/libfoo.so.1', from: 'oldlib', to: 'newlib' }]);
    expect(readFileSync(join(root, 'usr/lib/libfoo.so.1'), 'utf8')).toBe('new\n');
    expect(ok(['--root', root, '--json', 'owns', 'usr/lib/libfoo.so.1']).json.owners).toEqual(['newlib']);
    ok(['--root', root, 'remove', 'oldlib']);
    expect(readFileSync(join(root, 'usr/lib/libfoo.so.1'), 'utf8')).toBe('new\n');
    expect(existsSync(join(root, 'usr/share/doc/oldlib'))).toBe(false);
    expect(zpkg(['--root', root, 'verify']).status).toBe(0);
  });

  it('packages sharing a directory must agree on its mode and owner', () => {
    const root = image('img-dirs');
    ok(['--root', root, 'install', 'dirs-a', 'dirs-c']);
    const before = snapshot(root, (r) => r.startsWith('var/lib/zpkg'));
    const r = zpkg(['--root', root, '--json', 'install', 'dirs-b']);
    expect(r.json.error.code).toBe('E_FILE_CONFLICT');
    expect(r.json.error.message).toMatch(/dirs-b and dirs-[ac] deliver the directory `srv\/data` with different attributes \(0700 0:0 and 0755 0:0\)/);
    expect(snapshot(root, (x) => x.startsWith('var/lib/zpkg'))).toEqual(before);
    const fresh = image('img-dirs-2');
    expect(zpkg(['--root', fresh, '--json', 'install', 'dirs-a', 'dirs-b']).json.error.code).toBe('E_FILE_CONFLICT');
  });
});

describe('overlaps the solver sees', () => {
  it('a path an installed package holds rules out the alternative that delivers it, though no repository lists that package', () => {
    const root = image('img-base');
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    writeFileSync(join(root, 'usr/bin/tool'), "the base image's tool\n");
    // The base: no remote's file index knows its paths; the solver reads them from the state.
    ok(['--root', root, 'adopt', 'base', '1']);
    const plan = ok(['--root', root, '--json', 'install', '-n', 'app']).json;
    expect(plan.install.map((p: { name: string }) => p.name).sort()).toEqual(['app', 'tool-free']);
    ok(['--root', root, 'install', 'app']);
    expect(readFileSync(join(root, 'usr/bin/tool'), 'utf8')).toBe("the base image's tool\n");
  });
});
