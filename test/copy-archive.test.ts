/**
 * `repo copy` (only missing blobs transferred, counted) and `repo archive`
 * (one file, installed from in place as a remote).
 */
import { mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addRemote } from './helpers/servers.js';
import { ok, tempDir, writePackage, zpkg } from './helpers/zpkg.js';

function files(n: number, tag = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < n; i++) out[`usr/share/demo/${i}.txt`] = `content ${i}${tag}\n`;
  return out;
}

/** Two empty unsigned repositories, `src` and `dst`, under a fresh folder. */
function twoRepos(): { base: string; src: string; dst: string } {
  const base = tempDir();
  const src = join(base, 'src');
  const dst = join(base, 'dst');
  ok(['repo', 'create', src]);
  ok(['repo', 'create', dst]);
  return { base, src, dst };
}

describe('repo copy', () => {
  it('transfers only the blobs the destination lacks, and commits the destination', () => {
    const { base, src, dst } = twoRepos();
    ok(['build', writePackage(join(base, 'a1'), { name: 'alpha', version: '1' }, files(10)), writePackage(join(base, 'b1'), { name: 'beta', version: '1' }, { 'usr/bin/beta': 'b\n' }), '--repo', src]);
    const first = ok(['--json', 'repo', 'copy', src, dst, 'alpha']).json;
    expect(first.packages).toEqual([{ name: 'alpha', version: '1', status: 'added' }]);
    expect(first.blobsCopied).toBe(10);
    expect(first.repoVersion).toBe(2);
    // alpha 2 changes 2 of its 10 files: a copy of everything transfers those 2 and beta's 1.
    const changed = { ...files(10), 'usr/share/demo/0.txt': 'new 0\n', 'usr/share/demo/1.txt': 'new 1\n' };
    ok(['build', writePackage(join(base, 'a2'), { name: 'alpha', version: '2' }, changed), '--repo', src]);
    const second = ok(['--json', 'repo', 'copy', src, dst]).json;
    expect(second.blobsCopied).toBe(3);
    expect(second.blobsPresent).toBe(8);
    expect(second.packages.find((p: any) => p.version === '1' && p.name === 'alpha').status).toBe('unchanged');
    const again = ok(['--json', 'repo', 'copy', src, dst]).json;
    expect(again.blobsCopied).toBe(0);
    expect(again.repoVersion).toBe(second.repoVersion);
    ok(['repo', 'verify', dst]);
    const root = tempDir();
    addRemote(root, 'dst', dst);
    ok(['--root', root, 'install', 'alpha', 'beta']);
    expect(readFileSync(join(root, 'usr/share/demo/0.txt'), 'utf8')).toBe('new 0\n');
  });

  it('refuses an unknown package and a conflicting one, leaving the destination as it was', () => {
    const { base, src, dst } = twoRepos();
    ok(['build', writePackage(join(base, 'a'), { name: 'alpha', version: '1' }, files(2)), '--repo', src]);
    ok(['build', writePackage(join(base, 'a-other'), { name: 'alpha', version: '1' }, files(2, ' other')), '--repo', dst]);
    const rootBefore = readFileSync(join(dst, 'root.json'));
    expect(zpkg(['--json', 'repo', 'copy', src, dst, 'nosuch']).json.error.code).toBe('E_PACKAGE_UNKNOWN');
    expect(zpkg(['--json', 'repo', 'copy', src, dst]).json.error.code).toBe('E_PACKAGE_EXISTS');
    expect(readFileSync(join(dst, 'root.json')).equals(rootBefore)).toBe(true);
  });
});

describe('repo copy --with-deps', () => {
  it('adds what the named packages need and the destination lacks, preferring what it holds', () => {
    const { base, src, dst } = twoRepos();
    const pkg = (name: string, version: string, depends: string[] = []) => writePackage(join(base, `${name}-${version}`), { name, version, depends }, { [`usr/share/${name}/${version}`]: `${name} ${version}\n` });
    ok(['build', pkg('app', '1', ['lib (>= 2)', 'tool']), pkg('lib', '1'), pkg('lib', '2', ['base']), pkg('lib', '3', ['base']), pkg('base', '1'), pkg('tool', '1'), pkg('tool', '2'), '--repo', src]);
    // The destination already holds tool 1 (older than the source's) and base 1.
    ok(['repo', 'copy', src, dst, 'tool@1', 'base']);
    const r = ok(['--json', 'repo', 'copy', src, dst, 'app', '--with-deps']).json;
    expect(r.packages).toEqual([
      { name: 'app', version: '1', status: 'added' },
      { name: 'lib', version: '3', status: 'added', dependency: true },
    ]);
    expect(ok(['--json', 'repo', 'check', dst]).json.uninstallable).toEqual([]);
    const root = tempDir();
    addRemote(root, 'dst', dst);
    ok(['--root', root, 'install', 'app']);
    expect(ok(['--root', root, '--json', 'list']).json.packages.map((p: any) => `${p.name} ${p.version}`)).toEqual(['app 1', 'base 1', 'lib 3', 'tool 1']);
    // The terminal names what came along.
    const other = join(base, 'other');
    ok(['repo', 'create', other]);
    expect(ok(['repo', 'copy', src, other, 'lib@2', '--with-deps']).stdout).toContain('copied 2 of 2 packages (with 1 dependency: base 1) into');
  });

  it("an `all` package brings what each architecture's image needs, not one architecture's libraries for all", () => {
    const { base, src, dst } = twoRepos();
    const lib = (arch: string) => writePackage(join(base, `lib-${arch}`), { name: 'lib', version: '1', arch }, { [`usr/lib/lib-${arch}.so`]: `${arch}\n` });
    ok(['build', writePackage(join(base, 'app'), { name: 'app', version: '1', depends: ['lib'] }, { 'usr/share/app/app.txt': 'app\n' }), lib('amd64'), lib('arm64'), '--repo', src]);
    // Before: one solve over every build, which brought one architecture's lib for both.
    const r = ok(['--json', 'repo', 'copy', src, dst, 'app', '--with-deps']).json;
    expect(r.packages).toEqual([
      { name: 'app', version: '1', status: 'added' },
      { name: 'lib', version: '1', arch: 'amd64', status: 'added', dependency: true },
      { name: 'lib', version: '1', arch: 'arm64', status: 'added', dependency: true },
    ]);
    for (const arch of ['amd64', 'arm64']) {
      const root = tempDir();
      mkdirSync(join(root, 'etc/zpkg'), { recursive: true });
      writeFileSync(join(root, 'etc/zpkg/zpkg.yaml'), `arch: ${arch}\n`);
      addRemote(root, 'dst', dst);
      ok(['--root', root, 'install', 'app']);
      expect(readFileSync(join(root, `usr/lib/lib-${arch}.so`), 'utf8')).toBe(`${arch}\n`);
    }
    const other = join(base, 'other');
    ok(['repo', 'create', other]);
    expect(ok(['repo', 'copy', src, other, 'app', '--with-deps']).stdout).toContain('(with 2 dependencies: lib 1 (amd64), lib 1 (arm64))');
  });

  it('refuses, copying nothing, when the two repositories together cannot satisfy a package', () => {
    const { base, src, dst } = twoRepos();
    ok(['build', writePackage(join(base, 'a'), { name: 'app', version: '1', depends: ['gone'] }, { 'usr/bin/app': 'a\n' }), writePackage(join(base, 'b'), { name: 'fine', version: '1' }, { 'usr/bin/fine': 'f\n' }), '--repo', src]);
    const rootBefore = readFileSync(join(dst, 'root.json'));
    const r = zpkg(['repo', 'copy', src, dst, 'fine', 'app', '--with-deps']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`error: cannot copy app 1 with its dependencies: ${src} and ${dst} together do not satisfy them\n  \`app 1\` depends on \`gone\`, which no available package satisfies\n`);
    expect(readFileSync(join(dst, 'root.json')).equals(rootBefore)).toBe(true);
    // Without --with-deps the copy is as asked, and repo check says what is missing.
    ok(['repo', 'copy', src, dst, 'app']);
    expect(zpkg(['--json', 'repo', 'check', dst]).json.uninstallable.map((u: any) => u.name)).toEqual(['app']);
  });
});

describe('repo archive', () => {
  it('writes one file that installs as a remote, read in place', () => {
    const base = tempDir();
    const src = join(base, 'src');
    ok(['repo', 'create', src]);
    ok(['build', writePackage(join(base, 'a'), { name: 'alpha', version: '1', depends: ['beta'] }, files(20)), writePackage(join(base, 'b'), { name: 'beta', version: '1' }, { 'usr/bin/beta': 'b\n' }), '--repo', src]);
    const file = join(base, 'offline.zpar');
    const r = ok(['--json', 'repo', 'archive', src, file]).json;
    expect(r.packages).toBe(2);
    expect(r.files).toBe(1 + 1 + 1 + 2 + 1); // root, catalog, file index, 2 records, 1 pack (the 21 blobs of one publish)
    expect(statSync(file).size).toBe(r.bytes);
    expect(ok(['--json', 'repo', 'list', file]).json.packages.map((p: any) => p.name).sort()).toEqual(['alpha', 'beta']);
    ok(['repo', 'verify', file]);
    const root = tempDir();
    addRemote(root, 'offline', file);
    ok(['--root', root, 'install', 'alpha']);
    expect(readFileSync(join(root, 'usr/share/demo/19.txt'), 'utf8')).toBe('content 19\n');
    expect(readFileSync(join(root, 'usr/bin/beta'), 'utf8')).toBe('b\n');
    // An archive is also a source for repo copy.
    const dst = join(base, 'dst');
    ok(['repo', 'create', dst]);
    expect(ok(['--json', 'repo', 'copy', file, dst]).json.blobsCopied).toBe(21);
  });

  it('a damaged archive is refused with the reason', () => {
    const base = tempDir();
    const src = join(base, 'src');
    ok(['repo', 'create', src]);
    ok(['build', writePackage(join(base, 'a'), { name: 'alpha', version: '1' }, files(2)), '--repo', src]);
    const file = join(base, 'a.zpar');
    ok(['repo', 'archive', src, file]);
    truncateSync(file, statSync(file).size - 10);
    const cut = zpkg(['--json', 'repo', 'list', file]);
    expect(cut.json.error.code).toBe('E_REPO_INVALID');
    expect(cut.json.error.message).toMatch(/no trailer/);
    const junk = join(base, 'junk.zpar');
    writeFileSync(junk, 'this is not an archive at all, just text');
    expect(zpkg(['--json', 'repo', 'list', junk]).json.error.message).toMatch(/no archive magic/);
    const intoArchive = zpkg(['--json', 'build', join(base, 'a'), '--repo', file]);
    expect(intoArchive.json.error.code).toBe('E_URL_INVALID');
    expect(intoArchive.status).toBe(1);
  });
});
