/**
 * Hostile hooks (issue 16 §3 "Hooks"): the runner waits for the hook's
 * process, not for its output to close; a timeout kills everything the hook
 * started (its session, its group, their descendants, setsid'd daemons
 * included); its output is kept as a bounded tail and split into lines in
 * linear time; and a timeout Node's timers cannot hold (> 2^31-1 ms) is
 * refused where it is read. Real processes throughout (sh, setsid, sleep).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isZpkgError } from '../../src/core/errors.js';
import { OutputTail } from '../../src/hooks/output-tail.js';
import { runHook, type HookOutcome } from '../../src/hooks/runner.js';
import { craft } from '../helpers/packs.js';
import { expectRefused, fileAction, hostileImage, hostileWorld, manifestOf } from '../helpers/hostile.js';
import { alive, until } from '../helpers/process.js';
import { tempDir } from '../helpers/zpkg.js';
import { digestOf } from '../../src/core/digest.js';

const root = tempDir('zpkg-hostile-hooks-');
const started: number[] = [];
afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

/** Writes an executable hook script at `name` in the scratch root and runs it on the host with the image root as cwd. */
async function hook(name: string, script: string, options: { timeoutMs?: number; lines?: string[] } = {}): Promise<HookOutcome> {
  const file = `hooks/${name}`;
  mkdirSync(join(root, 'hooks'), { recursive: true });
  writeFileSync(join(root, file), `#!/bin/sh\n${script}\n`);
  chmodSync(join(root, file), 0o755);
  const lines = options.lines;
  return runHook({ root, mode: 'host', file, env: {}, timeoutMs: options.timeoutMs ?? 120_000, onLine: lines ? (l) => lines.push(l) : undefined });
}

/** The pid a hook wrote to `file` under the root, remembered so afterAll kills it if a test failed. */
function pidIn(file: string): number {
  const pid = Number(readFileSync(join(root, file), 'utf8').trim());
  started.push(pid);
  return pid;
}

describe('hooks: the runner waits for the process, not its output', () => {
  it('a hook that starts a setsid daemon keeping stdout open ends when the hook exits (ok, not a hang)', async () => {
    const r = await hook('setsid-daemon', 'setsid sh -c \'echo $$ > daemon1.pid; exec sleep 600\' &\nwhile [ ! -s daemon1.pid ]; do sleep 0.05; done\necho started', { timeoutMs: 60_000 });
    expect(r.status, r.detail).toBe('ok');
    expect(r.output).toContain('started');
    expect(alive(pidIn('daemon1.pid'))).toBe(true); // a clean exit leaves what the hook started alone
  });

  it('a background child that outlives an exit-0 hook does not turn it into a timeout failure', async () => {
    const r = await hook('bg-child', '(echo $$ > /dev/null; sh -c \'echo $$ > child2.pid; exec sleep 600\') &\nwhile [ ! -s child2.pid ]; do sleep 0.05; done\nexit 0', { timeoutMs: 30_000 });
    expect(r).toMatchObject({ status: 'ok', detail: 'exit 0' });
    pidIn('child2.pid');
  });

  it('a failing hook with a daemon holding its output fails with its own exit status', async () => {
    const r = await hook('fail-daemon', 'setsid sh -c \'echo $$ > daemon3.pid; exec sleep 600\' &\nwhile [ ! -s daemon3.pid ]; do sleep 0.05; done\necho "cannot configure" >&2\nexit 3', { timeoutMs: 30_000 });
    expect(r).toMatchObject({ status: 'failed', detail: 'exit 3' });
    expect(r.output).toContain('cannot configure');
    pidIn('daemon3.pid');
  });

  it('output written just before exit is kept even though a daemon still holds the pipe', async () => {
    const r = await hook('last-words', 'setsid sh -c \'exec sleep 600\' &\necho $! > daemon4.pid\nprintf "last words"', { timeoutMs: 30_000 });
    expect(r.status).toBe('ok');
    expect(r.output).toContain('last words');
    pidIn('daemon4.pid');
  });

  it('a hook killed by a signal is a failure naming the signal', async () => {
    const r = await hook('self-kill', 'kill -KILL $$');
    expect(r).toMatchObject({ status: 'failed', detail: 'killed by SIGKILL' });
  });
});

describe('hooks: a timeout kills everything the hook started', () => {
  it('a setsid daemon started by a hook that times out is killed with it', async () => {
    const r = await hook('timeout-setsid', 'setsid sh -c \'echo $$ > daemon5.pid; exec sleep 600\' &\nwhile [ ! -s daemon5.pid ]; do sleep 0.05; done\nexec sleep 600', { timeoutMs: 1000 });
    expect(r.status).toBe('timeout');
    const pid = pidIn('daemon5.pid');
    await until('the setsid daemon to be killed', () => (alive(pid) ? undefined : true));
  });

  it('a grandchild in the hook\'s group and a child in a new process group are both killed', async () => {
    const r = await hook('timeout-tree', '(sh -c \'echo $$ > grand6.pid; exec sleep 600\') &\nset -m\nsh -c \'echo $$ > group6.pid; exec sleep 600\' &\nwhile [ ! -s grand6.pid ] || [ ! -s group6.pid ]; do sleep 0.05; done\nsleep 600', { timeoutMs: 1000 });
    expect(r.status).toBe('timeout');
    for (const f of ['grand6.pid', 'group6.pid']) {
      const pid = pidIn(f);
      await until(`${f} to be killed`, () => (alive(pid) ? undefined : true));
    }
  });

  it('a process that ignores SIGTERM gets SIGKILL after the grace period, even once the hook is gone', async () => {
    const r = await hook('timeout-stubborn', 'setsid sh -c \'trap "" TERM; echo $$ > stubborn7.pid; while :; do sleep 1; done\' &\nwhile [ ! -s stubborn7.pid ]; do sleep 0.05; done\nsleep 600', { timeoutMs: 1000 });
    expect(r.status).toBe('timeout');
    const pid = pidIn('stubborn7.pid');
    await until('the stubborn daemon to get SIGKILL', () => (alive(pid) ? undefined : true));
  });

  it('a hook that ignores SIGTERM itself is killed and reported as a timeout', async () => {
    const r = await hook('timeout-self', 'trap "" TERM\nwhile :; do sleep 1; done', { timeoutMs: 500 });
    expect(r.status).toBe('timeout');
    expect(r.detail).toMatch(/timeout/);
  });
});

describe('hooks: bounded output in linear time', () => {
  it('10 MB without a newline: the tail is kept, lines are passed on in bounded pieces', async () => {
    const lines: string[] = [];
    const r = await hook('no-newline', 'head -c 10000000 /dev/zero | tr "\\0" x; printf END', { lines });
    expect(r.status).toBe('ok');
    expect(r.output.length).toBeLessThan(256 * 1024 + 200);
    expect(r.output.endsWith('xEND')).toBe(true);
    expect(r.output).toMatch(/^\[zpkg: first \d+ bytes of output dropped/);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(64 * 1024);
    expect(lines.reduce((n, l) => n + l.length, 0)).toBe(10_000_003);
  });

  it('100,000 short lines are each passed on once, in order', async () => {
    const lines: string[] = [];
    const r = await hook('many-lines', 'seq 1 100000', { lines });
    expect(r.status).toBe('ok');
    expect(lines.length).toBe(100_000);
    expect(lines[0]).toBe('1');
    expect(lines[99_999]).toBe('100000');
    expect(r.output.endsWith('99999\n100000\n')).toBe(true);
  });

  it('OutputTail keeps exactly the last bytes across chunks of every size and says how many it dropped', () => {
    const tail = new OutputTail(10);
    for (const piece of ['abc', 'defghijklmnop', 'q', 'rstuvwxyz0123456789'.repeat(3)]) tail.write(Buffer.from(piece));
    const out = tail.end();
    expect(out.endsWith('0123456789')).toBe(true);
    expect(out).toMatch(/^\[zpkg: first 64 bytes of output dropped, last 10 kept\]\n/);
  });

  it('OutputTail passes on a multi-byte character split across chunks whole', () => {
    const lines: string[] = [];
    const tail = new OutputTail(100, (l) => lines.push(l));
    const bytes = Buffer.from('héllo wörld\nzwei\n');
    for (let i = 0; i < bytes.length; i++) tail.write(bytes.subarray(i, i + 1));
    tail.end();
    expect(lines).toEqual(['héllo wörld', 'zwei']);
  });
});

describe('hooks: timeouts a timer cannot hold are refused', () => {
  it('runHook refuses a timeout above 2^31-1 ms instead of firing after 1 ms', async () => {
    const err = await hook('never-run', 'echo ran > never-run.out', { timeoutMs: 2 ** 31 }).catch((e: unknown) => e);
    expect(isZpkgError(err, 'E_INPUT_INVALID')).toBe(true);
    expect(existsSync(join(root, 'never-run.out'))).toBe(false);
  });

  it('runHook refuses a zero or fractional timeout', async () => {
    for (const ms of [0, -1, 1.5, Number.NaN]) {
      const err = await hook('never-run', 'echo ran > never-run.out', { timeoutMs: ms }).catch((e: unknown) => e);
      expect(isZpkgError(err, 'E_INPUT_INVALID'), String(ms)).toBe(true);
    }
  });

  const world = hostileWorld('zpkg-hostile-hook-timeout-');
  const script = Buffer.from('#!/bin/sh\necho hook ran > /hook-ran\n');

  it('a manifest whose hook timeout is 2^31 s (over 2^31-1 ms) is refused at install, nothing runs', async () => {
    await craft(world.repo, manifestOf('longhook', [fileAction('usr/share/longhook', Buffer.from('x'))], { hooks: { 'post-install': { digest: digestOf(script), size: script.length, timeout: 2 ** 31 } } }), [Buffer.from('x'), script]);
    const image = hostileImage(world, 'img-manifest');
    expectRefused(world, image, ['install', 'longhook'], { code: 'E_MANIFEST_INVALID', message: /timeout.*at most 2147483/ });
  });

  it('a manifest whose hook timeout is 2147484 s (the first one past the bound) is refused', async () => {
    await craft(world.repo, manifestOf('edgehook', [fileAction('usr/share/edgehook', Buffer.from('y'))], { hooks: { 'post-install': { digest: digestOf(script), size: script.length, timeout: 2_147_484 } } }), [Buffer.from('y'), script]);
    const image = hostileImage(world, 'img-edge');
    expectRefused(world, image, ['install', 'edgehook'], { code: 'E_MANIFEST_INVALID', message: /edgehook.*timeout/ });
  });

  for (const [i, [key, value]] of ([['hooks', '{timeout: 2147484}'], ['services', '{timeout: 1e12}'], ['hooks', '{timeout: .inf}']] as const).entries()) {
    it(`zpkg.yaml ${key}: ${value} is refused with E_CONFIG_INVALID`, async () => {
      const content = Buffer.from('z');
      await craft(world.repo, manifestOf('plain', [fileAction('usr/share/plain', content)]), [content]);
      const image = hostileImage(world, `img-cfg-${i}`);
      mkdirSync(join(image, 'etc/zpkg'), { recursive: true });
      writeFileSync(join(image, 'etc/zpkg/zpkg.yaml'), `${key}: ${value}\n`);
      expectRefused(world, image, ['install', 'plain'], { code: 'E_CONFIG_INVALID', message: new RegExp(`${key}\\.timeout.*at most 2147483`) });
    });
  }
});
