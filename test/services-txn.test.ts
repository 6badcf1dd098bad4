/**
 * Services around real transactions. runit (runsvdir) and s6 (s6-svscan)
 * supervise real daemons shipped by packages installed into a temporary
 * image; zinit is test/zinit-txn.test.ts (the model of scripts/zinit-model.mjs).
 *
 * The daemon records its version and pid when it starts, and when it gets
 * TERM it records which version of its binary is on disk at that moment: an
 * upgrade that stops it before replacing the binary makes it see its own.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMainRemote, publishLifecycle, writeImageConfig, type LifecyclePackage } from './helpers/lifecycle.js';
import { alive, until, writeExec } from './helpers/process.js';
import { zpkgAsync } from './helpers/recipes.js';
import { ok, tempDir, zpkg } from './helpers/zpkg.js';

const work = tempDir('zpkg-services-txn-');
const children: ChildProcess[] = [];




/** The daemon a package ships as usr/bin/NAME: its version is in the binary's text (`V=…`). */
function daemon(image: string, out: string, name: string, version: string, opts: { crash?: boolean } = {}): string {
  if (opts.crash) return `#!/bin/sh\n# V=${version}\necho "${name} ${version} cannot start" >&2\nexit 1\n`;
  return [
    '#!/bin/sh',
    `# V=${version}`,
    `echo "${version} $$" > "${out}/${name}.version"`,
    `trap 'echo "stop ${version} saw=$(grep -o "V=[0-9][0-9.]*" "${image}/usr/bin/${name}")" >> "${out}/${name}.events"; exit 0' TERM`,
    `trap 'echo "reload ${version}" >> "${out}/${name}.events"' HUP`,
    'while :; do sleep 0.1; done',
    '',
  ].join('\n');
}

function readVersion(out: string, name: string): { version: string; pid: number } | undefined {
  try {
    const [version, pid] = readFileSync(join(out, `${name}.version`), 'utf8').trim().split(' ');
    return { version: version!, pid: Number(pid) };
  } catch {
    return undefined;
  }
}

/**
 * What the daemon recorded once it runs as `version` (and, with `not`, under
 * another pid than that one). A supervisor says "running" as soon as it forked
 * the process; the process writes its record a moment later, much later on a
 * busy machine: wait for it rather than read it at once.
 */
function started(out: string, name: string, version: string, not?: number): Promise<{ version: string; pid: number }> {
  return until(`${name} ${version} to record its start`, () => {
    const v = readVersion(out, name);
    return v && v.version === version && v.pid !== not ? v : undefined;
  });
}

function events(out: string, name: string): string[] {
  try {
    return readFileSync(join(out, `${name}.events`), 'utf8').trim().split('\n');
  } catch {
    return [];
  }
}

interface Setup {
  image: string;
  repo: string;
  out: string;
  scan: string;
}

function setup(kind: string): Setup {
  const base = join(work, kind);
  const s = { image: join(base, 'image'), repo: join(base, 'repo'), out: join(base, 'out'), scan: join(base, 'scan') };
  for (const d of [s.image, s.out, s.scan]) mkdirSync(d, { recursive: true });
  return s;
}

/** A supervised service that runs the image's usr/bin/NAME, down until zpkg starts it. */
function superviseDown(s: Setup, name: string): void {
  const dir = join(s.scan, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'down'), '');
  writeExec(join(dir, 'run'), `#!/bin/sh\nexec "${s.image}/usr/bin/${name}"\n`);
}

function pkg(s: Setup, name: string, version: string, extra: Partial<LifecyclePackage> & { crash?: boolean } = {}): LifecyclePackage {
  return { name, version, files: { [`usr/bin/${name}`]: { content: daemon(s.image, s.out, name, version, { crash: extra.crash }), mode: 0o755 } }, services: [{ name, restart: 'on-upgrade' }], ...extra };
}

/**
 * The services timeout of the images: what a stop or start that should succeed may
 * wait. Wide, so that a machine busy with other work cannot fail it; a correct
 * manager returns as soon as the service is up, so it costs nothing.
 */
const WAIT_S = 60;

function startSupervisor(cmd: string, args: string[]): void {
  children.push(spawn(cmd, args, { detached: true, stdio: 'ignore' }));
}

afterAll(() => {
  for (const c of children) {
    try {
      process.kill(c.pid!, 'SIGHUP');
    } catch {
      // gone
    }
  }
  // runsv/s6-supervise and the daemons they run
  spawnSync('pkill', ['-f', work]);
});

describe('runit', () => {
  const s = setup('runit');
  const svEnv = { ...process.env, SVDIR: s.scan };
  const svStat = (name: string): string => spawnSync('sv', ['status', name], { env: svEnv, encoding: 'utf8' }).stdout;
  const runitConfig = (timeout: number): string => `services:\n  manager: runit\n  svdir: ${s.scan}\n  timeout: ${timeout}\n  protected: [guarded]\n`;

  beforeAll(async () => {
    for (const name of ['daemon', 'guarded', 'bootd', 'phoenix', 'sentinel']) superviseDown(s, name);
    startSupervisor('runsvdir', [s.scan]);
    for (const name of ['daemon', 'guarded', 'bootd', 'phoenix', 'sentinel']) await until(`${name} supervised`, () => (svStat(name).startsWith('down:') ? true : undefined));
    await publishLifecycle(s.repo, work, [
      pkg(s, 'daemon', '1.0'),
      pkg(s, 'daemon', '2.0'),
      pkg(s, 'daemon', '3.0', { crash: true }),
      pkg(s, 'guarded', '1.0'),
      pkg(s, 'guarded', '2.0'),
      { ...pkg(s, 'bootd', '1.0'), hooks: { 'post-install': `echo ran > "${s.out}/bootd.hook"` } },
      pkg(s, 'phoenix', '1.0'),
      pkg(s, 'phoenix', '2.0'),
      pkg(s, 'sentinel', '1.0'),
      pkg(s, 'sentinel', '2.0', { crash: true }),
    ]);
    writeImageConfig(s.image, runitConfig(WAIT_S));
    addMainRemote(s.image, s.repo);
  });

  it('a new package\'s service is started after the commit', async () => {
    const r = ok(['--root', s.image, '--json', 'install', '--hooks=host', 'daemon=1.0']);
    expect(r.json.lifecycle.serviceManager).toBe('runit');
    expect(r.json.lifecycle.services).toEqual([expect.objectContaining({ name: 'daemon', action: 'start', status: 'ok' })]);
    const v = await started(s.out, 'daemon', '1.0');
    expect(alive(v.pid)).toBe(true);
    expect(svStat('daemon')).toMatch(/^run: daemon: \(pid \d+\)/);
  });

  it('an upgrade stops the old process before its binary changes and starts the new one after the commit', async () => {
    const old = readVersion(s.out, 'daemon')!;
    const r = ok(['--root', s.image, '--json', 'install', '--hooks=host', 'daemon=2.0']);
    expect(r.json.lifecycle.services.map((x: { action: string; status: string }) => `${x.action} ${x.status}`)).toEqual(['stop ok', 'start ok']);
    // The old process saw its own binary when it was stopped: the files changed after the stop.
    expect(events(s.out, 'daemon')).toEqual(['stop 1.0 saw=V=1.0']);
    const now = await started(s.out, 'daemon', '2.0');
    expect(now.pid).not.toBe(old.pid);
    expect(alive(now.pid)).toBe(true);
    expect(alive(old.pid)).toBe(false);
    expect(readFileSync(join(s.image, 'usr/bin/daemon'), 'utf8')).toContain('V=2.0');
  });

  it('a protected service is never stopped or started', async () => {
    ok(['--root', s.image, 'install', '--hooks=host', 'guarded=1.0']);
    // A protected service is not started either: start it the way its owner would.
    spawnSync('sv', ['up', 'guarded'], { env: svEnv });
    const before = await until('guarded running', () => readVersion(s.out, 'guarded'));
    const r = ok(['--root', s.image, '--json', 'install', '--hooks=host', 'guarded=2.0']);
    expect(r.json.lifecycle.services).toEqual([expect.objectContaining({ name: 'guarded', status: 'protected' })]);
    expect(readVersion(s.out, 'guarded')).toEqual(before);
    expect(alive(before.pid)).toBe(true);
    expect(events(s.out, 'guarded')).toEqual([]);
    expect(readFileSync(join(s.image, 'usr/bin/guarded'), 'utf8')).toContain('V=2.0');
  });

  it('a service that fails to start is reported: exit 1, committed with errors, shown by verify', () => {
    // A service that never comes up makes the start wait its whole timeout: keep that short here.
    writeImageConfig(s.image, runitConfig(4));
    let r: ReturnType<typeof zpkg>;
    try {
      r = zpkg(['--root', s.image, '--json', 'install', '--hooks=host', 'daemon=3.0']);
    } finally {
      writeImageConfig(s.image, runitConfig(WAIT_S));
    }
    expect(r.status).toBe(1);
    expect(r.json.upgrade).toEqual([{ name: 'daemon', from: '2.0', to: '3.0' }]);
    const start = r.json.lifecycle.services.find((x: { action: string }) => x.action === 'start');
    expect(start.status).toBe('failed');
    expect(start.detail).toContain('daemon');
    expect(r.json.lifecycle.errors).toBe(1);
    expect(ok(['--root', s.image, '--json', 'history']).json.transactions.at(-1).status).toBe('committed-with-errors');
    const v = zpkg(['--root', s.image, 'verify', 'daemon']);
    expect(v.status).toBe(1);
    expect(v.stdout).toMatch(/daemon: not fully set up: service daemon start failed/);
  });

  it('sync --boot runs no hooks but starts the services', async () => {
    const list = join(work, 'boot-list');
    writeFileSync(list, 'daemon 3.0\nguarded 2.0\nbootd 1.0\n');
    const r = ok(['--root', s.image, '--json', 'sync', '--boot', list]);
    expect(r.json.install).toEqual([{ name: 'bootd', version: '1.0' }]);
    expect(r.json.lifecycle.hooks).toEqual([]);
    expect(existsSync(join(s.out, 'bootd.hook'))).toBe(false);
    expect(r.json.lifecycle.services).toEqual([expect.objectContaining({ name: 'bootd', action: 'start', status: 'ok' })]);
    expect(alive((await started(s.out, 'bootd', '1.0')).pid)).toBe(true);
  });

  it('killed after stopping a service: recovery rolls the files back and starts the old version again; after the commit: it starts the new one', async () => {
    ok(['--root', s.image, 'install', '--hooks=host', 'phoenix=1.0']);
    const first = await started(s.out, 'phoenix', '1.0');
    const killed = zpkg(['--root', s.image, 'install', '--hooks=host', 'phoenix=2.0'], { env: { ZPKG_CRASH_AT: 'applied' } });
    expect(killed.status).not.toBe(0);
    expect(alive(first.pid)).toBe(false);
    expect(svStat('phoenix')).toMatch(/^down: phoenix/);
    const r = ok(['--root', s.image, '--json', 'recover']);
    expect(r.json.recovered).toEqual([expect.objectContaining({ outcome: 'rolled back' })]);
    expect(r.json.lifecycles).toEqual([expect.objectContaining({ outcome: 'restarted' })]);
    const again = await until('phoenix 1.0 again', () => {
      const v = readVersion(s.out, 'phoenix');
      return v && v.pid !== first.pid ? v : undefined;
    });
    expect(again.version).toBe('1.0');
    expect(alive(again.pid)).toBe(true);

    const killedLater = zpkg(['--root', s.image, 'install', '--hooks=host', 'phoenix=2.0'], { env: { ZPKG_CRASH_AT: 'committed' } });
    expect(killedLater.status).not.toBe(0);
    expect(svStat('phoenix')).toMatch(/^down: phoenix/);
    // Any changing command finishes it first; here a no-op install.
    ok(['--root', s.image, 'install', '--hooks=host', 'phoenix=2.0']);
    const now = await started(s.out, 'phoenix', '2.0');
    expect(alive(now.pid)).toBe(true);
    const h = ok(['--root', s.image, '--json', 'history']).json.transactions.at(-1);
    const one = ok(['--root', s.image, '--json', 'history', String(h.id)]).json;
    expect(one.lifecycle.map((x: { name: string; action: string; status: string }) => `${x.name} ${x.action} ${x.status}`)).toEqual(['phoenix stop ok', 'phoenix start ok']);
  });

  it('--rollback-on-failure: a service that does not come up rolls the image back, both transactions in history, the old version runs again', async () => {
    ok(['--root', s.image, 'install', '--hooks=host', 'sentinel=1.0']);
    const first = await started(s.out, 'sentinel', '1.0');
    // The crashing version's start waits its whole timeout: keep that short here.
    writeImageConfig(s.image, runitConfig(8));
    let r: ReturnType<typeof zpkg>;
    try {
      r = zpkg(['--root', s.image, '--json', 'install', '--hooks=host', '--rollback-on-failure', 'sentinel=2.0']);
    } finally {
      writeImageConfig(s.image, runitConfig(WAIT_S));
    }
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_ROLLED_BACK');
    expect(r.json.error.message).toMatch(/^transaction (\d+) failed after its commit: service sentinel start failed: .*; the image was rolled back to generation \d+ \(transaction \d+\)$/);
    const [failed, back] = ok(['--root', s.image, '--json', 'history']).json.transactions.slice(-2);
    expect(failed).toMatchObject({ status: 'committed-with-errors', command: expect.stringContaining('sentinel=2.0') });
    expect(back).toMatchObject({ status: 'committed', command: expect.stringContaining(`(automatic rollback of transaction ${failed.id})`), changes: { downgrade: [{ name: 'sentinel', from: '2.0', to: '1.0' }] } });
    const again = await started(s.out, 'sentinel', '1.0', first.pid);
    expect(alive(again.pid)).toBe(true);
    expect(svStat('sentinel')).toMatch(/^run: sentinel/);
    expect(ok(['--root', s.image, 'verify', 'sentinel']).status).toBe(0);
  });

  it('removing a package stops its service first', () => {
    const pid = readVersion(s.out, 'bootd')!.pid;
    const r = ok(['--root', s.image, '--json', 'remove', 'bootd']);
    expect(r.json.lifecycle.services).toEqual([expect.objectContaining({ name: 'bootd', action: 'stop', status: 'ok' })]);
    expect(events(s.out, 'bootd')).toEqual(['stop 1.0 saw=V=1.0']);
    expect(alive(pid)).toBe(false);
  });
});

describe('s6', () => {
  const s = setup('s6');
  const up = (name: string): boolean => spawnSync('s6-svstat', ['-o', 'up', join(s.scan, name)], { encoding: 'utf8' }).stdout.trim() === 'true';

  beforeAll(async () => {
    for (const name of ['web', 'hupd']) superviseDown(s, name);
    startSupervisor('s6-svscan', [s.scan]);
    for (const name of ['web', 'hupd']) await until(`${name} supervised`, () => (existsSync(join(s.scan, name, 'supervise', 'status')) ? true : undefined));
    await publishLifecycle(s.repo, work, [
      pkg(s, 'web', '1.0'),
      pkg(s, 'web', '2.0'),
      { ...pkg(s, 'hupd', '1.0'), services: [{ name: 'hupd', restart: 'on-upgrade', reload: true }] },
      { ...pkg(s, 'hupd', '1.1'), services: [{ name: 'hupd', restart: 'on-upgrade', reload: true }] },
      { name: 'web-conf', version: '1', files: { 'etc/web.conf': 'port 80\n' }, restart: { 'etc/web.conf': ['web'] } },
      { name: 'web-conf', version: '2', files: { 'etc/web.conf': 'port 8080\n' }, restart: { 'etc/web.conf': ['web'] } },
    ]);
    writeImageConfig(s.image, `services:\n  manager: s6\n  s6-scandir: ${s.scan}\n  timeout: ${WAIT_S}\n`);
    addMainRemote(s.image, s.repo);
  });

  it('install starts, upgrade restarts with a new process and version', async () => {
    ok(['--root', s.image, 'install', 'web=1.0']);
    const first = await started(s.out, 'web', '1.0');
    expect(up('web')).toBe(true);
    ok(['--root', s.image, 'install', 'web=2.0']);
    const second = await started(s.out, 'web', '2.0');
    expect(second.pid).not.toBe(first.pid);
    expect(alive(first.pid)).toBe(false);
    expect(events(s.out, 'web')).toEqual(['stop 1.0 saw=V=1.0']);
  });

  it('a service declared reload: true is reloaded (HUP), not restarted', async () => {
    ok(['--root', s.image, 'install', 'hupd=1.0']);
    const before = await started(s.out, 'hupd', '1.0');
    const r = ok(['--root', s.image, '--json', 'install', 'hupd=1.1']);
    expect(r.json.lifecycle.services).toEqual([expect.objectContaining({ name: 'hupd', action: 'reload', status: 'ok' })]);
    await until('the HUP to be handled', () => (events(s.out, 'hupd').length ? true : undefined));
    expect(events(s.out, 'hupd')).toEqual(['reload 1.0']);
    expect(readVersion(s.out, 'hupd')).toEqual(before);
  });

  it('a changed file whose action names a service restarts it, once, whoever ships the file', async () => {
    ok(['--root', s.image, 'install', 'web-conf=1']);
    const before = await started(s.out, 'web', '2.0');
    const r = ok(['--root', s.image, '--json', 'install', 'web-conf=2']);
    expect(r.json.lifecycle.services.map((x: { name: string; action: string }) => `${x.name} ${x.action}`)).toEqual(['web stop', 'web start']);
    const after = await started(s.out, 'web', '2.0', before.pid);
    expect(after.pid).not.toBe(before.pid);
  });
});

// zinit around real transactions: test/zinit-txn.test.ts.
