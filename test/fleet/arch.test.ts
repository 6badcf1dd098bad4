// Issue 17 "architectures": an image has one arch (zpkg.yaml `arch:`, else its adopted base's, else the
// machine's); the solver sees only that arch or `all`; one repository holds one name and version for
// amd64 and arm64; a mismatched install is refused with an explanation.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { machineArch } from '../../src/image/arch.js';
import { openImage } from '../../src/image/image.js';
import { putPackage } from '../../src/image/state.js';
import { imagePolicy } from '../../src/txn/admission.js';
import { expectRefused, hostileImage, hostileWorld } from '../helpers/hostile.js';
import { ok, tempDir, writePackage, zpkg, TRUST } from '../helpers/zpkg.js';

let work: string;
let repo: string;
let n = 0;

function publish(name: string, version: string, arch: string, extra: Record<string, unknown> = {}): void {
  const src = writePackage(join(work, `src-${name}-${version}-${arch}-${n++}`), { name, version, arch, ...extra }, { [`usr/lib/${name}/build`]: `${name} ${version} for ${arch}\n` });
  ok(['build', src, '--repo', repo]);
}

function config(root: string, text: string): void {
  mkdirSync(join(root, 'etc/zpkg'), { recursive: true });
  writeFileSync(join(root, 'etc/zpkg/zpkg.yaml'), text);
}

function image(arch?: string): string {
  const root = join(work, `img-${n++}`);
  if (arch) config(root, `arch: ${arch}\n`);
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  return root;
}

const installed = (root: string): string[] => ok(['--root', root, '--json', 'list']).json.packages.map((p: { name: string; version: string; arch: string }) => `${p.name} ${p.version} ${p.arch}`);

beforeAll(() => {
  work = tempDir();
  repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  publish('libc', '2.36', 'amd64');
  publish('libc', '2.36', 'arm64');
  publish('tool', '1.0', 'amd64', { depends: ['libc (>= 2.36)', 'tool-data'] });
  publish('tool', '1.0', 'arm64', { depends: ['libc (>= 2.36)', 'tool-data'] });
  publish('tool-data', '1.0', 'all');
  publish('armonly', '1.0', 'arm64');
  publish('needs-arm', '1.0', 'all', { depends: ['armonly'] });
});

describe('architectures', () => {
  it('one repository holds the same name and version for amd64 and arm64', () => {
    const list = ok(['--json', 'repo', 'list', repo]).json.packages.map((p: { name: string; version: string; arch: string }) => `${p.name} ${p.version} ${p.arch}`);
    expect(list.filter((l: string) => l.startsWith('tool '))).toEqual(['tool 1.0 amd64', 'tool 1.0 arm64']);
    // Publishing a build again is `unchanged`; the other arch's build is not "the same version with other content".
    publish('tool', '1.0', 'arm64', { depends: ['libc (>= 2.36)', 'tool-data'] });
    const check = zpkg(['--json', 'repo', 'check', repo]).json;
    expect(check.uninstallable.map((u: { name: string }) => u.name)).toEqual(['needs-arm']);
    expect(check.uninstallable[0].reason.join('\n')).toMatch(/on amd64: /);
  });

  it('each image takes the build of its own arch (or `all`), for install and for sync', () => {
    const arm = image('arm64');
    ok(['--root', arm, 'install', 'tool']);
    expect(installed(arm)).toEqual(['libc 2.36 arm64', 'tool 1.0 arm64', 'tool-data 1.0 all']);
    expect(readFileSync(join(arm, 'usr/lib/tool/build'), 'utf8')).toBe('tool 1.0 for arm64\n');
    const amd = image('amd64');
    ok(['--root', amd, 'install', 'tool']);
    expect(installed(amd)).toEqual(['libc 2.36 amd64', 'tool 1.0 amd64', 'tool-data 1.0 all']);
    expect(readFileSync(join(amd, 'usr/lib/tool/build'), 'utf8')).toBe('tool 1.0 for amd64\n');
    ok(['--root', amd, 'verify']);
    const file = join(work, 'release.sync');
    writeFileSync(file, 'libc 2.36\ntool 1.0\ntool-data 1.0\n');
    const synced = image('arm64');
    ok(['--root', synced, 'sync', file]);
    expect(installed(synced)).toEqual(['libc 2.36 arm64', 'tool 1.0 arm64', 'tool-data 1.0 all']);
  });

  it('a package built only for another arch is refused with the image arch and where it comes from', () => {
    const world = hostileWorld();
    const root = hostileImage(world, 'amd', { repo, setup: (r) => config(r, 'arch: amd64\n') });
    const r = expectRefused(world, root, ['install', 'armonly'], { code: 'E_ARCH_MISMATCH', message: /`armonly` is built only for arm64, and the image is amd64 \(from `arch:` in etc\/zpkg\/zpkg\.yaml\)/ });
    expect(r.json.error.hint).toMatch(/arch:/);
    const sync = join(world.work, 'arm.sync');
    writeFileSync(sync, 'armonly 1.0\n');
    expectRefused(world, root, ['sync', sync], { code: 'E_ARCH_MISMATCH' });
    // Needed only as a dependency: unsatisfiable, and the explanation says which build was out and why.
    const dep = expectRefused(world, root, ['install', 'needs-arm'], { code: 'E_UNSATISFIABLE' });
    expect(dep.json.error.explanation.join('\n')).toMatch(/armonly 1\.0 \(arm64\) is not a candidate: it is built for arm64, and the image is amd64/);
    expect(ok(['--root', root, '--json', 'why-not', 'armonly=1.0']).json.reasons[0]).toEqual({ kind: 'arch', text: 'it is built for arm64, and the image is amd64' });
    expect(ok(['--root', root, '--json', 'info', 'armonly']).json.available).toEqual([{ version: '1.0', remote: 'main', arch: 'arm64', out: 'it is built for arm64, and the image is amd64' }]);
  });

  it('repo remove names one build when a version has several', () => {
    const copy = join(work, 'copy');
    ok(['repo', 'create', copy]);
    ok(['repo', 'copy', repo, copy]);
    expect(zpkg(['--json', 'repo', 'remove', copy, 'tool@1.0']).json.error.code).toBe('E_INPUT_INVALID');
    expect(ok(['--json', 'repo', 'remove', copy, 'tool@1.0/arm64']).json.removed).toEqual([{ name: 'tool', version: '1.0', arch: 'arm64' }]);
    const left = ok(['--json', 'repo', 'list', copy]).json.packages.filter((p: { name: string }) => p.name === 'tool');
    expect(left.map((p: { arch: string }) => p.arch)).toEqual(['amd64']);
  });
});

describe('the image arch', () => {
  it('is `arch:` of zpkg.yaml, else the adopted base\'s, else the machine\'s', () => {
    const root = join(work, `detect-${n++}`);
    mkdirSync(root, { recursive: true });
    const img = openImage(root, { create: true });
    try {
      expect(imagePolicy(img).policy.arch).toBe(machineArch());
      expect(imagePolicy(img).archFrom).toBe('this machine');
      const other = machineArch() === 'riscv64' ? 'arm64' : 'riscv64';
      putPackage(img.db, { name: 'zos-base', version: '3.0', arch: other, summary: '', manifest: `sha256:${'0'.repeat(64)}`, remote: null, requested: true, held: false, installedAt: '2026-01-01T00:00:00Z', size: 0, relations: { depends: [], conflicts: [], provides: [], replaces: [] } });
      expect(imagePolicy(img).policy.arch).toBe(other);
      expect(imagePolicy(img).archFrom).toBe('its adopted base zos-base');
      config(root, 'arch: s390x\n');
      expect(imagePolicy(img).policy.arch).toBe('s390x');
    } finally {
      img.close();
    }
  });
});
