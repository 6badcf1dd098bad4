/**
 * Service managers against real supervisors (runit's runsvdir, s6's s6-svscan)
 * started on temporary directories; zinit is test/zinit.test.ts.
 *
 * systemd is not exercised: PID 1 here is not systemd.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isZpkgError } from '../src/core/errors.js';
import { createServer } from 'node:net';
import { alive, until, writeExec } from './helpers/process.js';
import { parseSvStatus } from '../src/hooks/services/runit.js';
import { parseSvstat } from '../src/hooks/services/s6.js';
import {
  createServiceManager,
  detectServiceKind,
  restartService,
  RunitManager,
  S6Manager,
  selectServiceManager,
  type ServiceManager,
} from '../src/hooks/services/index.js';

const TMP = mkdtempSync(join(tmpdir(), 'zpkg-services-'));
const seenPids = new Set<number>();




/** The daemon "binary": reports its version and pid, then runs until stopped. */
function demoProgram(out: string, version: string): string {
  return `#!/bin/sh\necho "${version} $$" > "${out}/demo.version"\nexec sleep 1000\n`;
}

/**
 * The version the demo daemon recorded when it started as `pid`. A supervisor says
 * "running" once it forked the process, which writes its record a moment later
 * (much later on a busy machine): wait for the record rather than read it at once.
 */
function recordedVersion(out: string, pid: number): Promise<string> {
  return until(`demo ${pid} to record its version`, () => {
    try {
      const [version, recorded] = readFileSync(join(out, 'demo.version'), 'utf8').trim().split(' ');
      return Number(recorded) === pid ? version : undefined;
    } catch {
      return undefined;
    }
  });
}

/** Install a new version the way a transaction does: write aside, rename over. */
function installDemo(prog: string, out: string, version: string): void {
  writeExec(`${prog}.new`, demoProgram(out, version));
  renameSync(`${prog}.new`, prog);
}

interface Tree {
  root: string;
  scan: string;
  out: string;
  prog: string;
}

function makeTree(kind: string): Tree {
  const root = join(TMP, kind);
  const scan = join(root, 'scan');
  const out = join(root, 'out');
  const prog = join(root, 'demo');
  for (const d of [scan, out, join(scan, 'demo'), join(scan, 'bad'), join(scan, 'hup')]) mkdirSync(d, { recursive: true });
  installDemo(prog, out, '1.0');
  writeExec(join(scan, 'demo', 'run'), `#!/bin/sh\nexec "${prog}"\n`);
  writeExec(join(scan, 'bad', 'run'), `#!/bin/sh\necho "bad: cannot start" >&2\nexit 1\n`);
  writeFileSync(join(scan, 'bad', 'down'), '');
  writeExec(
    join(scan, 'hup', 'run'),
    `#!/bin/sh\ntrap 'echo hup >> "${out}/hup.log"' HUP\necho ready > "${out}/hup.ready"\nwhile :; do sleep 0.1; done\n`,
  );
  if (kind === 's6') {
    // declares readiness: s6-svwait -U waits for the line on fd 3
    mkdirSync(join(scan, 'notify'));
    writeFileSync(join(scan, 'notify', 'notification-fd'), '3\n');
    // Up at once, ready only when the test creates out/notify.go: the order of
    // events, not a delay, shows that start waited for readiness.
    writeExec(
      join(scan, 'notify', 'run'),
      `#!/bin/sh\necho up > "${out}/notify.up"\nwhile [ ! -e "${out}/notify.go" ]; do sleep 0.05; done\necho >&3\nexec 3>&-\nexec sleep 1000\n`,
    );
    writeFileSync(join(scan, 'notify', 'down'), '');
  }
  return { root, scan, out, prog };
}

const children: ChildProcess[] = [];

function startSupervisor(cmd: string, args: string[]): ChildProcess {
  const child = spawn(cmd, args, { detached: true, stdio: 'ignore' });
  children.push(child);
  return child;
}

const runitTree = makeTree('runit');
const s6Tree = makeTree('s6');
let runit: RunitManager;
let s6: S6Manager;

beforeAll(async () => {
  startSupervisor('runsvdir', [runitTree.scan]);
  startSupervisor('s6-svscan', [s6Tree.scan]);
  runit = new RunitManager({ svdir: runitTree.scan });
  s6 = new S6Manager({ scandir: s6Tree.scan });
  for (const m of [runit, s6]) {
    await until(`${m.kind} demo up`, async () => ((await m.status('demo')).state === 'running' ? true : undefined));
    await until(`${m.kind} bad supervised`, async () => ((await m.status('bad')).state === 'stopped' ? true : undefined));
  }
});

afterAll(async () => {
  const svEnv = { ...process.env, SVDIR: runitTree.scan };
  for (const name of ['demo', 'bad', 'hup', 'notify']) {
    spawnSync('sv', ['-w', '3', 'down', name], { env: svEnv, timeout: 5000 });
    spawnSync('sv', ['exit', name], { env: svEnv, timeout: 5000 });
    spawnSync('s6-svc', ['-dx', join(s6Tree.scan, name)], { timeout: 5000 });
  }
  for (const child of children) {
    if (child.pid === undefined) continue;
    try {
      process.kill(child.pid, 'SIGHUP'); // runsvdir: TERM its runsv's, exit
    } catch {
      // already gone
    }
  }
  await new Promise((r) => setTimeout(r, 300));
  for (const child of children) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const pid of seenPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  zinitListener.close();
  rmSync(TMP, { recursive: true, force: true });
});

/**
 * What a start or stop that should succeed may wait: wide, so that a machine busy
 * with other work cannot fail it; a correct manager returns as soon as the
 * service is up (or down), so the width costs nothing when things work.
 */
const WAIT = { timeoutMs: 60_000 };

const supervised: Array<[string, () => ServiceManager, () => Tree]> = [
  ['runit', () => runit, () => runitTree],
  ['s6', () => s6, () => s6Tree],
];

describe.each(supervised)('%s (real supervisor)', (kind, manager, tree) => {
  it('reports a running service with its pid, and unknown for an unsupervised name', async () => {
    const m = manager();
    expect(m.kind).toBe(kind);
    const st = await m.status('demo');
    expect(st.state).toBe('running');
    expect(st.pid).toBeGreaterThan(1);
    seenPids.add(st.pid!);
    expect(await recordedVersion(tree().out, st.pid!)).toBe('1.0');
    expect((await m.status('bad')).state).toBe('stopped');
    expect((await m.status('nosuch')).state).toBe('unknown');
  });

  it('upgrade: stop kills the old process, the binary is replaced, start runs the new version under a new pid', async () => {
    const m = manager();
    const t = tree();
    const before = await m.status('demo');
    expect(before.state).toBe('running');
    const oldPid = before.pid!;

    await m.stop('demo', WAIT);
    expect((await m.status('demo')).state).toBe('stopped');
    expect(alive(oldPid)).toBe(false);

    installDemo(t.prog, t.out, '2.0');
    // It returns once the service is up (a start that waited out its timeout would fail the test's own bound); how fast is the bench's business.
    await m.start('demo', WAIT);

    const after = await m.status('demo');
    expect(after.state).toBe('running');
    seenPids.add(after.pid!);
    expect(after.pid).not.toBe(oldPid);
    expect(alive(after.pid!)).toBe(true);
    expect(await recordedVersion(t.out, after.pid!)).toBe('2.0');
    // The daemon's last step: it runs as `sleep` under the pid the supervisor reports.
    await until('demo to exec sleep', () => (readFileSync(`/proc/${after.pid}/cmdline`, 'utf8').includes('sleep') ? true : undefined));

    // restart = stop + start: another new pid
    await restartService(m, 'demo', WAIT);
    const again = await m.status('demo');
    seenPids.add(again.pid!);
    expect(again.state).toBe('running');
    expect(again.pid).not.toBe(after.pid);
  });

  it('a service whose run script exits at once: start fails within the timeout, naming the service and its state', async () => {
    const m = manager();
    const err = await m.start('bad', { timeoutMs: 1500 }).catch((e: unknown) => e);
    expect(isZpkgError(err, 'E_SERVICE')).toBe(true);
    const message = (err as Error).message;
    expect(message).toContain(`${kind}: service bad`);
    expect(message).toMatch(/did not (come up|stay up)|did not stay up|came up but/);
    expect(message).toContain('last state:');
    // It gave up (the error above) rather than waiting on: no assertion on how long that took.
    await m.stop('bad', WAIT);
    expect((await m.status('bad')).state).toBe('stopped');
  });

  it('reload sends SIGHUP to the service', async () => {
    const m = manager();
    const t = tree();
    await until('hup service ready', () => (existsSync(join(t.out, 'hup.ready')) ? true : undefined));
    const st = await m.status('hup');
    expect(st.state).toBe('running');
    seenPids.add(st.pid!);
    await m.reload!('hup');
    const log = await until('HUP trap', () => {
      const p = join(t.out, 'hup.log');
      return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
    });
    expect(log).toContain('hup');
    // still the same process: a reload is not a restart
    expect((await m.status('hup')).pid).toBe(st.pid);
  });

  it('refuses a service name that is not one path component', async () => {
    const err = await manager().status('../demo').catch((e: unknown) => e);
    expect(isZpkgError(err, 'E_SERVICE')).toBe(true);
  });
});

describe('s6 readiness and status parsing', () => {
  it('waits for readiness when the service declares a notification-fd', async () => {
    let returned = false;
    const starting = s6.start('notify', WAIT).finally(() => (returned = true));
    await until('notify up', () => (existsSync(join(s6Tree.out, 'notify.up')) ? true : undefined));
    const up = await s6.status('notify');
    expect(up.state).toBe('running');
    seenPids.add(up.pid!);
    // Up but not ready: start must still be waiting. Give a start that wrongly
    // returned at "up" (after its 300 ms settle check) the time to show it.
    await new Promise((r) => setTimeout(r, 1000));
    expect(returned, 'start returned before the service said it was ready').toBe(false);
    writeFileSync(join(s6Tree.out, 'notify.go'), '');
    await starting;
    const st = await s6.status('notify');
    expect(st).toMatchObject({ state: 'running', pid: up.pid });
    await s6.stop('notify', WAIT);
  });

  it('parses sv status and s6-svstat output', () => {
    expect(parseSvStatus('run: x: (pid 42) 7s, normally down; run: log: (pid 41) 7s\n')).toMatchObject({ state: 'running', pid: 42 });
    expect(parseSvStatus('down: x: 3s, normally up, want up\n').state).toBe('stopped');
    expect(parseSvStatus('finish: x: (pid 9) 0s\n')).toMatchObject({ state: 'stopped' });
    expect(parseSvStatus('warning: x: unable to open supervise/ok: file does not exist\n').state).toBe('unknown');
    expect(parseSvstat('true 77\n')).toMatchObject({ state: 'running', pid: 77 });
    expect(parseSvstat('false -1\n').state).toBe('stopped');
    expect(parseSvstat('').state).toBe('unknown');
  });
});

// zinit: test/zinit.test.ts (the model of scripts/zinit-model.mjs). Detection only needs a socket.
const zinitSocket = join(TMP, 'zinit.sock');
const zinitListener = createServer();

describe('selection and detection', () => {
  function fakeProc(procs: Array<{ pid: number; argv: string[] }>): string {
    const dir = mkdtempSync(join(TMP, 'proc-'));
    for (const p of procs) {
      mkdirSync(join(dir, String(p.pid)));
      writeFileSync(join(dir, String(p.pid), 'comm'), `${p.argv[0]!.split('/').pop()}\n`);
      writeFileSync(join(dir, String(p.pid), 'cmdline'), `${p.argv.join('\0')}\0`);
    }
    return dir;
  }
  const nothing = { zinitSocket: join(TMP, 'absent.sock'), systemdDir: join(TMP, 'absent-systemd'), svdir: join(TMP, 'absent-sv') };

  it('by configuration', () => {
    expect(createServiceManager('runit', { svdir: '/x' }).kind).toBe('runit');
    expect(selectServiceManager({ kind: 's6', s6Scandir: '/y' }).kind).toBe('s6');
    expect(selectServiceManager({ kind: 'systemd' }).kind).toBe('systemd');
    expect(selectServiceManager({ kind: 'none' }).kind).toBe('none');
    let err: unknown;
    try {
      createServiceManager('upstart');
    } catch (e) {
      err = e;
    }
    expect(isZpkgError(err, 'E_CONFIG_INVALID')).toBe(true);
  });

  it('detects zinit by its socket, systemd by /run/systemd/system, runit and s6 by their scanners, else none', async () => {
    if (!existsSync(zinitSocket)) await new Promise<void>((r) => zinitListener.listen(zinitSocket, r));
    const empty = fakeProc([]);
    expect(detectServiceKind({ ...nothing, procDir: empty, zinitSocket: zinitSocket }).kind).toBe('zinit');
    expect(selectServiceManager({ ...nothing, procDir: empty, zinitSocket: zinitSocket }).kind).toBe('zinit');
    expect(detectServiceKind({ ...nothing, procDir: empty, systemdDir: TMP }).kind).toBe('systemd');

    const both = fakeProc([
      { pid: 10, argv: ['runsvdir', '-P', runitTree.scan] },
      { pid: 11, argv: ['/usr/bin/s6-svscan', s6Tree.scan] },
    ]);
    expect(detectServiceKind({ ...nothing, procDir: both, svdir: runitTree.scan }).kind).toBe('runit');
    // runsvdir runs but the configured svdir does not exist → not runit
    expect(detectServiceKind({ ...nothing, procDir: both })).toEqual({ kind: 's6', s6Scandir: s6Tree.scan });
    const m = selectServiceManager({ ...nothing, procDir: both });
    expect(m).toBeInstanceOf(S6Manager);
    expect((m as S6Manager).scandir).toBe(s6Tree.scan);
    // and the detected manager drives the real s6 tree
    expect((await m.status('demo')).state).toBe('running');

    expect(detectServiceKind({ ...nothing, procDir: empty }).kind).toBe('none');
    const none = selectServiceManager({ ...nothing, procDir: empty });
    expect(await none.status('x')).toMatchObject({ state: 'unknown' });
    await none.stop('x', { timeoutMs: 1 });
    await none.start('x', { timeoutMs: 1 });
  });

  it('detects runit from the real /proc while runsvdir runs on the test tree', () => {
    expect(detectServiceKind({ ...nothing, svdir: runitTree.scan }).kind).toBe('runit');
  });
});
