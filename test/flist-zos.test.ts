/**
 * A zos-like release from flists: hub-style flists (packed by the rfs model,
 * no zpkg tag, one shared store) of a static busybox base, a service with its
 * zinit file and a tool are imported as two release tags with
 * `import-flist … --set zos=VERSION`; `sync --set` installs a tag into an
 * empty image where the programs run under chroot, moves the image to the
 * next tag in one transaction (an upgrade, a removal) and back.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { rfsModel } from './helpers/flists.js';
import { addRemote } from './helpers/servers.js';
import { ok, tempDir } from './helpers/zpkg.js';

let work: string;
let hub: string;
let repo: string;

/** A tree packed by the rfs model into HUB/NAME-VERSION.fl, its blocks in HUB/store. */
function flist(nameVersion: string, files: Record<string, string | { link: string } | { copy: string; mode: number } | { text: string; mode: number }>): string {
  const tree = join(work, 'trees', nameVersion);
  for (const [path, f] of Object.entries(files)) {
    const abs = join(tree, path);
    mkdirSync(join(abs, '..'), { recursive: true });
    if (typeof f === 'string') writeFileSync(abs, f, { mode: 0o644 });
    else if ('link' in f) symlinkSync(f.link, abs);
    else if ('copy' in f) copyFileSync(f.copy, abs);
    else writeFileSync(abs, f.text, { mode: f.mode });
  }
  const fl = join(hub, `${nameVersion}.fl`);
  rfsModel(['pack', tree, fl, join(hub, 'store')]);
  return fl;
}

const run = (image: string, ...argv: string[]) => spawnSync('chroot', [image, ...argv], { encoding: 'utf8' });

beforeAll(() => {
  work = tempDir('zpkg-flist-zos-');
  hub = join(work, 'hub');
  mkdirSync(hub);
  const base = flist('base-1.0', {
    'bin/busybox': { copy: '/bin/busybox', mode: 0o755 },
    'bin/sh': { link: 'busybox' },
    'bin/cat': { link: 'busybox' },
    'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n',
    'etc/group': 'root:x:0:\n',
  });
  const greeter1 = flist('greeter-1.0', {
    'usr/bin/greet': { text: '#!/bin/sh\necho "greeter 1.0"\n', mode: 0o755 },
    'etc/zinit/greeter.yaml': 'exec: /usr/bin/greet\n',
  });
  const greeter2 = flist('greeter-2.0', {
    'usr/bin/greet': { text: '#!/bin/sh\necho "greeter 2.0: $(cat /usr/share/greeter/motd)"\n', mode: 0o755 },
    'usr/share/greeter/motd': 'new in 2.0\n',
    'etc/zinit/greeter.yaml': 'exec: /usr/bin/greet\nafter: [netd]\n',
  });
  const netd = flist('netd-1.0', { 'usr/sbin/netd': { text: '#!/bin/sh\necho netd\n', mode: 0o755 } });
  repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  const tag30 = ok(['--json', 'import-flist', base, greeter1, netd, '--set', 'zos=3.0', '--repo', repo]).json;
  expect(tag30.packages.map((p: any) => [p.name, p.version, p.status, p.fromTag])).toEqual([
    ['base', '1.0', 'added', false],
    ['greeter', '1.0', 'added', false],
    ['netd', '1.0', 'added', false],
  ]);
  expect(tag30.set).toMatchObject({ name: 'zos', version: '3.0', status: 'added', depends: ['base (= 1.0)', 'greeter (= 1.0)', 'netd (= 1.0)'] });
  const tag31 = ok(['--json', 'import-flist', base, greeter2, '--set', 'zos=3.1', '--repo', repo]).json;
  // The same flist again is the same package: published once.
  expect(tag31.packages.map((p: any) => [p.name, p.status])).toEqual([['base', 'unchanged'], ['greeter', 'added']]);
  expect(tag31.set).toMatchObject({ name: 'zos', version: '3.1', depends: ['base (= 1.0)', 'greeter (= 2.0)'] });
}, 600_000);

describe('hub tags as release sets', () => {
  it('sync --set installs a tag into an empty image, and its programs run under chroot', () => {
    const image = join(work, 'node');
    mkdirSync(image);
    addRemote(image, 'hub', repo);
    ok(['--root', image, 'sync', '--set', 'zos=3.0']);
    expect(ok(['--root', image, '--json', 'list']).json.packages.map((p: any) => `${p.name} ${p.version}`).sort()).toEqual(['base 1.0', 'greeter 1.0', 'netd 1.0', 'zos 3.0']);
    expect(run(image, '/usr/bin/greet').stdout).toBe('greeter 1.0\n');
    expect(run(image, '/usr/sbin/netd').stdout).toBe('netd\n');
    expect(run(image, '/bin/sh', '-c', 'cat /etc/zinit/greeter.yaml').stdout).toBe('exec: /usr/bin/greet\n');
    expect(ok(['--root', image, 'verify']).status).toBe(0);
  });

  it('moves between the two tags in one transaction each: greeter upgraded, netd removed, and back', () => {
    const image = join(work, 'node');
    const up = ok(['--root', image, '--json', 'sync', '--set', 'zos=3.1']).json;
    expect(up.upgrade.map((u: any) => [u.name, u.from, u.to]).sort()).toEqual([['greeter', '1.0', '2.0'], ['zos', '3.0', '3.1']]);
    expect(up.remove.map((r: any) => r.name)).toEqual(['netd']);
    expect(run(image, '/usr/bin/greet').stdout).toBe('greeter 2.0: new in 2.0\n');
    expect(existsSync(join(image, 'usr/sbin/netd'))).toBe(false);
    expect(ok(['--root', image, 'verify']).status).toBe(0);

    const down = ok(['--root', image, '--json', 'sync', '--set', 'zos=3.0']).json;
    expect(down.downgrade.map((d: any) => [d.name, d.from, d.to]).sort()).toEqual([['greeter', '2.0', '1.0'], ['zos', '3.1', '3.0']]);
    expect(down.install.map((i: any) => i.name)).toEqual(['netd']);
    expect(run(image, '/usr/bin/greet').stdout).toBe('greeter 1.0\n');
    expect(existsSync(join(image, 'usr/share/greeter/motd'))).toBe(false);
    expect(run(image, '/usr/sbin/netd').stdout).toBe('netd\n');
  });
});
