/**
 * Hooks that run in a fresh image (issue 13 §5): an empty root where the
 * first transaction itself brings /bin/sh. A chrooted hook gets a /dev and a
 * /proc (a private mount namespace, nothing left behind), and a package's
 * pre-hooks run once what they need has landed — the packages it depends on
 * and the one delivering its interpreter — within the one journal, so a
 * failure still undoes everything.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { addMainRemote, publishLifecycle, type LifecyclePackage } from './helpers/lifecycle.js';
import { BUSYBOX } from './helpers/zinit.js';
import { ok, snapshot, tempDir, zpkg } from './helpers/zpkg.js';

const work = tempDir('zpkg-hooks-fresh-');
const repo = join(work, 'repo');

/** The base: busybox as /bin/sh and a few applets, as zos's initramfs has them — here shipped as a package. */
const BASE: LifecyclePackage = {
  name: 'zos-base',
  version: '1',
  files: {
    'bin/busybox': { content: readFileSync(BUSYBOX), mode: 0o755 },
    'bin/sh': { link: 'busybox' },
    'bin/cat': { link: 'busybox' },
    'bin/echo': { link: 'busybox' },
    'bin/grep': { link: 'busybox' },
    'etc/os-release': 'NAME=zos\n',
  },
};

/** A pre-install hook that needs /bin/sh, /dev/null and /proc, and says where it ran. */
const SEES = '#!/bin/sh\necho "hello" > /dev/null || exit 7\ngrep -q "^Name:" /proc/self/status || exit 8\necho "ran in $(cat /etc/os-release)"\n';

beforeAll(async () => {
  await publishLifecycle(repo, work, [
    BASE,
    // No declared relation to zos-base: its hook's interpreter is what ties them.
    { name: 'storaged', version: '1', files: { 'usr/bin/storaged': 'storaged' }, hooks: { 'pre-install': SEES } },
    // Declares it: a dependency lands before the pre-hook too.
    { name: 'noded', version: '1', depends: ['zos-base'], files: { 'usr/bin/noded': 'noded' }, hooks: { 'pre-install': SEES } },
    { name: 'broken', version: '1', depends: ['zos-base'], files: { 'usr/bin/broken': 'broken' }, hooks: { 'pre-install': '#!/bin/sh\necho "cannot set up"\nexit 3\n' } },
  ]);
});

function emptyImage(name: string): string {
  const root = join(work, name);
  ok(['--root', root, 'remote', 'add', 'main', repo, '--insecure']);
  return root;
}

describe('a chrooted hook in an empty image', () => {
  it('runs after the package delivering its interpreter landed, with /dev and /proc, and leaves no mount point behind', () => {
    const root = emptyImage('interp');
    const r = ok(['--root', root, '--json', 'install', 'storaged', 'zos-base']);
    expect(r.json.lifecycle.hookMode).toBe('chroot');
    expect(r.json.lifecycle.hooks).toEqual([expect.objectContaining({ package: 'storaged', phase: 'pre-install', status: 'ok' })]);
    expect(r.json.lifecycle.hooks[0].output).toBe('ran in NAME=zos\n');
    // dev/ and proc/ were made for the hook and removed after it; nothing stays mounted on the host.
    expect(existsSync(join(root, 'dev'))).toBe(false);
    expect(existsSync(join(root, 'proc'))).toBe(false);
    expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(root);
    expect(ok(['--root', root, 'verify']).status).toBe(0);
  });

  it('a declared dependency lands before the pre-hook; the dry run says so', () => {
    const root = emptyImage('depends');
    const dry = ok(['--root', root, '--json', 'install', '-n', 'noded']).json;
    expect(dry.lifecycle.hooks).toEqual([expect.objectContaining({ package: 'noded', phase: 'pre-install', status: 'planned', detail: 'after zos-base lands' })]);
    const r = ok(['--root', root, '--json', 'install', 'noded']);
    expect(r.json.install.map((p: { name: string }) => p.name)).toEqual(['zos-base', 'noded']);
    expect(r.json.lifecycle.hooks[0]).toMatchObject({ package: 'noded', status: 'ok', output: 'ran in NAME=zos\n' });
  });

  it('a pre-hook failing after its dependencies landed undoes the whole transaction: the image is empty again', () => {
    const root = emptyImage('undo');
    const before = snapshot(root, (p) => p.startsWith('var/lib/zpkg'));
    const r = zpkg(['--root', root, '--json', 'install', 'broken']);
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_HOOK_FAILED');
    expect(r.json.error.message).toBe('the pre-install hook of broken 1 failed (exit 3); the transaction was undone (the packages landed for it, zos-base, were taken out again)');
    expect(r.json.error.output).toBe('cannot set up\n');
    expect(snapshot(root, (p) => p.startsWith('var/lib/zpkg'))).toEqual(before);
    expect(ok(['--root', root, '--json', 'list']).json.packages).toEqual([]);
    expect(ok(['--root', root, 'verify']).status).toBe(0);
  });
});
