// Recipes with build steps, through the real binary: local sources unpacked by tar, a /bin/sh build
// script, the files selection, attributes, config, hooks and services carried into the published
// manifest, and the package installed into an image and run.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { placesOf, readBlob, readRecord } from '../src/repo/content.js';
import { openRepoReader } from '../src/repo/open.js';
import { readSnapshot } from '../src/repo/snapshot.js';
import { readManifest, tarball, writeRecipe } from './helpers/recipes.js';
import { ok, tempDir, TRUST, zpkg } from './helpers/zpkg.js';

let work: string;
let repo: string;
const env = (): Record<string, string> => ({ XDG_CACHE_HOME: join(work, 'cache'), LEAKED_FROM_CALLER: 'yes' });

function image(name: string): string {
  const root = join(work, name);
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  return root;
}

const HOOK = '#!/bin/sh\necho hello installed\n';
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

beforeAll(() => {
  work = tempDir('zpkg-build-recipes-');
  repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  const src = join(work, 'hello');
  tarball(join(src, 'upstream/hello-2.0.tar.gz'), 'hello-2.0', {
    'hello.sh': '#!/bin/sh\necho "hello, ${1:-world} (v2.0)"\n',
    'hello.conf': 'greeting=hello\n',
    'README': 'read me\n',
  });
  writeRecipe(src, {
    name: 'hello',
    version: '2.0-1',
    summary: 'greets',
    sources: [
      { path: 'upstream/hello-2.0.tar.gz', strip: 1 },
      { path: 'patches/motd', sha256: sha('a plain source\n') },
    ],
    build: [
      'test "$PWD" = "$ZPKG_WORKDIR"',
      'echo "building $ZPKG_NAME $ZPKG_VERSION"',
      'install -D -m 0755 "$ZPKG_SRCDIR/hello.sh" "$ZPKG_DESTDIR/usr/bin/hello"',
      'install -D -m 0644 "$ZPKG_SRCDIR/hello.conf" "$ZPKG_DESTDIR/etc/hello/hello.conf"',
      'install -D -m 0644 "$ZPKG_SRCDIR/motd" "$ZPKG_DESTDIR/usr/share/hello/motd"',
      'install -D -m 0644 "$ZPKG_SRCDIR/README" "$ZPKG_DESTDIR/usr/share/doc/hello/README"',
      'mkdir -p "$ZPKG_DESTDIR/usr/lib" && echo archive > "$ZPKG_DESTDIR/usr/lib/libhello.a"',
      'echo lib > "$ZPKG_DESTDIR/usr/lib/libhello.so.2" && ln -s libhello.so.2 "$ZPKG_DESTDIR/usr/lib/libhello.so"',
      // A link inside the destination may point anywhere: it is packed as a link.
      'ln -s /etc/passwd "$ZPKG_DESTDIR/usr/share/hello/passwd-link"',
      '{ echo "DESTDIR=$ZPKG_DESTDIR"; echo "SRCDIR=$ZPKG_SRCDIR"; echo "WORKDIR=$ZPKG_WORKDIR"; echo "VERSION=$ZPKG_VERSION"; echo "PATH=$PATH"; echo "HOME=$HOME"; echo "LEAK=${LEAKED_FROM_CALLER:-none}"; ls "$ZPKG_SRCDIR" | tr "\\n" " "; echo; } > "$ZPKG_DESTDIR/usr/share/hello/build-env"',
      'mkdir -p "$ZPKG_WORKDIR/objects" && echo scratch > "$ZPKG_WORKDIR/objects/o"',
    ].join('\n'),
    files: { include: ['usr/**', 'etc/hello/**'], exclude: ['**/*.a', 'usr/share/doc/**'] },
    config: ['etc/hello/*.conf'],
    attributes: [{ path: 'etc/hello/hello.conf', mode: '0640', restart: ['hello'] }],
    hooks: { 'post-install': 'hooks/post-install.sh', 'pre-remove': { path: 'hooks/pre-remove.sh', timeout: 30 } },
    services: [{ name: 'hello', restart: 'on-upgrade', reload: true }, { name: 'hello-watch' }],
  }, {
    'patches/motd': 'a plain source\n',
    'hooks/post-install.sh': HOOK,
    'hooks/pre-remove.sh': '#!/bin/sh\necho bye\n',
  });
});

describe('a recipe with sources and a build script', () => {
  let out: any;
  let manifest: any;
  beforeAll(() => {
    out = ok(['--json', 'build', join(work, 'hello'), '--repo', repo], { env: env() }).json;
    manifest = readManifest(repo, out.built[0].manifest);
  });

  it('publishes what the script installed, selected by files: include/exclude', () => {
    expect(out.built).toHaveLength(1);
    expect(out.built[0]).toMatchObject({ name: 'hello', version: '2.0-1', status: 'added' });
    const paths = manifest.actions.map((a: { type: string; path: string }) => `${a.type} ${a.path}`);
    expect(paths).toEqual([
      'dir etc', 'dir etc/hello', 'file etc/hello/hello.conf',
      'dir usr', 'dir usr/bin', 'file usr/bin/hello',
      'dir usr/lib', 'link usr/lib/libhello.so', 'file usr/lib/libhello.so.2',
      'dir usr/share', 'dir usr/share/hello', 'file usr/share/hello/build-env', 'file usr/share/hello/motd', 'link usr/share/hello/passwd-link',
    ]);
    expect(manifest.actions.find((a: { path: string }) => a.path === 'usr/share/hello/passwd-link').target).toBe('/etc/passwd');
  });

  it('gives the script its environment contract and nothing of the caller’s', () => {
    const text = readFileSync(join(work, 'hello/.zpkg-build/build.log'), 'utf8');
    expect(text).toMatch(/building hello 2\.0-1/);
    const root = image('img-env');
    ok(['--root', root, 'install', '--no-scripts', 'hello']);
    const vars = Object.fromEntries(readFileSync(join(root, 'usr/share/hello/build-env'), 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => l.split(/=(.*)/s).slice(0, 2)));
    expect(vars.DESTDIR).toMatch(/zpkg-build-hello-.*\/dest$/);
    expect(vars.SRCDIR).toBe(vars.DESTDIR!.replace(/dest$/, 'src'));
    expect(vars.WORKDIR).toBe(vars.DESTDIR!.replace(/dest$/, 'work'));
    expect(vars.HOME).toBe(vars.WORKDIR);
    expect(vars.VERSION).toBe('2.0-1');
    expect(vars.PATH).toBe('/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    expect(vars.LEAK).toBe('none');
    // The tarball was unpacked with its top directory stripped; the plain source was copied by name.
    expect(readFileSync(join(root, 'usr/share/hello/build-env'), 'utf8')).toMatch(/^README hello\.conf hello\.sh motd $/m);
    // The temporary build tree is gone.
    expect(existsSync(vars.DESTDIR!.replace(/\/dest$/, ''))).toBe(false);
  });

  it('installs into an image, and the installed program runs', () => {
    const root = image('img-run');
    // The image has no /bin/sh to chroot into: the recipe's post-install hook runs on the host.
    const installed = ok(['--root', root, 'install', '--hooks=host', 'hello']);
    expect(installed.stderr).toContain('hello post-install: hello installed');
    expect(statSync(join(root, 'usr/bin/hello')).mode & 0o7777).toBe(0o755);
    const run = spawnSync(join(root, 'usr/bin/hello'), ['zos'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('hello, zos (v2.0)\n');
    expect(statSync(join(root, 'etc/hello/hello.conf')).mode & 0o7777).toBe(0o640);
    expect(existsSync(join(root, 'usr/lib/libhello.a'))).toBe(false);
    expect(existsSync(join(root, 'usr/share/doc'))).toBe(false);
    expect(ok(['--root', root, 'verify']).stdout).toMatch(/ok/);
  });

  it('carries attributes, config, hooks and services into the published manifest', async () => {
    const conf = manifest.actions.find((a: { path: string }) => a.path === 'etc/hello/hello.conf');
    expect(conf).toMatchObject({ type: 'file', mode: '0640', owner: 'root', group: 'root', config: true, restart: ['hello'] });
    expect(manifest.actions.find((a: { path: string }) => a.path === 'usr/bin/hello').config).toBeUndefined();
    expect(manifest.services).toEqual([{ name: 'hello', restart: 'on-upgrade', reload: true }, { name: 'hello-watch', restart: 'on-upgrade' }]);
    expect(manifest.hooks['post-install']).toEqual({ digest: `sha256:${sha(HOOK)}`, size: HOOK.length });
    expect(manifest.hooks['pre-remove']).toMatchObject({ size: '#!/bin/sh\necho bye\n'.length, timeout: 30 });
    // The hook's content is a blob of the repository, verified by its digest.
    const reader = openRepoReader(repo);
    const entry = (await readSnapshot(reader)).entries.find((e) => e.name === manifest.name)!;
    const place = placesOf(await readRecord(reader, entry.manifest!, 'hello')).get(manifest.hooks['post-install'].digest)!;
    expect((await readBlob(reader, manifest.hooks['post-install'].digest, place, 'post-install')).toString()).toBe(HOOK);
    expect(ok(['repo', 'verify', repo]).stdout).toMatch(/all digests verified/);
  });

  it('a dry build (no --repo) writes nothing to any repository and records no state', () => {
    const src = writeRecipe(join(work, 'dry'), { name: 'dry', version: '1', build: 'mkdir -p "$ZPKG_DESTDIR/opt" && echo x > "$ZPKG_DESTDIR/opt/x"' });
    const r = ok(['--json', 'build', src], { env: env() }).json;
    expect(r.built[0]).toMatchObject({ name: 'dry', files: 1 });
    expect(r.built[0].status).toBeUndefined();
    expect(existsSync(join(src, '.zpkg-build/state.json'))).toBe(false);
  });
});

describe('ZPKG_JOBS', () => {
  it('is the thread budget: --threads, else ZPKG_THREADS, else the cores', () => {
    const src = writeRecipe(join(work, 'jobs'), { name: 'jobs', version: '1', build: 'echo "jobs=$ZPKG_JOBS"; mkdir -p "$ZPKG_DESTDIR/opt" && echo x > "$ZPKG_DESTDIR/opt/x"' });
    const jobs = (args: string[], extra: Record<string, string> = {}): string => {
      ok([...args, 'build', src], { env: { ...env(), ...extra } });
      return /jobs=(\S*)/.exec(readFileSync(join(src, '.zpkg-build/build.log'), 'utf8'))![1]!;
    };
    expect(jobs(['--threads', '3'])).toBe('3');
    expect(jobs([], { ZPKG_THREADS: '5' })).toBe('5');
    expect(jobs(['--threads', '1'], { ZPKG_THREADS: '5' })).toBe('1');
    expect(jobs([])).toBe(String(availableParallelism()));
  });
});
