// `zpkg repo import-index` and `zpkg repo check`, through the real binary: a
// hand-written index with known answers, then the real Debian index against
// libsolv's `installcheck`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decompressIndex } from '../src/repo/debian/index.js';
import { findPackagesIndex } from '#debian-index';
import { keyReason, parseInstallcheck, solvableNames } from '../bench/shared/installcheck.js';
import { REPO_ROOT, ok, snapshot, tempDir, zpkg } from './helpers/zpkg.js';

let work: string;
beforeAll(() => {
  work = tempDir('zpkg-import-check-');
});

/**
 * Every relation feature the importer maps, and the answers `repo check` must
 * give: the six `broken-*`, `needs-*` and `uses-broken` packages cannot be
 * installed on an empty image, everything else can.
 */
const INDEX = `Package: base
Version: 1.0-1
Architecture: amd64
Description: the base of everything
Size: 100
Installed-Size: 4

Package: libfoo1
Version: 2.0-1
Architecture: amd64
Pre-Depends: base (>= 1.0)
Description: a library
 reached only through Pre-Depends.
Size: 200
Installed-Size: 8

Package: postfix
Version: 3.7.11-0+deb12u1
Architecture: amd64
Depends: base
Provides: mail-transport-agent
Conflicts: mail-transport-agent, exim4
Replaces: mail-transport-agent
Description: a mail transport agent

Package: exim4
Version: 4.96-15
Architecture: amd64
Provides: mail-transport-agent
Conflicts: mail-transport-agent
Description: another mail transport agent

Package: app
Version: 1:1.0~rc1-2
Architecture: amd64
Pre-Depends: libfoo1 (>= 2.0)
Depends: mail-transport-agent | postfix, base:any
Recommends: not-in-the-index
Suggests: nor-this
Multi-Arch: foreign
Description: needs a virtual package through an alternative

Package: alt-ok
Version: 1
Architecture: all
Depends: no-such-package | base
Description: the first alternative is missing, the second is fine

Package: abi-provider
Version: 5
Architecture: amd64
Provides: foo-abi (= 2)
Description: a versioned virtual package

Package: needs-abi2
Version: 1
Architecture: all
Depends: foo-abi (>= 2)
Description: satisfied by the versioned provide

Package: needs-abi3
Version: 1
Architecture: all
Depends: foo-abi (>= 3)
Description: no provide is recent enough

Package: broken-missing
Version: 1.0
Architecture: all
Depends: base, does-not-exist (>= 1)
Description: depends on something no package provides

Package: broken-version
Version: 1.0
Architecture: all
Pre-Depends: libfoo1 (>= 3.0)
Description: Pre-Depends on a version nobody has

Package: broken-breaks
Version: 1.0
Architecture: all
Depends: libfoo1
Breaks: libfoo1 (<< 5)
Description: Breaks what it depends on

Package: needs-both-mta
Version: 1.0
Architecture: all
Depends: postfix, exim4
Description: two packages in conflict

Package: uses-broken
Version: 2.0
Architecture: all
Depends: broken-missing
Description: uninstallable because its dependency is

Package: no-version-here
Architecture: amd64
Description: a stanza the importer skips
`;

const INSTALLABLE = ['abi-provider', 'alt-ok', 'app', 'base', 'exim4', 'libfoo1', 'needs-abi2', 'postfix'];
const UNINSTALLABLE = ['broken-breaks 1.0', 'broken-missing 1.0', 'broken-version 1.0', 'needs-abi3 1', 'needs-both-mta 1.0', 'uses-broken 2.0'];

interface CheckJson {
  packages: number;
  uninstallable: { name: string; version: string; reason: string[] }[];
  seconds: number;
}

describe('repo import-index and repo check on a hand-written index', () => {
  let repo: string;
  let indexFile: string;

  beforeAll(() => {
    indexFile = join(work, 'Packages');
    writeFileSync(indexFile, INDEX);
    repo = join(work, 'small');
  });

  it('imports every stanza as a catalog entry, counting relations and reporting the skipped one', () => {
    const r = ok(['--json', 'repo', 'import-index', indexFile, '--repo', repo]).json;
    expect(r.packages).toBe(14);
    // app 3 (Pre-Depends + 2 Depends), libfoo1 1, postfix 1, alt-ok 1, needs-abi2 1, needs-abi3 1,
    // broken-missing 2, broken-version 1, broken-breaks 1, needs-both-mta 2, uses-broken 1.
    expect(r.dependencyClauses).toBe(15);
    expect(r.provides).toBe(3);
    expect(r.conflicts).toBe(4); // postfix 2, exim4 1, broken-breaks 1 (Breaks)
    expect(r.skipped).toEqual([{ package: 'no-version-here', reason: expect.stringMatching(/Version/) }]);
    expect(r.replaced).toBeNull();
    expect(r.version).toBe(1);
    // Catalog only: no manifests, no blobs.
    expect(existsSync(join(repo, 'manifests'))).toBe(false);
    expect(existsSync(join(repo, 'blobs'))).toBe(false);

    const text = ok(['repo', 'import-index', indexFile, '--repo', join(work, 'small-text')]).stdout;
    expect(text).toMatch(/imported 14 packages/);
    expect(text).toMatch(/15 dependency clauses .* 3 provides, 4 conflicts/);
    expect(text).toMatch(/1 stanzas skipped/);
    expect(text).toMatch(/no-version-here: .*Version/);
  });

  it('`repo list` shows the imported packages; `repo verify` accepts a catalog-only repository', () => {
    const list = ok(['--json', 'repo', 'list', repo]).json;
    const got = list.packages.map((p: { name: string; version: string; arch: string; manifest: string | null }) => `${p.name} ${p.version} ${p.arch} ${p.manifest}`);
    expect(got).toContain('app 1:1.0~rc1-2 amd64 null');
    expect(got).toContain('alt-ok 1 all null');
    expect(list.packages).toHaveLength(14);
    expect(ok(['repo', 'list', repo]).stdout).toMatch(/^postfix\s+3\.7\.11-0\+deb12u1\s+amd64/m);
    expect(ok(['--json', 'repo', 'verify', repo]).json.problems).toEqual([]);
  });

  it('`repo check` finds exactly the uninstallable packages, with reasons, and exits 1', () => {
    const r = zpkg(['--json', 'repo', 'check', repo]);
    expect(r.status).toBe(1);
    const j = r.json as CheckJson;
    expect(j.packages).toBe(14);
    expect(typeof j.seconds).toBe('number');
    expect(j.uninstallable.map((u) => `${u.name} ${u.version}`)).toEqual(UNINSTALLABLE);
    for (const name of INSTALLABLE) expect(j.uninstallable.map((u) => u.name)).not.toContain(name);
    const why = (name: string): string => j.uninstallable.find((u) => u.name === name)!.reason.join('\n');
    expect(why('broken-missing')).toMatch(/does-not-exist \(>= 1\)/);
    expect(why('broken-version')).toMatch(/libfoo1 \(>= 3\.0\)/);
    expect(why('broken-breaks')).toMatch(/conflicts with/);
    expect(why('broken-breaks')).toMatch(/libfoo1/);
    expect(why('needs-abi3')).toMatch(/foo-abi \(>= 3\)/);
    expect(why('needs-both-mta')).toMatch(/postfix/);
    expect(why('needs-both-mta')).toMatch(/exim4/);
    expect(why('uses-broken')).toMatch(/broken-missing/);

    const text = zpkg(['repo', 'check', repo]);
    expect(text.status).toBe(1);
    expect(text.stdout).toMatch(/^cannot install broken-missing 1\.0:\n {2}.*does-not-exist/m);
    expect(text.stdout).toMatch(/^14 packages: 6 cannot be installed \([0-9.]+ s\)$/m);
  });

  it('`repo check` exits 0 when every package is installable', () => {
    const clean = join(work, 'clean');
    const file = join(work, 'Packages-clean');
    writeFileSync(file, INDEX.split('\n\n').filter((s) => INSTALLABLE.some((n) => s.startsWith(`Package: ${n}\n`))).join('\n\n'));
    expect(ok(['--json', 'repo', 'import-index', file, '--repo', clean]).json.packages).toBe(INSTALLABLE.length);
    const r = ok(['--json', 'repo', 'check', clean]);
    expect(r.json.uninstallable).toEqual([]);
    expect(ok(['repo', 'check', clean]).stdout).toMatch(/^8 packages: all installable/m);
  });

  it('reads an LZ4 index and replaces the catalog of an existing repository', async () => {
    const { compressFrameSync } = await import('lz4-napi');
    const lz4 = join(work, 'Packages.lz4');
    writeFileSync(lz4, compressFrameSync(Buffer.from(INDEX.split('\n\n').slice(0, 3).join('\n\n'))));
    const before = ok(['--json', 'repo', 'list', repo]).json.version;
    const r = ok(['--json', 'repo', 'import-index', lz4, '--repo', repo]).json;
    expect(r.packages).toBe(3);
    expect(r.replaced).toEqual({ version: before, packages: 14 });
    expect(r.version).toBe(before + 1);
    expect(ok(['--json', 'repo', 'list', repo]).json.packages.map((p: { name: string }) => p.name).sort()).toEqual(['base', 'libfoo1', 'postfix']);
    expect(ok(['--json', 'repo', 'check', repo]).json.uninstallable).toEqual([]);
  });

  it('refuses bad input and changes nothing', () => {
    const target = join(work, 'refused');
    // An index of which nothing imports.
    const junk = join(work, 'junk');
    writeFileSync(junk, 'this is not\na Packages file\n');
    const a = zpkg(['--json', 'repo', 'import-index', junk, '--repo', target]);
    expect(a.status).toBe(1);
    expect(a.json.error.code).toBe('E_REPO_INVALID');
    expect(a.json.error.message).toMatch(/no stanza of .*junk.* could be imported/);
    const empty = join(work, 'empty');
    writeFileSync(empty, '\n');
    expect(zpkg(['--json', 'repo', 'import-index', empty, '--repo', target]).json.error.message).toMatch(/holds no package stanza/);
    // A missing file.
    const missing = zpkg(['--json', 'repo', 'import-index', join(work, 'nope'), '--repo', target]);
    expect(missing.status).toBe(1);
    expect(missing.json.error.code).toBe('E_IO');
    expect(existsSync(target)).toBe(false);
    // A directory that holds something else.
    const busy = join(work, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'keep-me'), 'x');
    const before = snapshot(busy);
    const b = zpkg(['--json', 'repo', 'import-index', indexFile, '--repo', busy]);
    expect(b.status).toBe(1);
    expect(b.json.error.code).toBe('E_REPO_EXISTS');
    expect(snapshot(busy)).toEqual(before);
    // Missing --repo is a usage error; `repo check` of a non-repository names it.
    expect(zpkg(['repo', 'import-index', indexFile]).status).toBe(2);
    const c = zpkg(['--json', 'repo', 'check', busy]);
    expect(c.status).toBe(1);
    expect(c.json.error.code).toBe('E_REPO_INVALID');
  });
});

// ---------------------------------------------------------------------------
// The real index against libsolv's installcheck.

const PYTHON = '/usr/bin/python3';
const realIndex = findPackagesIndex();
const haveLibsolv =
  existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import solv'], { stdio: 'ignore' }).status === 0 && spawnSync('installcheck', ['--help'], { stdio: 'ignore' }).error === undefined;

describe.skipIf(realIndex === undefined || !haveLibsolv)('repo check on the real Debian index agrees with installcheck', () => {
  it(`finds the same uninstallable packages as installcheck in ${realIndex ?? 'the index'}`, { timeout: 300_000 }, () => {
    const dir = join(work, 'real');
    mkdirSync(dir);
    const plain = join(dir, 'Packages');
    const plainBytes = decompressIndex(readFileSync(realIndex!), realIndex);
    writeFileSync(plain, plainBytes);
    const repo = join(dir, 'repo');

    const imported = ok(['--json', 'repo', 'import-index', realIndex!, '--repo', repo]).json;
    expect(imported.packages).toBeGreaterThan(50_000);
    expect(imported.skipped).toEqual([]);

    const check = zpkg(['--json', 'repo', 'check', repo]);
    expect([0, 1]).toContain(check.status);
    const j = check.json as CheckJson;
    expect(j.packages).toBe(imported.packages);
    for (const u of j.uninstallable) expect(u.reason.length).toBeGreaterThan(0);
    const zpkgSet = j.uninstallable.map((u) => `${u.name} ${u.version}`).sort();

    // libsolv: the same plain file through python3-solv into a .solv, then installcheck.
    const solv = join(dir, 'main.solv');
    execFileSync(PYTHON, [join(REPO_ROOT, 'bench', 'libsolv.py'), 'write-solv', plain, solv], { stdio: ['ignore', 'ignore', 'inherit'] });
    const ic = spawnSync('installcheck', ['amd64', solv], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect([0, 1]).toContain(ic.status);
    const { packages: icSet, unknown } = parseInstallcheck(ic.stdout, solvableNames(plainBytes.toString('utf8')));
    expect(unknown).toEqual([]);

    const onlyZpkg = zpkgSet.filter((p) => !icSet.includes(p));
    const onlyInstallcheck = icSet.filter((p) => !zpkgSet.includes(p));
    const reason = new Map(j.uninstallable.map((u) => [`${u.name} ${u.version}`, u.reason]));
    const report = [
      `installcheck: ${icSet.length} uninstallable, zpkg repo check: ${zpkgSet.length}`,
      ...onlyZpkg.map((p) => `only zpkg: ${p}: ${keyReason(reason.get(p) ?? [])}`),
      ...onlyInstallcheck.map((p) => `only installcheck: ${p}`),
    ].join('\n');
    if (onlyZpkg.length || onlyInstallcheck.length) console.error(report);
    expect({ onlyZpkg, onlyInstallcheck }, report).toEqual({ onlyZpkg: [], onlyInstallcheck: [] });
  });
});
