/**
 * The bundle on a bare root (issue 15): `npm run dist`'s tarball unpacked into
 * an otherwise empty directory — no libc, no shell, no node; only the device
 * nodes a process needs, and no /proc — then, chrooted into it with an empty
 * environment, zpkg adds a remote, installs, verifies and removes from a
 * repository inside that root, all from the bundle alone. Then zpkg installed
 * as the package `zpkg` updates itself 1.0.0 → 2.0.0 (the steps after the
 * commit run in 2.0.0: a post-upgrade hook says which zpkg ran it), refuses to
 * be removed, and a broken 3.0.0 is refused by its self-test with 2.0.0 left
 * in place.
 *
 * The bundles are built by `packaging/dist.mjs` into `.cache/bare-root/`,
 * reused while their inputs (sources, lock file, node, add-ons) are unchanged:
 * a first run builds two (about a minute each on this kind of machine, most of
 * it stripping node and compressing), a later one only checks them.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, REPO_ROOT, TEST_KEY, TEST_PUB, tempDir, writePackage } from './helpers/zpkg.js';

const CACHE = join(REPO_ROOT, '.cache/bare-root');
const isRoot = process.getuid?.() === 0;
const LONG = 10 * 60_000;

let work: string;
let bare: string;
let repo: string;

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** `npm run dist` for one version, into the cache. */
function dist(version: string, tar: boolean): string {
  const out = join(CACHE, `zpkg-${version}`);
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'packaging/dist.mjs'), '--out', out, '--version', version, '--level', '3', ...(tar ? [] : ['--no-tar'])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dist ${version} failed:\n${r.stderr}\n${r.stdout}`);
  process.stderr.write(`bare-root: bundle ${version}\n${r.stdout}`);
  return out;
}

interface Chrooted {
  status: number;
  stdout: string;
  stderr: string;
  json: any;
}

/** A command run inside the bare root with an empty environment. */
function inside(program: string, args: string[]): Chrooted {
  const r = spawnSync('/usr/sbin/chroot', [bare, program, ...args], { encoding: 'utf8', env: {}, cwd: '/', timeout: LONG });
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json };
}

function zpkgInside(args: string[], program = '/usr/bin/zpkg'): Chrooted {
  return inside(program, args);
}

function okInside(args: string[], program?: string): Chrooted {
  const r = zpkgInside(args, program);
  if (r.status !== 0) throw new Error(`zpkg ${args.join(' ')} (in the bare root) exited ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** Publishes a recipe directory into the bare root's repository (by this checkout's zpkg, on the host). */
function publish(dir: string): void {
  ok(['build', dir, '--repo', repo, '--key', TEST_KEY]);
}

describe.skipIf(!isRoot)('the bundle on a bare root', () => {
  let v1: string;
  let v2: string;

  beforeAll(() => {
    work = tempDir('zpkg-bare-');
    bare = join(work, 'root');
    repo = join(bare, 'repo');
    mkdirSync(CACHE, { recursive: true });
    v1 = dist('1.0.0', true);
    v2 = dist('2.0.0', false);

    // The bare root: the device nodes a process needs, and nothing else yet.
    mkdirSync(join(bare, 'dev'), { recursive: true });
    for (const [name, minor] of [['null', 3], ['zero', 5], ['random', 8], ['urandom', 9]] as const) sh('mknod', ['-m', '666', join(bare, 'dev', name), 'c', '1', String(minor)]);
    // The bootstrap copy: the tarball, unpacked where an operator would try it first.
    mkdirSync(join(bare, 'opt/zpkg-1.0.0'), { recursive: true });
    sh('tar', ['--zstd', '-xf', `${v1}.tar.zst`, '-C', join(bare, 'opt/zpkg-1.0.0')]);

    // The repository, inside the root: zpkg 1.0.0, a small package, and `marker`, whose version 2 has a post-upgrade hook.
    ok(['repo', 'create', repo, '--key', TEST_KEY]);
    publish(v1);
    writePackage(join(work, 'hello'), { name: 'hello', version: '1.0' }, { 'usr/share/hello/greeting': 'hello from the bundle\n' });
    publish(join(work, 'hello'));
    writePackage(join(work, 'marker-1'), { name: 'marker', version: '1' }, { 'usr/share/marker/v': '1\n' });
    publish(join(work, 'marker-1'));
    const m2 = join(work, 'marker-2');
    writePackage(m2, { name: 'marker', version: '2', hooks: { 'post-upgrade': 'post-upgrade' } }, { 'usr/share/marker/v': '2\n' });
    // No shell in the image: the hook runs under the bundle's static busybox.
    writeFileSync(join(m2, 'post-upgrade'), '#!/usr/lib/zpkg/bin/busybox sh\necho "$ZPKG_RUNNING_VERSION" > /marker-ran-by\n', { mode: 0o755 });
    publish(m2);
  }, LONG);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('runs with nothing from the host: remote add, install, verify, remove', () => {
    // Nothing of a system is there: no libc, no loader, no shell, no node, no /proc.
    expect(readdirSync(bare).sort()).toEqual(['dev', 'opt', 'repo']);
    for (const p of ['lib', 'lib64', 'bin/sh', 'usr/bin/node', 'proc/self', 'etc']) expect(existsSync(join(bare, p)), p).toBe(false);

    const boot = '/opt/zpkg-1.0.0/usr/bin/zpkg';
    expect(okInside(['--version'], boot).stdout.trim()).toBe('1.0.0');
    okInside(['--root', '/', 'remote', 'add', 'main', '/repo', '--key', TEST_PUB], boot);
    // The bootstrap copy installs zpkg as a package (tested by its own self-test before the commit), and hello.
    const installed = okInside(['--json', 'install', 'zpkg', 'hello'], boot).json;
    expect(installed.install.map((p: { name: string }) => p.name).sort()).toEqual(['hello', 'zpkg']);
    expect(installed.selfUpdate).toMatchObject({ from: null, to: '1.0.0', tested: true, post: 'here' });
    rmSync(join(bare, 'opt'), { recursive: true, force: true });

    // From here, only the installed package runs zpkg.
    expect(okInside(['--version']).stdout.trim()).toBe('1.0.0');
    expect(okInside(['--json', 'list']).json.packages.map((p: { name: string; version: string }) => `${p.name} ${p.version}`)).toEqual(['hello 1.0', 'zpkg 1.0.0']);
    expect(readFileSync(join(bare, 'usr/share/hello/greeting'), 'utf8')).toBe('hello from the bundle\n');
    okInside(['verify']);
    okInside(['install', 'marker=1']);
    okInside(['remove', 'hello']);
    expect(existsSync(join(bare, 'usr/share/hello/greeting'))).toBe(false);
    const state = okInside(['--json', 'self-test']).json;
    expect(state).toMatchObject({ version: '1.0.0', bundle: '/usr/lib/zpkg', state: { exists: true, packages: 2 } });
    okInside(['verify']);
  }, LONG);

  it('refuses to remove itself unless told explicitly', () => {
    const r = zpkgInside(['--json', 'remove', 'zpkg']);
    expect(r.status).toBe(1);
    expect(r.json.error).toMatchObject({ code: 'E_PROTECTED', message: expect.stringMatching(/zpkg 1\.0\.0 is protected/) });
    expect(okInside(['--version']).stdout.trim()).toBe('1.0.0');
    const dry = okInside(['--json', 'remove', 'zpkg', '--allow-protected', '-n']).json;
    expect(dry.remove).toEqual([{ name: 'zpkg', version: '1.0.0' }]);
  }, LONG);

  it('updates itself: 2.0.0 is tested before the commit and runs the steps after it', () => {
    publish(v2);
    okInside(['refresh']);
    const r = okInside(['--json', 'update']);
    expect(r.json.upgrade).toEqual(expect.arrayContaining([{ name: 'zpkg', from: '1.0.0', to: '2.0.0' }, { name: 'marker', from: '1', to: '2' }]));
    expect(r.json.selfUpdate).toMatchObject({ from: '1.0.0', to: '2.0.0', tested: true, post: 'finished' });
    // The post-upgrade hook ran after the commit, in the new zpkg.
    expect(r.json.lifecycle.hooks).toEqual([expect.objectContaining({ package: 'marker', phase: 'post-upgrade', status: 'ok' })]);
    expect(readFileSync(join(bare, 'marker-ran-by'), 'utf8').trim()).toBe('2.0.0');
    expect(okInside(['--version']).stdout.trim()).toBe('2.0.0');
    okInside(['verify']);
    expect(existsSync(join(bare, 'var/lib/zpkg/journal')) ? readdirSync(join(bare, 'var/lib/zpkg/journal')) : []).toEqual([]);
  }, LONG);

  it('refuses a broken 3.0.0 by its self-test, and 2.0.0 stays', () => {
    // 3.0.0: the 2.0.0 tree with a main.js that dies at start-up. `--version` alone is the
    // loader's answer (packaging/loader.cjs), so the self-test's second step, `self-test`, meets it.
    const v3 = join(work, 'zpkg-3.0.0');
    cpSync(v2, v3, { recursive: true, verbatimSymlinks: true, filter: (src) => !src.includes('.zpkg-build') });
    const main = join(v3, 'root/usr/lib/zpkg/app/main.js');
    unlinkSync(main);
    writeFileSync(main, "throw new Error('a broken build of zpkg');\n");
    // The loader carries the version it was built as (npm run dist fills it in): this build says 3.0.0.
    const loader = join(v3, 'root/usr/lib/zpkg/app/zpkg.js');
    const loaderText = readFileSync(loader, 'utf8');
    expect(loaderText).toContain('const VERSION = "2.0.0";');
    unlinkSync(loader);
    writeFileSync(loader, loaderText.replace('const VERSION = "2.0.0";', 'const VERSION = "3.0.0";'));
    writeFileSync(join(v3, 'zpkg.yaml'), readFileSync(join(v3, 'zpkg.yaml'), 'utf8').replace(/^version: .*$/m, 'version: "3.0.0"'));
    publish(v3);
    okInside(['refresh']);

    const r = zpkgInside(['--json', 'update']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.json.error).toMatchObject({ code: 'E_SELF_TEST', message: expect.stringMatching(/zpkg 3\.0\.0 failed its self-test \(`usr\/bin\/zpkg self-test`: exit 1.*a broken build of zpkg.*\): the transaction was undone, zpkg 2\.0\.0 stays/) });
    expect(okInside(['--version']).stdout.trim()).toBe('2.0.0');
    expect(okInside(['--json', 'list']).json.packages.map((p: { name: string; version: string }) => `${p.name} ${p.version}`)).toEqual(['marker 2', 'zpkg 2.0.0']);
    // Every file is 2.0.0's again, and nothing of the attempt is left.
    okInside(['verify']);
    expect(readdirSync(join(bare, 'var/lib/zpkg/journal'))).toEqual([]);
    const history = okInside(['--json', 'history']).json;
    expect(JSON.stringify(history)).not.toMatch(/3\.0\.0/);
  }, LONG);

  it('says what is missing when the bundle is incomplete, and exits 127', () => {
    const copy = join(work, 'incomplete');
    cpSync(join(CACHE, 'zpkg-2.0.0/root'), copy, { recursive: true, verbatimSymlinks: true });
    rmSync(join(copy, 'usr/lib/zpkg/lib/ld-linux-x86-64.so.2'));
    const r = spawnSync(join(copy, 'usr/bin/zpkg'), ['--version'], { encoding: 'utf8', env: {} });
    expect(r.status).toBe(127);
    expect(r.stderr).toMatch(/the bundle is incomplete: .*ld-linux-x86-64\.so\.2/);
  }, LONG);
});
