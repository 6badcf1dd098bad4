/**
 * The zos "bad scenario", end to end through the CLI: an image whose libc
 * package defines symbol versions only up to GLIBC_2.27; a package whose real
 * binary (bookworm's /usr/bin/echo) needs GLIBC_2.34 is refused by the solver
 * with an explanation naming `so:libc.so.6(GLIBC_2.34)`, and the image is left
 * as it was; once the real glibc 2.36 is published, one `zpkg install`
 * upgrades libc and installs the package in a single transaction, and the
 * binary runs under chroot in the image.
 *
 * The old libc is a real ELF shared object made here with binutils (`as`,
 * `ld --version-script`): soname libc.so.6 and one version definition for each
 * GLIBC_ version up to 2.27 that the real libc defines (no running program
 * loads it; its version definitions are what is under test).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { craftOldLibc, LD, LIBC } from './helpers/libc.js';
import { readManifest } from './helpers/recipes.js';
import { ok, snapshot, tempDir, TRUST, writePackage, zpkg } from './helpers/zpkg.js';


/** A libc package: libc.so.6, the loader, and the /lib64 link PT_INTERP names. */
function libcSource(dir: string, version: string, libc: string): string {
  writePackage(dir, { name: 'libc', version, summary: `GNU C library ${version}`, license: 'LGPL-2.1' }, { 'lib64/ld-linux-x86-64.so.2': { link: '../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' } });
  mkdirSync(join(dir, 'root/lib/x86_64-linux-gnu'), { recursive: true });
  copyFileSync(libc, join(dir, 'root/lib/x86_64-linux-gnu/libc.so.6'));
  copyFileSync(LD, join(dir, 'root/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'));
  return dir;
}

let work: string;
let repo: string;
let image: string;

beforeAll(() => {
  work = tempDir('zpkg-glibc-');
  repo = join(work, 'repo');
  image = join(work, 'image');
  ok(['repo', 'create', repo]);
  const old = craftOldLibc(join(work, 'craft'), '2.27');
  ok(['build', libcSource(join(work, 'libc-2.27'), '2.27-1', old), '--repo', repo]);
  const app = writePackage(join(work, 'app'), { name: 'greeter', version: '1.0', summary: 'prints what it is told' }, {});
  mkdirSync(join(app, 'root/usr/bin'), { recursive: true });
  copyFileSync('/usr/bin/echo', join(app, 'root/usr/bin/greeter'));
  ok(['build', app, '--repo', repo]);
  mkdirSync(image);
  ok(['--root', image, 'remote', 'add', 'main', repo, ...TRUST]);
  ok(['--root', image, 'install', 'libc']);
});

describe('the glibc scenario', () => {
  it('the old libc provides GLIBC_2.27 and not GLIBC_2.34; the package needs GLIBC_2.34', () => {
    const libc = ok(['--root', image, '--json', 'info', 'libc']).json;
    expect(JSON.stringify(libc)).toContain('2.27-1');
    const list = ok(['repo', 'list', repo, '--json']).json;
    expect(JSON.stringify(list)).toContain('greeter');
    const manifests = list.packages.map((p: { manifest: string }) => readManifest(repo, p.manifest) as any);
    const oldLibc = manifests.find((m) => m.name === 'libc');
    const greeter = manifests.find((m) => m.name === 'greeter');
    expect(oldLibc.provides).toContain('so:libc.so.6(GLIBC_2.27)');
    expect(oldLibc.provides).not.toContain('so:libc.so.6(GLIBC_2.34)');
    expect(greeter.depends).toContain('so:libc.so.6(GLIBC_2.34)');
    expect(greeter.depends).toContain('file:/lib64/ld-linux-x86-64.so.2');
    // On a terminal a binary's symbol versions fold into a count, as the library's provides do; --json keeps each.
    const versions = greeter.depends.filter((d: string) => d.startsWith('so:libc.so.6(')).length;
    const line = ok(['--root', image, 'info', 'greeter']).stdout.split('\n').find((l) => l.startsWith('depends: '))!;
    expect(line).toContain(`so:libc.so.6 (${versions} symbol versions)`);
    expect(line).not.toContain('GLIBC_');
  });

  it('installing the package is refused by the solver, naming the symbol version, and nothing changes', () => {
    const before = snapshot(image);
    const r = zpkg(['--root', image, 'install', 'greeter']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('so:libc.so.6(GLIBC_2.34)');
    const j = zpkg(['--root', image, '--json', 'install', 'greeter']);
    expect(j.json.error.code).toBe('E_UNSATISFIABLE');
    expect(JSON.stringify(j.json.error.explanation)).toContain('so:libc.so.6(GLIBC_2.34)');
    expect(snapshot(image)).toEqual(before);
  });

  it('lint finds the same gap before anyone installs: the binary needs GLIBC_2.34, the libc it has stops at 2.27', () => {
    const r = zpkg(['--json', 'lint', 'greeter', '--repo', repo]);
    expect(r.status).toBe(1);
    const so = r.json.findings.filter((f: { code: string }) => f.code === 'L_SO_UNMET');
    expect(so).toHaveLength(1);
    expect(so[0].path).toBe('usr/bin/greeter');
    expect(so[0].message).toContain('`so:libc.so.6(GLIBC_2.34)`');
    // The library itself and its older versions are there: only the missing versions are named.
    expect(so[0].message).not.toContain('`so:libc.so.6`');
    expect(so[0].message).not.toContain('GLIBC_2.2.5');
  });

  it('with glibc 2.36 published, one install upgrades libc and installs the package, and the binary runs in the image', () => {
    ok(['build', libcSource(join(work, 'libc-2.36'), '2.36-9', LIBC), '--repo', repo]);
    ok(['--root', image, 'refresh']);
    const before = ok(['--root', image, '--json', 'history']).json.transactions.length;
    const r = ok(['--root', image, '--json', 'install', 'greeter']);
    expect(r.json.install.map((p: { name: string }) => p.name)).toEqual(['greeter']);
    expect(r.json.upgrade).toEqual([{ name: 'libc', from: '2.27-1', to: '2.36-9' }]);
    // One transaction did both: the history gained exactly one entry, holding the upgrade and the install.
    const after = ok(['--root', image, '--json', 'history']).json.transactions;
    expect(after.length).toBe(before + 1);
    const last = after.find((t: { changes: { install?: { name: string }[] } }) => t.changes.install?.some((p) => p.name === 'greeter'));
    expect(last.changes.upgrade).toEqual([{ name: 'libc', from: '2.27-1', to: '2.36-9' }]);
    const run = spawnSync('chroot', [image, '/usr/bin/greeter', 'hello from the image'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('hello from the image\n');
    expect(ok(['--root', image, 'verify']).status).toBe(0);
  });

  it('removing libc is refused naming each dependent once, its symbol versions counted; --json lists every clause', () => {
    const before = snapshot(image);
    const json = zpkg(['--root', image, '--json', 'remove', 'libc']).json.error;
    expect(json.code).toBe('E_DEPENDENTS');
    const versioned = json.broken.filter((b: { name: string; clause: string }) => b.name === 'greeter' && b.clause.startsWith('so:libc.so.6(GLIBC_'));
    expect(versioned.map((b: { clause: string }) => b.clause)).toContain('so:libc.so.6(GLIBC_2.34)');
    const text = zpkg(['--root', image, 'remove', 'libc']);
    expect(text.status).toBe(1);
    const lines = text.stderr.split('\n').filter((l) => l.startsWith('  greeter depends on '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`\`so:libc.so.6\` with ${versioned.length} of its symbol versions`);
    expect(lines[0]).not.toContain('GLIBC_');
    expect(snapshot(image)).toEqual(before);
  });
});
