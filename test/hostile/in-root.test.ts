/**
 * Issue 16 §1: every path zpkg touches inside an image on its own account —
 * account files, etc/zpkg/zpkg.yaml, its own directory, journals, pending
 * lifecycles — resolves inside the image (openat2 RESOLVE_IN_ROOT semantics:
 * an absolute link target is the image's root, `..` stops at it), is the kind
 * of file expected, and is read with a size limit (src/fs/in-root.ts).
 *
 * Two shapes of case: a refusal (`expectRefused`: typed code, no stack trace,
 * image and sentinel unchanged), and a link that the image may legitimately
 * hold, where the command succeeds and its effect stays in the image
 * (`expectContained`: the sentinel outside is unchanged, no host secret is
 * printed or copied in).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishLifecycle } from '../helpers/lifecycle.js';
import { craft } from '../helpers/packs.js';
import { expectRefused, fileAction, hostileImage, hostileWorld, linkAction, manifestOf, type HostileWorld } from '../helpers/hostile.js';
import { ok, snapshot, zpkg, type Run } from '../helpers/zpkg.js';

const LONG = 10 * 60_000;

/** Publishes `plain` (one file) and `adduser` (a `user` and a `group` action) into the world's repository. */
async function publishBasics(world: HostileWorld): Promise<void> {
  const content = Buffer.from('hello\n');
  await craft(world.repo, manifestOf('plain', [fileAction('usr/share/plain', content)]), [content]);
  await craft(world.repo, manifestOf('adduser', [{ type: 'group', name: 'evilgroup' }, { type: 'user', name: 'eviluser', group: 'evilgroup' }]), []);
}

/** Publishes package `name` holding the link `path` → `target`. */
async function publishLink(world: HostileWorld, name: string, path: string, target: string): Promise<void> {
  await craft(world.repo, manifestOf(name, [linkAction(path, target)]), []);
}

/** Every file of the image (outside zpkg's own directory) that holds the host secret. */
function secretsIn(root: string): string[] {
  return snapshot(root)
    .filter((l) => / file /.test(l))
    .map((l) => l.split(' ')[0]!)
    .filter((rel) => readFileSync(join(root, rel), 'utf8').includes('host secret'));
}

/** Runs a command that must succeed while touching nothing outside the image. */
function expectContained(world: HostileWorld, root: string, args: string[]): Run {
  const sentinelBefore = snapshot(world.sentinel);
  const hostPasswd = createHash('sha256').update(readFileSync('/etc/passwd')).digest('hex');
  const r = zpkg(['--root', root, '--json', ...args], { timeoutMs: 120_000 });
  const context = `zpkg ${args.join(' ')}\nstatus ${r.status} signal ${r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr.slice(-4000)}`;
  expect(r.signal, context).toBeNull();
  expect(r.status, context).toBe(0);
  expect(r.stdout + r.stderr, context).not.toContain('host secret');
  expect(snapshot(world.sentinel), context).toEqual(sentinelBefore);
  expect(createHash('sha256').update(readFileSync('/etc/passwd')).digest('hex')).toBe(hostPasswd);
  expect(secretsIn(root), context).toEqual([]);
  return r;
}

const mkfifo = (path: string): void => {
  execFileSync('mkfifo', [path]);
};
/** A character device like /dev/zero (1,5) at `path` — endless zeros when read. */
const mkzero = (path: string): void => {
  execFileSync('mknod', [path, 'c', '1', '5']);
};
const canMknod = process.getuid?.() === 0;

describe('accounts resolve in the image', () => {
  it('a package link `etc` → an absolute host directory: a later `user` action writes the image, not the host', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    await publishLink(world, 'evil-etc', 'etc', join(world.sentinel, 'etc'));
    const root = hostileImage(world, 'img');
    ok(['--root', root, 'install', 'evil-etc']);
    expectContained(world, root, ['install', 'adduser']);
    // The account went where the link leads inside the image.
    expect(readFileSync(join(root, world.sentinel, 'etc/passwd'), 'utf8')).toContain('eviluser:x:');
    expect(readFileSync(join(root, world.sentinel, 'etc/group'), 'utf8')).toContain('evilgroup:x:');
  }, LONG);

  it('a relative link `etc` → `../../../../sentinel/etc` climbs no higher than the image root', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    await publishLink(world, 'evil-etc', 'etc', `${'../'.repeat(12)}${world.sentinel.slice(1)}/etc`);
    const root = hostileImage(world, 'img');
    ok(['--root', root, 'install', 'evil-etc']);
    expectContained(world, root, ['install', 'adduser']);
  }, LONG);

  it('a link `etc/passwd` → the host sentinel passwd: the account lands in the image', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    await publishLink(world, 'evil-passwd', 'etc/passwd', join(world.sentinel, 'etc/passwd'));
    const root = hostileImage(world, 'img');
    ok(['--root', root, 'install', 'evil-passwd']);
    expectContained(world, root, ['install', 'adduser']);
  }, LONG);

  it('a link `etc/passwd` → `/etc/passwd` is a loop in the image, refused typed; the host file is untouched', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    const root = hostileImage(world, 'img', { setup: (r) => {
      mkdirSync(join(r, 'etc'));
      symlinkSync('/etc/passwd', join(r, 'etc/passwd'));
    } });
    const host = readFileSync('/etc/passwd');
    expectRefused(world, root, ['install', 'adduser'], { code: 'E_IMAGE_INVALID', message: /etc\/passwd.*symbolic links/ });
    expect(readFileSync('/etc/passwd').equals(host)).toBe(true);
  }, LONG);

  it('a link `etc/shadow` → a host secret: its content never enters the image', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    await publishLink(world, 'evil-shadow', 'etc/shadow', join(world.sentinel, 'secret'));
    const root = hostileImage(world, 'img', { setup: (r) => {
      mkdirSync(join(r, 'etc'));
      writeFileSync(join(r, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    } });
    ok(['--root', root, 'install', 'evil-shadow']);
    expectContained(world, root, ['install', 'adduser']);
  }, LONG);

  it('`etc/passwd` a FIFO: refused without hanging', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    const root = hostileImage(world, 'img', { setup: (r) => {
      mkdirSync(join(r, 'etc'));
      mkfifo(join(r, 'etc/passwd'));
    } });
    expectRefused(world, root, ['install', 'adduser'], { code: 'E_IMAGE_INVALID', message: /etc\/passwd.*FIFO/ });
  }, LONG);

  it.skipIf(!canMknod)('`etc/group` an endless character device: refused unread', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    const root = hostileImage(world, 'img', { setup: (r) => {
      mkdirSync(join(r, 'etc'));
      mkzero(join(r, 'etc/group'));
    } });
    expectRefused(world, root, ['install', 'adduser'], { code: 'E_IMAGE_INVALID', message: /etc\/group.*character device/ });
  }, LONG);

  it('`etc/group` a directory: refused typed', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    const root = hostileImage(world, 'img', { setup: (r) => mkdirSync(join(r, 'etc/group'), { recursive: true }) });
    expectRefused(world, root, ['install', 'adduser'], { code: 'E_IMAGE_INVALID', message: /etc\/group.*directory/ });
  }, LONG);

  it('`etc/passwd` larger than its limit: refused without being read whole', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    const root = hostileImage(world, 'img', { setup: (r) => {
      mkdirSync(join(r, 'etc'));
      writeFileSync(join(r, 'etc/passwd'), '');
      truncateSync(join(r, 'etc/passwd'), 17 * 1024 * 1024);
    } });
    expectRefused(world, root, ['install', 'plain'], { code: 'E_IMAGE_INVALID', message: /etc\/passwd.*more than/ });
  }, LONG);

  it('`etc` a regular file: refused as not a directory, typed', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    const root = hostileImage(world, 'img');
    writeFileSync(join(root, 'etc'), 'not a directory\n');
    // zpkg.yaml is the first file read below it.
    expectRefused(world, root, ['install', 'adduser'], { code: 'E_CONFIG_INVALID', message: /`etc` in the image is not a directory/ });
  }, LONG);
});

describe('etc/zpkg/zpkg.yaml resolves in the image and is read bounded', () => {
  it('a package link to a host secret: never printed, the image reads as unconfigured', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    await publishLink(world, 'evil-config', 'etc/zpkg/zpkg.yaml', join(world.sentinel, 'secret'));
    const root = hostileImage(world, 'img');
    ok(['--root', root, 'install', 'evil-config']);
    expectContained(world, root, ['install', 'plain']);
    expectContained(world, root, ['remove', 'evil-config']);
  }, LONG);

  it('a package link to /dev/zero: later commands, its own removal included, return', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    await publishLink(world, 'zero-config', 'etc/zpkg/zpkg.yaml', '/dev/zero');
    const root = hostileImage(world, 'img');
    ok(['--root', root, 'install', 'zero-config']);
    // The image has no dev/zero: the link leads nowhere in it.
    expectContained(world, root, ['install', 'plain']);
    expectContained(world, root, ['remove', 'zero-config']);
  }, LONG);

  it.skipIf(!canMknod)('a link to /dev/zero in an image that has that device: refused unread, typed', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    const root = hostileImage(world, 'img');
    mkdirSync(join(root, 'dev'));
    mkzero(join(root, 'dev/zero'));
    mkdirSync(join(root, 'etc/zpkg'), { recursive: true });
    symlinkSync('/dev/zero', join(root, 'etc/zpkg/zpkg.yaml'));
    expectRefused(world, root, ['install', 'plain'], { code: 'E_CONFIG_INVALID', message: /zpkg\.yaml.*character device/ });
  }, LONG);

  it('a link to /dev/zero through `dev` → `/dev`: a loop in the image, refused typed', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    const root = hostileImage(world, 'img');
    symlinkSync('/dev', join(root, 'dev'));
    mkdirSync(join(root, 'etc/zpkg'), { recursive: true });
    symlinkSync('/dev/zero', join(root, 'etc/zpkg/zpkg.yaml'));
    expectRefused(world, root, ['install', 'plain'], { code: 'E_CONFIG_INVALID', message: /symbolic links/ });
  }, LONG);

  it('a FIFO: refused without hanging', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    const root = hostileImage(world, 'img');
    mkdirSync(join(root, 'etc/zpkg'), { recursive: true });
    mkfifo(join(root, 'etc/zpkg/zpkg.yaml'));
    expectRefused(world, root, ['install', 'plain'], { code: 'E_CONFIG_INVALID', message: /FIFO/ });
    expectRefused(world, root, ['list'], { code: 'E_CONFIG_INVALID', message: /FIFO/ });
  }, LONG);

  it('a directory: refused typed', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    const root = hostileImage(world, 'img');
    mkdirSync(join(root, 'etc/zpkg/zpkg.yaml'), { recursive: true });
    expectRefused(world, root, ['install', 'plain'], { code: 'E_CONFIG_INVALID', message: /directory/ });
  }, LONG);

  it('over 1 MiB: refused without being read', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    const root = hostileImage(world, 'img');
    mkdirSync(join(root, 'etc/zpkg'), { recursive: true });
    writeFileSync(join(root, 'etc/zpkg/zpkg.yaml'), '');
    truncateSync(join(root, 'etc/zpkg/zpkg.yaml'), 2 * 1024 * 1024);
    expectRefused(world, root, ['install', 'plain'], { code: 'E_CONFIG_INVALID', message: /is 2097152 bytes, more than the 1048576 allowed/ });
  }, LONG);

  it('a link to itself: refused typed', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    const root = hostileImage(world, 'img');
    mkdirSync(join(root, 'etc/zpkg'), { recursive: true });
    symlinkSync('zpkg.yaml', join(root, 'etc/zpkg/zpkg.yaml'));
    expectRefused(world, root, ['install', 'plain'], { code: 'E_CONFIG_INVALID', message: /symbolic links/ });
  }, LONG);

  it('an absolute link inside the image is followed there: its `protected:` holds', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    const root = hostileImage(world, 'img');
    mkdirSync(join(root, 'etc/zpkg'), { recursive: true });
    mkdirSync(join(root, 'srv'));
    writeFileSync(join(root, 'srv/zpkg.yaml'), 'protected: [plain]\n');
    symlinkSync('/srv/zpkg.yaml', join(root, 'etc/zpkg/zpkg.yaml'));
    ok(['--root', root, 'install', 'plain']);
    expectRefused(world, root, ['remove', 'plain'], { code: 'E_PROTECTED' });
  }, LONG);
});

describe("zpkg's own directory, journals and markers resolve in the image", () => {
  it('`var` → an absolute host directory before the first install: the state is kept inside the image', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    const root = hostileImage(world, 'img', { setup: (r) => symlinkSync(world.sentinel, join(r, 'var')) });
    expectContained(world, root, ['install', 'plain']);
    expect(readFileSync(join(root, world.sentinel.slice(1), 'lib/zpkg/state.db')).length).toBeGreaterThan(0);
    expect(ok(['--root', root, 'list']).stdout).toMatch(/^plain\b/m);
  }, LONG);

  it('`var/lib/zpkg/journal` a link to a host directory: the journal stays in the image', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    const root = hostileImage(world, 'img');
    mkdirSync(join(root, 'var/lib/zpkg'), { recursive: true });
    symlinkSync(world.sentinel, join(root, 'var/lib/zpkg/journal'));
    expectContained(world, root, ['install', 'plain']);
  }, LONG);

  it('a journal that is a FIFO: recovery refuses it typed, without hanging', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    const root = hostileImage(world, 'img');
    mkdirSync(join(root, 'var/lib/zpkg/journal'), { recursive: true });
    mkfifo(join(root, 'var/lib/zpkg/journal/0-evil.json'));
    expectRefused(world, root, ['install', 'plain'], { code: 'E_IMAGE_INVALID', message: /journal.*FIFO/ });
  }, LONG);

  it('a journal that is a link to a host file: refused typed, the host file never read', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    const root = hostileImage(world, 'img');
    mkdirSync(join(root, 'var/lib/zpkg/journal'), { recursive: true });
    symlinkSync(join(world.sentinel, 'secret'), join(root, 'var/lib/zpkg/journal/0-evil.json'));
    expectRefused(world, root, ['install', 'plain'], { code: 'E_IMAGE_INVALID', message: /journal.*symbolic link/ });
  }, LONG);

  it('`var/lib/zpkg` a regular file: refused typed, even with the state outside', async () => {
    const world = hostileWorld();
    const root = join(world.work, 'img');
    mkdirSync(join(root, 'var/lib'), { recursive: true });
    writeFileSync(join(root, 'var/lib/zpkg'), 'x');
    const state = join(world.work, 'state');
    expectRefused(world, root, ['--state-dir', state, 'remote', 'add', 'main', world.repo, '--insecure'], { code: 'E_IMAGE_INVALID', message: /var\/lib\/zpkg/ });
    expectRefused(world, root, ['list'], { code: 'E_IMAGE_INVALID', message: /var\/lib\/zpkg/ });
  }, LONG);

  it('the image-id marker of outside state a FIFO: refused without hanging', async () => {
    const world = hostileWorld();
    const root = join(world.work, 'img');
    mkdirSync(join(root, 'var/lib/zpkg'), { recursive: true });
    mkfifo(join(root, 'var/lib/zpkg/image-id'));
    const state = join(world.work, 'state');
    expectRefused(world, root, ['--state-dir', state, 'remote', 'add', 'main', world.repo, '--insecure'], { code: 'E_IMAGE_INVALID', message: /image-id.*FIFO/ });
  }, LONG);

  it('the lock a link to a host path (a hook can leave one): refused, nothing created outside', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    const root = hostileImage(world, 'img');
    symlinkSync(join(world.sentinel, 'created-by-zpkg'), join(root, 'var/lib/zpkg/lock'));
    expectRefused(world, root, ['install', 'plain'], { code: 'E_IMAGE_INVALID', message: /lock: is a symbolic link/ });
  }, LONG);

  it('state.db-wal a FIFO: refused without hanging', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    const root = hostileImage(world, 'img');
    rmSync(join(root, 'var/lib/zpkg/state.db-wal'), { force: true });
    mkfifo(join(root, 'var/lib/zpkg/state.db-wal'));
    expectRefused(world, root, ['install', 'plain'], { code: 'E_IMAGE_INVALID', message: /state\.db-wal: is a FIFO/ });
  }, LONG);

  it('state.db a link to a host file: refused, the host file neither read as a database nor written', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    const root = join(world.work, 'img');
    mkdirSync(join(root, 'var/lib/zpkg'), { recursive: true });
    symlinkSync(join(world.sentinel, 'secret'), join(root, 'var/lib/zpkg/state.db'));
    const before = snapshot(world.sentinel);
    const r = zpkg(['--root', root, '--json', 'remote', 'add', 'main', world.repo, '--insecure'], { timeoutMs: 60_000 });
    expect(r.status).toBe(1);
    expect(r.json?.error?.code).toBe('E_IMAGE_INVALID');
    expect(r.json?.error?.message).toMatch(/state\.db: is a symbolic link/);
    expect(snapshot(world.sentinel)).toEqual(before);
  }, LONG);

  it('a hook run on the host in an image whose `var` links out is stored and run inside the image', async () => {
    const world = hostileWorld();
    await publishLifecycle(world.repo, world.work, [{ name: 'hooked', version: '1', files: { 'usr/share/hooked': 'x' }, hooks: { 'post-install': 'echo ran > hook-ran\n' } }]);
    const root = hostileImage(world, 'img', { setup: (r) => symlinkSync(join(world.sentinel, 'var'), join(r, 'var')) });
    expectContained(world, root, ['install', '--hooks=host', 'hooked']);
    expect(readFileSync(join(root, 'hook-ran'), 'utf8')).toBe('ran\n');
    expect(snapshot(join(root, world.sentinel.slice(1), 'var/lib/zpkg/hooks')).length).toBe(1);
  }, LONG);

  it('`var/lib/zpkg/hooks` a link to a host directory: the hook is stored in the image, not there', async () => {
    const world = hostileWorld();
    await publishLifecycle(world.repo, world.work, [{ name: 'hooked', version: '1', files: { 'usr/share/hooked': 'x' }, hooks: { 'post-install': 'echo ran > hook-ran\n' } }]);
    const root = hostileImage(world, 'img');
    symlinkSync(world.sentinel, join(root, 'var/lib/zpkg/hooks'));
    expectContained(world, root, ['install', '--hooks=host', 'hooked']);
    expect(readFileSync(join(root, 'hook-ran'), 'utf8')).toBe('ran\n');
  }, LONG);

  it('a pending lifecycle that is a FIFO: dropped with a warning, never read; the command goes on', async () => {
    const world = hostileWorld();
    await publishBasics(world);
    const root = hostileImage(world, 'img');
    mkdirSync(join(root, 'var/lib/zpkg/lifecycle'), { recursive: true });
    mkfifo(join(root, 'var/lib/zpkg/lifecycle/0-evil.json'));
    const r = expectContained(world, root, ['install', 'plain']);
    expect(r.stderr).toMatch(/pending lifecycle.*FIFO/);
  }, LONG);
});
