/**
 * A merged-/usr image (`bin` → `usr/bin`, `lib` → `usr/lib`): Debian's
 * packages still ship `/bin` and `/lib` paths, which land under /usr through
 * the image's links and are recorded as shipped. Questions asked by the name
 * on disk see through the links: `owns /usr/bin/tool` names the package that
 * recorded `bin/tool`, and `verify --unowned` does not list package files
 * under /usr as nobody's (dpkg -S has no answer there). And the plan treats
 * `bin/foo` and `usr/bin/foo` as the one file they are: a package moving its
 * file from one name to the other between versions (Debian's DEP17) keeps
 * it — dpkg loses it — and two packages delivering it under the two names
 * conflict.
 */
import { mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { newRepo, ok, snapshot, tempDir, TRUST, writePackage, zpkg } from './helpers/zpkg.js';

let root: string;

beforeAll(() => {
  const work = tempDir('zpkg-merged-usr-');
  const repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  ok(['build', writePackage(join(work, 'tool'), { name: 'tool', version: '1' }, { 'bin/tool': 'tool\n', 'lib/x86_64-linux-gnu/libtool.so.1': 'lib\n', 'usr/share/doc/tool/README': 'doc\n' }), '--repo', repo]);
  root = join(work, 'img');
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  mkdirSync(join(root, 'usr/lib'), { recursive: true });
  symlinkSync('usr/bin', join(root, 'bin'));
  symlinkSync('usr/lib', join(root, 'lib'));
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  ok(['--root', root, 'install', 'tool']);
});

describe('a merged /usr', () => {
  it('owns answers by the name on disk, saying the recorded one', () => {
    expect(ok(['--root', root, 'owns', '/bin/tool']).stdout).toBe('/bin/tool is owned by tool\n');
    expect(ok(['--root', root, 'owns', '/usr/bin/tool']).stdout).toBe('/usr/bin/tool is owned by tool (as /bin/tool, through the image\'s links)\n');
    expect(ok(['--root', root, '--json', 'owns', '/usr/lib/x86_64-linux-gnu/libtool.so.1']).json).toEqual({ path: 'usr/lib/x86_64-linux-gnu/libtool.so.1', type: 'file', owners: ['tool'], as: 'lib/x86_64-linux-gnu/libtool.so.1' });
    expect(ok(['--root', root, '--json', 'owns', '/usr/lib/x86_64-linux-gnu']).json).toEqual({ path: 'usr/lib/x86_64-linux-gnu', type: 'dir', owners: ['tool'], as: 'lib/x86_64-linux-gnu' });
    expect(zpkg(['--root', root, '--json', 'owns', '/usr/bin/other']).json.error.code).toBe('E_NOT_INSTALLED');
  });

  it('verify --unowned lists the links and what no package put there, not package files under /usr', () => {
    writeFileSync(join(root, 'usr/bin/stray'), 'stray\n');
    const run = zpkg(['--root', root, '--json', 'verify', '--unowned']);
    expect(run.status).toBe(1);
    const r = run.json;
    expect(r.unowned.map((u: { path: string; type: string }) => `${u.type} ${u.path}`)).toEqual(['link bin', 'link lib', 'file usr/bin/stray']);
  });
});

describe('one file under two names', () => {
  let work: string;
  let repo: string;
  let n = 0;
  beforeAll(() => {
    work = tempDir('zpkg-merged-usr-moves-');
    const made = newRepo(work);
    repo = made.repo;
    const build = (name: string, version: string, files: Record<string, string>): void => made.build(name, version, {}, files);
    build('mover', '1', { 'bin/foo': 'foo 1\n' });
    build('mover', '2', { 'usr/bin/foo': 'foo 2\n' });
    build('rival', '1', { 'usr/bin/foo': 'rival\n' });
    build('libmover', '1', { 'lib/x86_64-linux-gnu/libm.so.1': 'm 1\n' });
    build('libmover', '2', { 'usr/lib/x86_64-linux-gnu/libm.so.1': 'm 2\n' });
    build('libother', '1', { 'usr/lib/x86_64-linux-gnu/libo.so.1': 'o\n' });
  });
  const image = (): string => {
    const root = join(work, `img-${n++}`);
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    symlinkSync('usr/bin', join(root, 'bin'));
    ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
    return root;
  };

  it('a package moving its file from bin/ to usr/bin/ keeps it, and a rollback moves it back', () => {
    const root = image();
    ok(['--root', root, 'install', 'mover=1']);
    // Before: refused as "belongs to no package"; with --overwrite, the upgrade wrote usr/bin/foo and then deleted it as bin/foo.
    const r = ok(['--root', root, '--json', 'update']);
    expect(r.json.upgrade).toEqual([{ name: 'mover', from: '1', to: '2' }]);
    expect(r.json.adopted).toEqual([]);
    expect(readFileSync(join(root, 'usr/bin/foo'), 'utf8')).toBe('foo 2\n');
    ok(['--root', root, 'verify']);
    expect(ok(['--root', root, 'owns', '/bin/foo']).stdout).toBe('/bin/foo is owned by mover (as /usr/bin/foo, through the image\'s links)\n');
    ok(['--root', root, 'rollback', '1']);
    expect(readFileSync(join(root, 'usr/bin/foo'), 'utf8')).toBe('foo 1\n');
    ok(['--root', root, 'verify']);
    expect(ok(['--root', root, 'recover', '-n']).stdout).toBe('nothing to recover\n');
  });

  it('a directory dropped under one name that another package delivers under the other is not removed, nor reported kept', () => {
    const root = join(work, `img-${n++}`);
    mkdirSync(join(root, 'usr/lib'), { recursive: true });
    symlinkSync('usr/lib', join(root, 'lib'));
    ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
    ok(['--root', root, 'install', 'libmover=1', 'libother']);
    // Before: "kept directory lib/x86_64-linux-gnu: it is not empty" on every such update.
    const r = ok(['--root', root, '--json', 'update', 'libmover']).json;
    expect(r.upgrade).toEqual([{ name: 'libmover', from: '1', to: '2' }]);
    expect(r.keptDirs).toEqual([]);
    expect(readFileSync(join(root, 'usr/lib/x86_64-linux-gnu/libm.so.1'), 'utf8')).toBe('m 2\n');
    ok(['--root', root, 'verify']);
    expect(ok(['--root', root, 'owns', '/lib/x86_64-linux-gnu']).stdout).toMatch(/libmover, libother|libother, libmover/);
  });

  it('another package delivering an installed file under its other name conflicts, even with --overwrite', () => {
    const root = image();
    ok(['--root', root, 'install', 'mover=1']);
    // The refused package's manifest may stay in the content cache, as after any refused install.
    const tree = (): string[] => snapshot(root, (rel) => rel.startsWith('var/lib/zpkg/cache'));
    const before = tree();
    for (const extra of [[], ['--overwrite', '/usr/bin/*']]) {
      const r = zpkg(['--root', root, '--json', 'install', 'rival', ...extra]);
      expect(r.json.error.code).toBe('E_FILE_CONFLICT');
      expect(r.json.error.message).toBe("rival 1 delivers `usr/bin/foo`, which is `bin/foo` of installed mover through the image's directory links: the same file");
    }
    expect(tree()).toEqual(before);
  });

  it('two packages landing together with the two names conflict', () => {
    const root = image();
    const r = zpkg(['--root', root, '--json', 'install', 'mover=1', 'rival']);
    expect(r.json.error.code).toBe('E_FILE_CONFLICT');
    expect(r.json.error.message).toMatch(/^(mover 1 and rival 1|rival 1 and mover 1) both deliver `usr\/bin\/foo` \(as `(usr\/bin\/foo` and `bin\/foo|bin\/foo` and `usr\/bin\/foo)`: one path through the image's directory links\)$/);
    expect(ok(['--root', root, '--json', 'list']).json.packages).toEqual([]);
  });

  it('an adopted merged-/usr base owns its links; packages delivering bin/ and lib/ land through them', () => {
    const root = join(work, `img-${n++}`);
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    mkdirSync(join(root, 'usr/lib'), { recursive: true });
    symlinkSync('usr/bin', join(root, 'bin'));
    symlinkSync('usr/lib', join(root, 'lib'));
    writeFileSync(join(root, 'usr/bin/init'), 'init\n');
    ok(['--root', root, 'adopt', 'base', '1']);
    expect(ok(['--root', root, 'owns', '/lib']).stdout).toBe('/lib is owned by base\n');
    ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
    // Before: "mover 1 delivers the directory `bin`, which base installed as a link".
    ok(['--root', root, 'install', 'mover=1']);
    expect(readFileSync(join(root, 'usr/bin/foo'), 'utf8')).toBe('foo 1\n');
    ok(['--root', root, 'verify']);
    expect(ok(['--root', root, '--json', 'verify', '--unowned']).json.unowned).toEqual([]);
    ok(['--root', root, 'remove', 'mover']);
    expect(readlinkSync(join(root, 'bin'))).toBe('usr/bin');
    expect(readFileSync(join(root, 'usr/bin/init'), 'utf8')).toBe('init\n');
    ok(['--root', root, 'verify']);
  });
});

describe("file capabilities through the image's links", () => {
  let work: string;
  let repo: string;
  beforeAll(() => {
    work = tempDir('zpkg-merged-usr-files-');
    const made = newRepo(work);
    repo = made.repo;
    // Debian ≥ 13's libc6 ships its loader under usr/lib64; every ELF object names it /lib64/….
    made.build('loader', '1', {}, { 'usr/lib64/ld-test.so.2': 'loader\n' });
    made.build('app', '1', { depends: ['file:/lib64/ld-test.so.2'] }, { 'usr/bin/app': 'app\n' });
  });
  const image = (merged: boolean): string => {
    const root = join(work, `img-${merged ? 'merged' : 'plain'}`);
    mkdirSync(join(root, 'usr/lib64'), { recursive: true });
    if (merged) symlinkSync('usr/lib64', join(root, 'lib64'));
    ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
    return root;
  };

  it('on a merged /usr, a path is met by the package delivering it under its other name', () => {
    const root = image(true);
    // Before: "`app 1` depends on `file:/lib64/ld-test.so.2`, which no available package satisfies".
    const r = ok(['--root', root, '--json', 'install', 'app']);
    expect(r.json.install.map((p: { name: string }) => p.name).sort()).toEqual(['app', 'loader']);
    expect(ok(['--root', root, 'why-not', 'app=1']).stdout).toMatch(/^app 1 is installed/);
    const refused = zpkg(['--root', root, '--json', 'remove', 'loader']);
    expect(refused.json.error.code).toBe('E_DEPENDENTS');
    expect(refused.json.error.explanation).toEqual(['app depends on `file:/lib64/ld-test.so.2`']);
    expect(ok(['--root', root, 'why', 'loader']).stdout).toMatch(/app/);
    // The aliases are the image's, never recorded as the package's: its manifest and record say what it ships.
    expect(ok(['--root', root, '--json', 'info', 'loader']).json.provides).toEqual(['file:/usr/lib64/ld-test.so.2']);
  });

  it('repo check judges a repository for a merged /usr when told to', () => {
    const plain = zpkg(['--json', 'repo', 'check', repo]);
    expect(plain.status).toBe(1);
    expect(plain.json.uninstallable.map((u: { name: string }) => u.name)).toEqual(['app']);
    expect(ok(['--json', 'repo', 'check', repo, '--merged-usr']).json.uninstallable).toEqual([]);
    expect(zpkg(['repo', 'check', repo, '--merged-usr', '--set', 'x']).status).toBe(2);
  });

  it('without the link the other name does not exist, and the dependency stays unmet', () => {
    const root = image(false);
    const r = zpkg(['--root', root, '--json', 'install', 'app']);
    expect(r.json.error.code).toBe('E_UNSATISFIABLE');
    expect(r.json.error.explanation).toEqual(['`app 1` depends on `file:/lib64/ld-test.so.2`, which no available package satisfies']);
  });
});

describe("an essential package's link in a directory's place", () => {
  let work: string;
  let repo: string;
  let n = 0;
  beforeAll(() => {
    work = tempDir('zpkg-merged-usr-carriers-');
    const made = newRepo(work);
    repo = made.repo;
    const build = made.build;
    // Debian 13's base-files delivers the merged-/usr links; its bookworm packages still deliver bin/.
    build('basefiles', '1', { essential: true }, { bin: { link: 'usr/bin' }, 'etc/issue': 'issue 1\n' });
    build('basefiles', '2', { essential: true }, { 'etc/issue': 'issue 2\n' });
    build('plainlink', '1', {}, { bin: { link: 'usr/bin' } });
    build('tool', '1', {}, { 'bin/tool': 'tool\n' });
    build('tool2', '1', {}, { 'bin/tool2': 'tool2\n' });
    build('needsbase', '1', { depends: ['basefiles (<< 2)'] }, { 'bin/needsbase': 'n\n' });
  });
  const image = (merged: boolean): string => {
    const root = join(work, `img-${n++}`);
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    if (merged) {
      symlinkSync('usr/bin', join(root, 'bin'));
      ok(['--root', root, 'adopt', 'base', '1']);
    }
    ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
    return root;
  };

  it('takes the link over from the adopted base and carries the directories of packages landing with it and after it', () => {
    const root = image(true);
    ok(['--root', root, 'install', 'tool']);
    // Before: "basefiles 1: `bin` is a link, but installed packages own a directory there".
    const r = ok(['--root', root, '--json', 'install', 'basefiles=1', 'tool2']);
    expect(r.json.takenOver).toEqual([{ path: 'bin', from: 'base', to: 'basefiles' }]);
    expect(ok(['--root', root, 'owns', '/bin']).stdout).toBe('/bin is owned by basefiles\n');
    expect(readlinkSync(join(root, 'bin'))).toBe('usr/bin');
    expect(readFileSync(join(root, 'usr/bin/tool2'), 'utf8')).toBe('tool2\n');
    ok(['--root', root, 'verify']);
    expect(ok(['--root', root, '--json', 'verify', '--unowned']).json.unowned).toEqual([]);
  });

  it('as a dependency too: the image\'s own links are no overlap for the solver', () => {
    const root = image(true);
    // Before: "`basefiles 1` and installed `base 1` both deliver `/bin`", and nothing else offers basefiles.
    const r = ok(['--root', root, '--json', 'install', 'needsbase']).json;
    expect(r.install.map((p: { name: string }) => p.name).sort()).toEqual(['basefiles', 'needsbase']);
    expect(r.takenOver).toEqual([{ path: 'bin', from: 'base', to: 'basefiles' }]);
    ok(['--root', root, 'verify']);
  });

  it('an essential version dropping the link gives it back to the adopted base, and a rollback takes it again', () => {
    const root = image(true);
    ok(['--root', root, 'install', 'basefiles=1', 'tool']);
    // Before: refused as removing the link `bin` that tool delivers as a directory (a rollback from trixie to bookworm).
    const r = ok(['--root', root, '--json', 'update', 'basefiles']).json;
    expect(r.takenOver).toEqual([{ path: 'bin', from: 'basefiles', to: 'base' }]);
    expect(readlinkSync(join(root, 'bin'))).toBe('usr/bin');
    expect(ok(['--root', root, 'owns', '/bin']).stdout).toBe('/bin is owned by base\n');
    ok(['--root', root, 'verify']);
    expect(ok(['--root', root, '--json', 'verify', '--unowned']).json.unowned).toEqual([]);
    ok(['--root', root, 'rollback', String(r.id - 1)]);
    expect(ok(['--root', root, 'owns', '/bin']).stdout).toBe('/bin is owned by basefiles\n');
    ok(['--root', root, 'verify']);
  });

  it('with no base to give it back to, dropping the link while others still deliver the directory is refused, image unchanged', () => {
    const root = join(work, `img-${n++}`);
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    symlinkSync('usr/bin', join(root, 'bin'));
    ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
    ok(['--root', root, 'install', 'basefiles=1', 'tool']);
    const tree = (): string[] => snapshot(root, (rel) => rel.startsWith('var/lib/zpkg/cache'));
    const before = tree();
    const r = zpkg(['--root', root, '--json', 'update', 'basefiles']);
    expect(r.json.error.code).toBe('E_FILE_CONFLICT');
    expect(r.json.error.message).toBe('basefiles would remove the link `bin`, which tool still delivers as a directory');
    expect(tree()).toEqual(before);
  });


  it("a package that is not essential never carries another's directory", () => {
    const root = image(true);
    ok(['--root', root, 'install', 'tool']);
    const r = zpkg(['--root', root, '--json', 'install', 'plainlink']);
    expect(r.json.error.code).toBe('E_FILE_CONFLICT');
    expect(r.json.error.message).toBe('plainlink 1 and installed base both deliver `bin`');
    const together = zpkg(['--root', image(true), '--json', 'install', 'plainlink', 'tool2']);
    expect(together.json.error.code).toBe('E_FILE_CONFLICT');
    expect(together.json.error.message).toMatch(/^(plainlink 1 and tool2 1|tool2 1 and plainlink 1) both deliver `bin`$/);
  });

  it('into an empty image, says to make the links first; made by hand, they are taken as the package\'s', () => {
    const root = join(work, `img-${n++}`);
    ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
    const r = zpkg(['--root', root, '--json', 'install', 'basefiles=1', 'tool']);
    expect(r.json.error.code).toBe('E_FILE_CONFLICT');
    expect(r.json.error.hint).toContain('make the image\'s links first, as debootstrap does (`mkdir -p usr/bin && ln -s usr/bin bin` in the image');
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    symlinkSync('usr/bin', join(root, 'bin'));
    // Before: "1 path already in the image belongs to no package and would be overwritten: `/bin`".
    const done = ok(['--root', root, '--json', 'install', 'basefiles=1', 'tool']).json;
    expect(done.adopted).toEqual(['bin']);
    expect(ok(['--root', root, 'owns', '/bin']).stdout).toBe('/bin is owned by basefiles\n');
    expect(readFileSync(join(root, 'usr/bin/tool'), 'utf8')).toBe('tool\n');
    ok(['--root', root, 'verify']);
  });

  it('an image holding a real directory there is told to convert first', () => {
    const root = image(false);
    ok(['--root', root, 'install', 'tool']);
    const r = zpkg(['--root', root, '--json', 'install', 'basefiles=1']);
    expect(r.json.error.code).toBe('E_FILE_CONFLICT');
    expect(r.json.error.message).toBe('basefiles 1: `bin` is a link, but installed package tool owns a directory there');
    expect(r.json.error.hint).toMatch(/convert the image first, as Debian's usrmerge does: `bin` → `usr\/bin`/);
    expect(ok(['--root', root, '--json', 'list']).json.packages.map((p: { name: string }) => p.name)).toEqual(['tool']);
  });
});
