/**
 * The base image as part of the state (issue 13 §2): an image that boots
 * with busybox, a libc defining GLIBC_ versions up to 2.27 and the loader,
 * none of it from a package. `zpkg adopt` records it as an essential package
 * whose derived provides the solver sees and whose paths conflict at plan
 * time; unowned paths are never overwritten without `--overwrite`; protected
 * packages are never removed without `--allow-protected`; overlapping paths
 * are conflicts for the solver, `install -n` and `repo check`; and
 * `repo check --set --base` checks a release against base profiles.
 */
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { craftOldLibc, LD, LIBC } from './helpers/libc.js';
import { makeInitramfs } from './helpers/zinit.js';
import { ok, snapshot, tempDir, TRUST, writePackage, zpkg } from './helpers/zpkg.js';

const work = tempDir('zpkg-base-');
const repo = join(work, 'repo');
let oldLibc: string;

/** A zos-like initramfs: busybox, the crafted libc 2.27 and the loader, an os-release. */
function initramfs(root: string): string {
  makeInitramfs(root);
  mkdirSync(join(root, 'lib/x86_64-linux-gnu'), { recursive: true });
  copyFileSync(oldLibc, join(root, 'lib/x86_64-linux-gnu/libc.so.6'));
  copyFileSync(LD, join(root, 'lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'));
  mkdirSync(join(root, 'lib64'));
  symlinkSync('../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', join(root, 'lib64/ld-linux-x86-64.so.2'));
  writeFileSync(join(root, 'etc/os-release'), 'NAME="Zero-OS"\nVERSION=3.10\n');
  return root;
}

function image(name: string, adopt = true): string {
  const root = initramfs(join(work, name));
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  if (adopt) ok(['--root', root, 'adopt', 'zos-initramfs', '3.10.0']);
  return root;
}

const tree = (root: string): string[] => snapshot(root, (p) => p.startsWith('var/lib/zpkg'));
const err = (r: ReturnType<typeof zpkg>) => r.json?.error as { code: string; message: string; hint?: string; explanation?: string[] };

beforeAll(() => {
  oldLibc = craftOldLibc(join(work, 'craft'), '2.27');
  ok(['repo', 'create', repo]);
  const src = (name: string, recipe: Record<string, unknown>, files: Parameters<typeof writePackage>[2]) => writePackage(join(work, 'src', name), { name, ...recipe }, files);
  const greeter = src('greeter', { version: '1.0' }, {});
  mkdirSync(join(greeter, 'root/usr/bin'), { recursive: true });
  copyFileSync('/usr/bin/echo', join(greeter, 'root/usr/bin/greeter'));
  const bundled = src('lsx-bundled', { version: '1', depends: ['glibc'] }, { 'usr/bin/lsx': '#!/bin/sh\necho bundled\n' });
  mkdirSync(join(bundled, 'root/lib/x86_64-linux-gnu'), { recursive: true });
  copyFileSync(LIBC, join(bundled, 'root/lib/x86_64-linux-gnu/libc.so.6'));
  const glibc = src('glibc', { version: '2.36-1' }, { 'lib64/ld-linux-x86-64.so.2': { link: '../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' } });
  mkdirSync(join(glibc, 'root/lib/x86_64-linux-gnu'), { recursive: true });
  copyFileSync(LIBC, join(glibc, 'root/lib/x86_64-linux-gnu/libc.so.6'));
  copyFileSync(LD, join(glibc, 'root/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'));
  // The base profile of the initramfs above, as a build host publishes it for checks.
  const profile = join(work, 'src/profile');
  initramfs(join(profile, 'root'));
  writePackage(profile, { name: 'zos-initramfs', version: '3.10.0', essential: true, summary: 'the zos 3.10 initramfs (a base profile)' }, {});
  ok([
    'build',
    greeter,
    bundled,
    glibc,
    profile,
    src('bundled-only', { version: '1', depends: ['lsx-bundled'] }, { 'usr/share/bo': 'x' }),
    src('lsx-plain', { version: '1' }, { 'usr/bin/lsx-plain': '#!/bin/sh\necho plain\n' }),
    src('lsx', { version: '1', depends: ['lsx-bundled | lsx-plain'] }, { 'usr/share/lsx/README': 'lsx\n' }),
    src('toolbox', { version: '1' }, { 'usr/bin/toolbox': '#!/bin/sh\n' }),
    src('agent', { version: '1', depends: ['toolbox'] }, { 'usr/bin/agent': '#!/bin/sh\n' }),
    src('zpkg-self', { version: '1', essential: true }, { 'usr/lib/zpkg/zpkg': '#!/bin/sh\n' }),
    '--repo',
    repo,
  ]);
  // Two versions of one recipe directory cannot build together: the release sets one by one.
  for (const [v, deps] of [['1', ['lsx-plain (= 1)', 'greeter (= 1.0)']], ['2', ['lsx-plain (= 1)', 'glibc (= 2.36-1)']], ['3', ['lsx-plain (= 1)', 'toolbox (= 1)']]] as const) {
    ok(['build', writePackage(join(work, `src/rel-${v}`), { name: 'rel', version: v, depends: [...deps] }, {}), '--repo', repo]);
  }
});

describe('zpkg adopt', () => {
  let root: string;
  beforeAll(() => {
    root = image('adopted', false);
  });

  it('-n shows what it would record and changes nothing; then the base is an installed, essential package with derived provides', () => {
    const dry = ok(['--root', root, '--json', 'adopt', '-n', 'zos-initramfs', '3.10.0']).json;
    expect(dry).toMatchObject({ dryRun: true, id: null, name: 'zos-initramfs', replaced: null });
    expect(ok(['--root', root, '--json', 'list']).json.packages).toEqual([]);
    const r = ok(['--root', root, '--json', 'adopt', 'zos-initramfs', '3.10.0']).json;
    expect(r.files).toBe(4); // busybox, libc, the loader, os-release
    expect(r.provides).toEqual(expect.arrayContaining(['so:libc.so.6', 'so:libc.so.6(GLIBC_2.27)', 'file:/bin/sh', 'file:/bin/busybox', 'file:/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2']));
    expect(r.provides).not.toContain('so:libc.so.6(GLIBC_2.34)');
    expect(ok(['--root', root, '--json', 'list']).json.packages).toEqual([expect.objectContaining({ name: 'zos-initramfs', version: '3.10.0' })]);
    expect(ok(['--root', root, 'owns', '/lib/x86_64-linux-gnu/libc.so.6']).stdout).toContain('zos-initramfs');
    expect(ok(['--root', root, '--json', 'history']).json.transactions.at(-1).command).toContain('adopt zos-initramfs 3.10.0');
  });

  it('verify checks the base like any package', () => {
    expect(ok(['--root', root, 'verify']).status).toBe(0);
    writeFileSync(join(root, 'etc/os-release'), 'NAME=tampered\n');
    const v = zpkg(['--root', root, 'verify']);
    expect(v.status).toBe(1);
    expect(v.stdout).toContain('etc/os-release');
    writeFileSync(join(root, 'etc/os-release'), 'NAME="Zero-OS"\nVERSION=3.10\n');
  });

  it('the solver sees what the base provides: a binary needing GLIBC_2.34 is refused with the reason', () => {
    const before = tree(root);
    const r = zpkg(['--root', root, '--json', 'install', 'greeter']);
    expect(err(r).code).toBe('E_UNSATISFIABLE');
    expect(JSON.stringify(err(r))).toContain('so:libc.so.6(GLIBC_2.34)');
    expect(tree(root)).toEqual(before);
  });

  it('a package delivering a path of the base conflicts at plan time (install -n), naming the path; an alternative without the overlap is chosen', () => {
    const r = zpkg(['--root', root, '--json', 'install', '-n', 'lsx-bundled']);
    expect(err(r).code).toBe('E_FILE_CONFLICT');
    // The path plan names the first overlap it meets (lsx-bundled's libc against glibc's or the base's).
    expect(err(r).message).toMatch(/lsx-bundled 1 .*both deliver `lib\/x86_64-linux-gnu\/libc.so.6`|and lsx-bundled 1 both deliver `lib\/x86_64-linux-gnu\/libc.so.6`/);
    const plan = ok(['--root', root, '--json', 'install', '-n', 'lsx']).json;
    expect(plan.install.map((p: { name: string }) => p.name).sort()).toEqual(['lsx', 'lsx-plain']);
  });

  it('adopting again under the name records the new base generation, taking in new unowned paths', () => {
    mkdirSync(join(root, 'usr/share/zos'), { recursive: true });
    writeFileSync(join(root, 'usr/share/zos/new'), 'in 3.11\n');
    const r = ok(['--root', root, '--json', 'adopt', 'zos-initramfs', '3.11.0']).json;
    expect(r.replaced).toBe('3.10.0');
    expect(r.files).toBe(5);
    expect(ok(['--root', root, '--json', 'history']).json.transactions.at(-1).changes.upgrade).toEqual([{ name: 'zos-initramfs', from: '3.10.0', to: '3.11.0' }]);
    expect(ok(['--root', root, 'verify']).status).toBe(0);
  });

  it('a name a repository package holds, or nothing left to adopt, is refused', () => {
    ok(['--root', root, 'install', 'toolbox']);
    expect(err(zpkg(['--root', root, '--json', 'adopt', 'toolbox', '1'])).code).toBe('E_PACKAGE_EXISTS');
    expect(err(zpkg(['--root', root, '--json', 'adopt', 'more', '1', '/usr/bin/toolbox'])).code).toBe('E_NOT_FOUND');
  });
});

describe('paths no package owns', () => {
  it('are never overwritten without --overwrite GLOB; the refusal names them and changes nothing', () => {
    const root = image('unowned', false);
    const before = tree(root);
    const r = zpkg(['--root', root, '--json', 'install', 'glibc']);
    expect(r.status).toBe(1);
    expect(err(r).code).toBe('E_FILE_CONFLICT');
    expect(err(r).message).toBe('3 paths already in the image belong to no package and would be overwritten: `/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2`, `/lib/x86_64-linux-gnu/libc.so.6`, `/lib64/ld-linux-x86-64.so.2`');
    expect(err(r).hint).toContain('zpkg adopt');
    expect(tree(root)).toEqual(before);
    const dry = zpkg(['--root', root, '--json', 'install', '-n', 'glibc']);
    expect(err(dry).code).toBe('E_FILE_CONFLICT');
    const partly = zpkg(['--root', root, '--json', 'install', '--overwrite', '/lib/x86_64-linux-gnu/*', 'glibc']);
    expect(err(partly).message).toMatch(/^1 path already in the image belongs to no package .*: `\/lib64\/ld-linux-x86-64.so.2`$/);
    const forced = ok(['--root', root, '--json', 'install', '--overwrite', '/lib/x86_64-linux-gnu/*', '--overwrite', 'lib64/**', 'glibc']).json;
    expect(forced.adopted.sort()).toEqual(['lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', 'lib/x86_64-linux-gnu/libc.so.6', 'lib64/ld-linux-x86-64.so.2']);
  });
});

describe('protected packages', () => {
  let root: string;
  beforeAll(() => {
    root = image('protected');
    mkdirSync(join(root, 'etc/zpkg'), { recursive: true });
    writeFileSync(join(root, 'etc/zpkg/zpkg.yaml'), 'protected: [toolbox]\n');
    ok(['--root', root, 'install', 'agent', 'zpkg-self']);
  });

  it('remove — plain, --force or --cascade — refuses the base, an essential package and one listed in protected:', () => {
    for (const args of [['zos-initramfs'], ['--force', 'zos-initramfs'], ['zpkg-self'], ['--cascade', 'toolbox'], ['--force', 'toolbox']]) {
      const r = zpkg(['--root', root, '--json', 'remove', ...args]);
      expect(r.status, args.join(' ')).toBe(1);
      expect(err(r).code).toBe('E_PROTECTED');
    }
    expect(err(zpkg(['--root', root, '--json', 'remove', 'zos-initramfs'])).message).toBe('zos-initramfs 3.10.0 is protected (the adopted base): `zpkg --root ' + root + ' --json remove zos-initramfs` would remove it');
    const allowed = ok(['--root', root, '--json', 'remove', '-n', '--allow-protected', 'zpkg-self']).json;
    expect(allowed.remove).toEqual([{ name: 'zpkg-self', version: '1' }]);
  });

  it('autoremove keeps a protected dependency; rollback to before it refuses; sync keeps the adopted base and refuses dropping a protected package', () => {
    const r = ok(['--root', root, '--json', 'remove', '--autoremove', 'agent']).json;
    expect(r.remove.map((p: { name: string }) => p.name)).toEqual(['agent']);
    expect(err(zpkg(['--root', root, '--json', 'rollback', '0'])).code).toBe('E_PROTECTED');
    const sync = zpkg(['--root', root, '--json', 'sync', '-n', '--set', 'rel=3']);
    expect(err(sync).code).toBe('E_PROTECTED');
    expect(err(sync).message).toMatch(/^zpkg-self 1 is protected \(essential\)/);
    const kept = ok(['--root', root, '--json', 'sync', '-n', '--allow-protected', '--set', 'rel=3']).json;
    expect(kept.remove).toEqual([{ name: 'zpkg-self', version: '1' }]);
  });
});

describe('repo check sees overlapping paths', () => {
  it('a package that can only be installed with another delivering the same path is uninstallable, and the reason names the path', () => {
    const r = zpkg(['--json', 'repo', 'check', repo]);
    expect(r.status).toBe(1);
    const bad = r.json.uninstallable.map((u: { name: string }) => u.name).sort();
    expect(bad).toEqual(['bundled-only', 'lsx-bundled']);
    const reason = r.json.uninstallable.find((u: { name: string }) => u.name === 'lsx-bundled').reason.join('\n');
    expect(reason).toContain('both deliver `/lib/x86_64-linux-gnu/libc.so.6`');
  });

  it('--set checks a release as a unit, on each base profile given', () => {
    const one = zpkg(['--json', 'repo', 'check', repo, '--set', 'rel=1', '--base', 'zos-initramfs=3.10.0']);
    expect(one.status).toBe(1);
    expect(one.json.checks[0].problems.join('\n')).toContain('greeter 1.0 depends on `so:libc.so.6(GLIBC_2.34)`, which nothing in the set satisfies');
    const two = zpkg(['--json', 'repo', 'check', repo, '--set', 'rel=2', '--base', 'zos-initramfs']);
    expect(two.json.checks[0].problems).toEqual(['glibc 2.36-1 and zos-initramfs 3.10.0 both deliver `/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2` (and 2 more paths)']);
    const three = zpkg(['--json', 'repo', 'check', repo, '--set', 'rel=3', '--base', 'zos-initramfs=3.10.0']);
    expect(three.status).toBe(0);
    expect(three.stdout).toContain('"problems":[]');
    expect(ok(['repo', 'check', repo, '--set', 'rel=3']).stdout).toBe('rel 3 (3 packages) on an empty image: holds together\n');
    expect(zpkg(['repo', 'check', repo, '--set', 'rel=1']).stdout).toMatch(/^rel 1 \(3 packages\) on an empty image: 9 problems\n  greeter 1.0 depends on `file:\/lib64\/ld-linux-x86-64.so.2`/);
  });
});
