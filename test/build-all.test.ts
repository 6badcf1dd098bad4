// `zpkg build --all`: incremental (up to date unless the recipe, a source, a file or the repository
// changed), failure isolation, and the closing consistency check over the output repository.
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readManifest, tarball, writeRecipe } from './helpers/recipes.js';
import { ok, snapshot, tempDir, zpkg } from './helpers/zpkg.js';

let work: string;
const env = (): Record<string, string> => ({ XDG_CACHE_HOME: join(work, 'cache') });
const names = (list: { name: string }[]): string[] => list.map((p) => p.name).sort();

function all(recipes: string, repo: string, ...more: string[]): ReturnType<typeof zpkg> {
  return zpkg(['--json', 'build', '--all', recipes, '--repo', repo, ...more], { env: env() });
}

beforeAll(() => {
  work = tempDir('zpkg-build-all-');
});

describe('build --all is incremental', () => {
  let recipes: string;
  let repo: string;
  beforeAll(() => {
    recipes = join(work, 'recipes');
    repo = join(work, 'repo');
    ok(['repo', 'create', repo]);
    tarball(join(recipes, 'libgreet/src/libgreet-1.0.tar.gz'), 'libgreet-1.0', { 'greet.sh': 'greet() { echo "hi $1"; }\n' });
    writeRecipe(join(recipes, 'libgreet'), {
      name: 'libgreet', version: '1.0', provides: ['greeting-lib'],
      sources: [{ path: 'src/libgreet-1.0.tar.gz', strip: 1 }],
      build: 'install -D -m 0644 "$ZPKG_SRCDIR/greet.sh" "$ZPKG_DESTDIR/usr/lib/greet/greet.sh"',
    });
    writeRecipe(join(recipes, 'hello'), {
      name: 'hello', version: '1.0', depends: ['greeting-lib'],
      build: 'install -D -m 0755 /dev/null "$ZPKG_DESTDIR/usr/bin/hello"\nprintf "#!/bin/sh\\n. /usr/lib/greet/greet.sh\\ngreet \\"$@\\"\\n" > "$ZPKG_DESTDIR/usr/bin/hello"',
      hooks: { 'post-install': 'hooks/post-install' },
    }, { 'hooks/post-install': '#!/bin/sh\necho installed\n' });
    // A plain tree (issue 2's root:) in a nested group directory.
    writeRecipe(join(recipes, 'base/zos-base'), { name: 'zos-base', version: '1', root: 'root' }, { 'root/etc/os-release': 'NAME=zos\n' });
  });

  it('builds every recipe the first time, publishes them together, and checks the set', () => {
    const before = JSON.parse(readFileSync(join(repo, 'root.json'), 'utf8')).signed.version;
    const r = all(recipes, repo);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(names(r.json.built)).toEqual(['hello', 'libgreet', 'zos-base']);
    expect(r.json.built.every((b: { status: string }) => b.status === 'added')).toBe(true);
    expect(r.json.upToDate).toEqual([]);
    expect(r.json.failed).toEqual([]);
    expect(r.json.check).toMatchObject({ packages: 3, uninstallable: [] });
    // One repository version for the whole run.
    expect(JSON.parse(readFileSync(join(repo, 'root.json'), 'utf8')).signed.version).toBe(before + 1);
    // The state records the inputs and the manifest; its directory ignores itself in git.
    const state = JSON.parse(readFileSync(join(recipes, 'hello/.zpkg-build/state.json'), 'utf8'));
    expect(state).toMatchObject({ format: 1, name: 'hello', version: '1.0', manifest: r.json.built.find((b: { name: string }) => b.name === 'hello').manifest });
    expect(readFileSync(join(recipes, 'hello/.zpkg-build/.gitignore'), 'utf8')).toMatch(/^\*$/m);
  });

  it('a second run finds everything up to date and writes nothing', () => {
    const before = snapshot(repo);
    const r = all(recipes, repo);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.json.built).toEqual([]);
    expect(names(r.json.upToDate)).toEqual(['hello', 'libgreet', 'zos-base']);
    expect(r.json.publish).toBeUndefined();
    expect(r.json.check.uninstallable).toEqual([]);
    expect(snapshot(repo)).toEqual(before);
    const text = zpkg(['build', '--all', recipes, '--repo', repo], { env: env() });
    expect(text.stdout).toMatch(/^up to date {2}hello 1\.0$/m);
    expect(text.stdout).toMatch(/^check: 3 packages, all installable$/m);
    expect(text.stdout).toMatch(/^0 built, 3 up to date, 0 failed$/m);
  });

  it('touching a file without changing it rebuilds nothing (inputs are contents, not times)', () => {
    utimesSync(join(recipes, 'hello/zpkg.yaml'), new Date(), new Date(Date.now() + 60_000));
    expect(all(recipes, repo).json.built).toEqual([]);
  });

  it('a changed source rebuilds only its recipe; the same version with other content needs --replace', () => {
    tarball(join(recipes, 'libgreet/src/libgreet-1.0.tar.gz'), 'libgreet-1.0', { 'greet.sh': 'greet() { echo "hello $1"; }\n' });
    const refused = all(recipes, repo);
    expect(refused.status).toBe(1);
    expect(refused.json.failed).toMatchObject([{ name: 'libgreet', error: { code: 'E_PACKAGE_EXISTS' } }]);
    expect(names(refused.json.upToDate)).toEqual(['hello', 'zos-base']);
    const r = all(recipes, repo, '--replace');
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.json.built).toMatchObject([{ name: 'libgreet', status: 'replaced' }]);
    expect(names(r.json.upToDate)).toEqual(['hello', 'zos-base']);
  });

  it('a changed recipe rebuilds only that one', () => {
    writeFileSync(join(recipes, 'hello/zpkg.yaml'), readFileSync(join(recipes, 'hello/zpkg.yaml'), 'utf8').replace('version: "1.0"', 'version: "1.1"'));
    const r = all(recipes, repo);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.json.built).toMatchObject([{ name: 'hello', version: '1.1', status: 'added' }]);
    expect(names(r.json.upToDate)).toEqual(['libgreet', 'zos-base']);
  });

  it('a changed hook or tree file rebuilds only its recipe', () => {
    writeFileSync(join(recipes, 'hello/hooks/post-install'), '#!/bin/sh\necho installed, really\n');
    writeFileSync(join(recipes, 'base/zos-base/root/etc/os-release'), 'NAME=zos\nVERSION=4\n');
    const r = all(recipes, repo, '--replace');
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(names(r.json.built)).toEqual(['hello', 'zos-base']);
    expect(names(r.json.upToDate)).toEqual(['libgreet']);
    const hello = readManifest(repo, r.json.built.find((b: { name: string }) => b.name === 'hello').manifest);
    expect(hello.hooks?.['post-install']?.size).toBe('#!/bin/sh\necho installed, really\n'.length);
  });

  it('a package gone from the repository is not up to date, whatever the state says', () => {
    ok(['repo', 'remove', repo, 'zos-base@1']);
    const r = all(recipes, repo);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.json.built).toMatchObject([{ name: 'zos-base', status: 'added' }]);
    expect(names(r.json.upToDate)).toEqual(['hello', 'libgreet']);
    // Another, empty repository has none of them: all are built for it.
    const other = join(work, 'other-repo');
    ok(['repo', 'create', other]);
    expect(names(all(recipes, other).json.built)).toEqual(['hello', 'libgreet', 'zos-base']);
  });

  it('--force builds everything again', () => {
    const r = all(recipes, repo, '--force');
    expect(names(r.json.built)).toEqual(['hello', 'libgreet', 'zos-base']);
    expect(r.json.built.every((b: { status: string }) => b.status === 'unchanged')).toBe(true);
  });
});

describe('build --all isolates failures', () => {
  it('a failing recipe is reported, the others are published, and the run exits 1', () => {
    const recipes = join(work, 'mixed');
    const repo = join(work, 'mixed-repo');
    ok(['repo', 'create', repo]);
    writeRecipe(join(recipes, 'a-ok'), { name: 'a-ok', version: '1', build: 'mkdir -p "$ZPKG_DESTDIR/opt" && echo a > "$ZPKG_DESTDIR/opt/a"' });
    writeRecipe(join(recipes, 'b-broken'), { name: 'b-broken', version: '1', build: 'echo compiling\necho "cc: fatal error" >&2\nexit 2' });
    writeRecipe(join(recipes, 'c-typo'), { name: 'c-typo', version: '1', biuld: 'true' });
    writeRecipe(join(recipes, 'd-ok'), { name: 'd-ok', version: '1', root: 'root' }, { 'root/opt/d': 'd\n' });
    writeRecipe(join(recipes, 'e-dup'), { name: 'a-ok', version: '1', root: 'root' }, { 'root/opt/e': 'e\n' });
    const r = all(recipes, repo);
    expect(r.status).toBe(1);
    expect(names(r.json.built)).toEqual(['a-ok', 'd-ok']);
    const failed = Object.fromEntries(r.json.failed.map((f: { dir: string; error: unknown }) => [f.dir.split('/').pop(), f]));
    expect(Object.keys(failed).sort()).toEqual(['b-broken', 'c-typo', 'e-dup']);
    expect(failed['b-broken']).toMatchObject({ name: 'b-broken', error: { code: 'E_BUILD_FAILED' } });
    expect(failed['b-broken'].error.tail[0]).toMatch(/^# zpkg build b-broken 1 — /);
    expect(failed['b-broken'].error.tail.slice(1)).toEqual(['compiling', 'cc: fatal error']);
    expect(existsSync(failed['b-broken'].error.log)).toBe(true);
    expect(failed['c-typo'].name).toBeUndefined();
    expect(failed['c-typo'].error).toMatchObject({ code: 'E_RECIPE_INVALID', message: expect.stringMatching(/unknown key `biuld`/) });
    expect(failed['e-dup'].error.message).toMatch(/a-ok 1 is also made by .*a-ok\/zpkg\.yaml in this run/);
    expect(names(ok(['--json', 'repo', 'list', repo]).json.packages)).toEqual(['a-ok', 'd-ok']);
    // A failed recipe records no state: it is tried again next time, while the others are up to date.
    const again = all(recipes, repo);
    expect(names(again.json.upToDate)).toEqual(['a-ok', 'd-ok']);
    expect(again.json.failed).toHaveLength(3);
    const text = zpkg(['build', '--all', recipes, '--repo', repo], { env: env() });
    expect(text.status).toBe(1);
    expect(text.stdout).toMatch(/^failed {6}b-broken: the build script of b-broken 1 failed \(exit status 2\)[^\n]*\n {14}# zpkg build[^\n]*\n {14}compiling\n {14}cc: fatal error\n/m);
  });

  it('build DIR... (without --all) stops at the first failure and publishes nothing', () => {
    const repo = join(work, 'strict-repo');
    ok(['repo', 'create', repo]);
    const good = writeRecipe(join(work, 'strict/good'), { name: 'good', version: '1', root: 'root' }, { 'root/opt/g': 'g\n' });
    const bad = writeRecipe(join(work, 'strict/bad'), { name: 'bad', version: '1', build: 'exit 1' });
    const before = snapshot(repo);
    const r = zpkg(['--json', 'build', good, bad, '--repo', repo], { env: env() });
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_BUILD_FAILED');
    expect(snapshot(repo)).toEqual(before);
  });

  it('usage errors: both forms at once or neither; a directory without recipes is not found', () => {
    const empty = tempDir('zpkg-no-recipes-');
    expect(zpkg(['--json', 'build']).json.error.code).toBe('E_USAGE');
    expect(zpkg(['--json', 'build', 'x', '--all', empty]).json.error.code).toBe('E_USAGE');
    const none = zpkg(['--json', 'build', '--all', empty]);
    expect(none.status).toBe(1);
    expect(none.json.error.code).toBe('E_NOT_FOUND');
    expect(none.json.error.message).toMatch(/no recipe \(zpkg\.yaml\) under/);
    const missing = zpkg(['--json', 'build', '--all', join(empty, 'nope')]);
    expect([missing.status, missing.json.error.code]).toEqual([1, 'E_NOT_FOUND']);
    expect(missing.json.error.message).toMatch(/does not exist/);
    const file = join(empty, 'file');
    writeFileSync(file, 'x');
    expect(zpkg(['--json', 'build', '--all', file]).json.error).toMatchObject({ code: 'E_NOT_FOUND', message: expect.stringMatching(/is not a directory/) });
  });
});

describe('build --all ends with the consistency check', () => {
  it('fails when a newly built package cannot be installed, and says why', () => {
    const recipes = join(work, 'broken-set');
    const repo = join(work, 'broken-repo');
    ok(['repo', 'create', repo]);
    writeRecipe(join(recipes, 'app'), { name: 'app', version: '1', depends: ['libmissing (>= 2)'], root: 'root' }, { 'root/opt/app': 'app\n' });
    writeRecipe(join(recipes, 'fine'), { name: 'fine', version: '1', root: 'root' }, { 'root/opt/fine': 'fine\n' });
    const r = all(recipes, repo);
    expect(r.status).toBe(1);
    expect(names(r.json.built)).toEqual(['app', 'fine']);
    expect(r.json.failed).toEqual([]);
    expect(r.json.check.packages).toBe(2);
    expect(r.json.check.uninstallable).toHaveLength(1);
    expect(r.json.check.uninstallable[0]).toMatchObject({ name: 'app', version: '1', builtNow: true });
    expect(r.json.check.uninstallable[0].reason.join('\n')).toMatch(/libmissing/);
    // Still failing on the next run, though nothing is built: the repository is what is checked.
    const again = zpkg(['build', '--all', recipes, '--repo', repo], { env: env() });
    expect(again.status).toBe(1);
    expect(again.stdout).toMatch(/^cannot install app 1:\n {2}.*libmissing/m);
    expect(again.stdout).toMatch(/^check: 2 packages, 1 cannot be installed$/m);
    // Providing the missing library makes the set whole again.
    writeRecipe(join(recipes, 'libmissing'), { name: 'libmissing', version: '2.1', root: 'root' }, { 'root/opt/lib': 'lib\n' });
    const fixed = all(recipes, repo);
    expect(fixed.status, fixed.stdout).toBe(0);
    expect(fixed.json.built).toMatchObject([{ name: 'libmissing' }]);
    expect(fixed.json.check).toMatchObject({ packages: 3, uninstallable: [] });
    // --no-check skips it.
    expect(all(recipes, repo, '--no-check').json.check).toBeUndefined();
  });

  it('without --repo the packages built are checked among themselves', () => {
    const recipes = join(work, 'dry-set');
    writeRecipe(join(recipes, 'x'), { name: 'x', version: '1', depends: ['y'], root: 'root' }, { 'root/opt/x': 'x\n' });
    const r = zpkg(['--json', 'build', '--all', recipes], { env: env() });
    expect(r.status).toBe(1);
    expect(r.json.check.uninstallable.map((u: { name: string }) => u.name)).toEqual(['x']);
    writeRecipe(join(recipes, 'y'), { name: 'y', version: '1', root: 'root' }, { 'root/opt/y': 'y\n' });
    expect(zpkg(['--json', 'build', '--all', recipes], { env: env() }).status).toBe(0);
  });
});
