/**
 * Transactions on a zos-like image under zinit (the model of
 * scripts/zinit-model.mjs, real processes chrooted into the image): each
 * bullet of issue 13 §1 that a real node hit. The daemons are shell scripts
 * run by the image's busybox; they record their version and pid when they
 * start and append `stop NAME VERSION` to /tmp/events on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMainRemote, publishLifecycle, writeImageConfig, type LifecyclePackage } from './helpers/lifecycle.js';
import { until } from './helpers/process.js';
import { daemon, makeInitramfs, ZinitProcess } from './helpers/zinit.js';
import { ok, tempDir, zpkg } from './helpers/zpkg.js';

const work = tempDir('zpkg-zinit-txn-');

type Files = NonNullable<LifecyclePackage['files']>;

/** A oneshot that appends a line to /tmp/NAME.runs. */
function oneshot(name: string, extra = ''): string {
  return `exec: sh -c "echo ran >> /tmp/${name}.runs"\noneshot: true\n${extra}`;
}

function base(version: string, files: Files = {}): LifecyclePackage {
  return {
    name: 'zos-base',
    version,
    files: {
      'etc/zinit/modprobe.yaml': oneshot('modprobe'),
      'etc/zinit/noded.yaml': 'exec: /usr/bin/noded\nafter:\n  - modprobe\n',
      'etc/zinit/storaged.yaml': 'exec: /usr/bin/storaged\nafter:\n  - noded\n',
      'usr/bin/noded': daemon('noded', version),
      'usr/bin/storaged': daemon('storaged', version),
      ...files,
    },
    services: [
      { name: 'noded', restart: 'on-upgrade' },
      { name: 'storaged', restart: 'on-upgrade' },
    ],
  };
}

interface Node {
  root: string;
  repo: string;
  z: ZinitProcess;
  read(path: string): string;
  runs(name: string): number;
  version(name: string): { version: string; pid: number } | undefined;
  events(): string[];
}

async function node(name: string, packages: LifecyclePackage[], config = ''): Promise<Node> {
  const dir = join(work, name);
  const root = join(dir, 'image');
  const repo = join(dir, 'repo');
  makeInitramfs(root);
  await publishLifecycle(repo, dir, packages);
  const z = await ZinitProcess.start(root, dir);
  writeImageConfig(root, `services:\n  manager: zinit\n  zinit-socket: ${z.socket}\n  timeout: 60\n${config}`);
  addMainRemote(root, repo);
  const read = (p: string): string => {
    try {
      return readFileSync(join(root, p), 'utf8');
    } catch {
      return '';
    }
  };
  return {
    root,
    repo,
    z,
    read,
    runs: (n) => read(`tmp/${n}.runs`).split('\n').filter(Boolean).length,
    version: (n) => {
      const [version, pid] = read(`tmp/${n}.version`).trim().split(' ');
      return version ? { version, pid: Number(pid) } : undefined;
    },
    events: () => read('tmp/events').split('\n').filter(Boolean),
  };
}

/** Waits until the daemon recorded that it runs as `version` (under another pid than `not`). */
function started(n: Node, name: string, version: string, not?: number): Promise<{ version: string; pid: number }> {
  return until(`${name} ${version} to record its start`, () => {
    const v = n.version(name);
    return v && v.version === version && v.pid !== not ? v : undefined;
  });
}

const services = (r: { json: any }): string[] => r.json.lifecycle.services.map((s: { name: string; action: string; status: string }) => `${s.action} ${s.name} ${s.status}`);

describe('zos-base with a oneshot and two daemons', () => {
  let n: Node;
  beforeAll(async () => {
    n = await node('base', [
      base('1.0-1'),
      // Same service files; new binaries.
      base('1.1-1'),
      // modprobe.yaml and noded.yaml change.
      base('1.2-1', { 'etc/zinit/modprobe.yaml': oneshot('modprobe', '# load more modules\n'), 'etc/zinit/noded.yaml': 'exec: /usr/bin/noded --v12\nafter:\n  - modprobe\n' }),
    ]);
    ok(['--root', n.root, 'install', 'zos-base=1.0-1']);
    await started(n, 'noded', '1.0-1');
    await started(n, 'storaged', '1.0-1');
    await n.z.until('modprobe', 'Success');
  });
  afterAll(async () => {
    await n?.z.stop();
  });

  it('install monitors each service once: the oneshot runs once and counts as up', () => {
    expect(n.runs('modprobe')).toBe(1);
    expect(n.z.actions().filter((l) => /^(monitor|start)/.test(l)).sort()).toEqual(['monitor modprobe', 'monitor noded', 'monitor storaged']);
  });

  it('-n shows the service operations in order, in text and --json', () => {
    const text = ok(['--root', n.root, 'install', '-n', 'zos-base=1.2-1']).stdout;
    const lines = text.split('\n').filter((l) => / service /.test(l)).map((l) => l.replace(/ \(.*/, ''));
    expect([...lines].sort()).toEqual([
      'would forget service modprobe',
      'would forget service noded',
      'would monitor service modprobe',
      'would monitor service noded',
      'would start service storaged',
      'would stop service modprobe',
      'would stop service noded',
      'would stop service storaged',
    ]);
    expect(lines.indexOf('would stop service storaged')).toBeLessThan(lines.indexOf('would stop service noded'));
    expect(lines.indexOf('would start service storaged')).toBe(lines.length - 1);
    const json = ok(['--root', n.root, '--json', 'install', '-n', 'zos-base=1.2-1']).json;
    const ops = json.lifecycle.services.map((s: { action: string; name: string; status: string }) => `${s.action} ${s.name} ${s.status}`);
    expect(ops).toEqual(expect.arrayContaining(['stop modprobe planned', 'forget modprobe planned', 'monitor modprobe planned', 'stop noded planned', 'forget noded planned', 'monitor noded planned', 'stop storaged planned', 'start storaged planned']));
    // storaged comes after noded: it stops first and starts last.
    expect(ops.indexOf('stop storaged planned')).toBeLessThan(ops.indexOf('stop noded planned'));
    expect(ops.indexOf('start storaged planned')).toBeGreaterThan(ops.indexOf('monitor noded planned'));
    expect(n.z.actions().filter((l) => !l.startsWith('monitor'))).toEqual([]);
  });

  it('an upgrade whose service files are unchanged does not touch the oneshot; the daemons restart, dependents first', async () => {
    const before = { noded: n.version('noded')!, storaged: n.version('storaged')! };
    const mark = n.z.commands().length;
    const r = ok(['--root', n.root, '--json', 'install', 'zos-base=1.1-1']);
    expect(services(r)).toEqual(['stop storaged ok', 'stop noded ok', 'start noded ok', 'start storaged ok']);
    expect(n.z.actions(mark)).toEqual(['stop storaged', 'stop noded', 'start noded', 'start storaged']);
    expect(n.runs('modprobe')).toBe(1);
    await started(n, 'noded', '1.1-1', before.noded.pid);
    await started(n, 'storaged', '1.1-1', before.storaged.pid);
    expect(n.events().slice(-2)).toEqual(['stop storaged 1.0-1', 'stop noded 1.0-1']);
  });

  it('a changed oneshot after it ran: stop, forget, monitor — it runs exactly once more and the upgrade goes through', async () => {
    const mark = n.z.commands().length;
    const r = ok(['--root', n.root, '--json', 'install', 'zos-base=1.2-1']);
    expect(r.json.lifecycle.errors).toBe(0);
    const ops = services(r);
    expect(ops).toEqual(expect.arrayContaining(['stop modprobe ok', 'forget modprobe ok', 'monitor modprobe ok', 'stop noded ok', 'forget noded ok', 'monitor noded ok', 'stop storaged ok', 'start storaged ok']));
    expect(n.z.actions(mark).filter((l) => l.endsWith(' modprobe'))).toEqual(['stop modprobe', 'forget modprobe', 'monitor modprobe']);
    expect(n.runs('modprobe')).toBe(2);
    await started(n, 'noded', '1.2-1');
    expect((await n.z.status('noded'))!.state).toBe('Running');
    expect((await n.z.status('modprobe'))!.state).toBe('Success');
  });
});

describe('slow, stubborn and failing services', () => {
  let n: Node;
  beforeAll(async () => {
    n = await node('mixed', [
      // modwait sorts before zebra and waits for it: serial waits would deadlock.
      { name: 'pair', version: '1', files: { 'etc/zinit/modwait.yaml': 'exec: sh -c "while [ ! -e /tmp/zebra.up ]; do sleep 0.05; done"\noneshot: true\n', 'etc/zinit/zebra.yaml': 'exec: sh -c "touch /tmp/zebra.up; exec sleep 1000"\n' } },
      { name: 'stubbornd', version: '1', files: { 'etc/zinit/stubbornd.yaml': 'exec: /usr/bin/stubbornd\nshutdown_timeout: 2\n', 'usr/bin/stubbornd': daemon('stubbornd', '1', { ignoreTerm: true }) }, services: [{ name: 'stubbornd', restart: 'on-upgrade' }] },
      { name: 'stubbornd', version: '2', files: { 'etc/zinit/stubbornd.yaml': 'exec: /usr/bin/stubbornd\nshutdown_timeout: 2\n', 'usr/bin/stubbornd': daemon('stubbornd', '2', { ignoreTerm: true }) }, services: [{ name: 'stubbornd', restart: 'on-upgrade' }] },
    ]);
  });
  afterAll(async () => {
    await n?.z.stop();
  });

  it('independent services are started at once: a oneshot waiting for another service does not hold it back', () => {
    const r = ok(['--root', n.root, '--json', 'install', 'pair']);
    expect(services(r).sort()).toEqual(['monitor modwait ok', 'monitor zebra ok']);
  });

  it('a daemon that ignores SIGTERM is killed with SIGKILL after its shutdown_timeout, recorded, and the upgrade goes through', async () => {
    ok(['--root', n.root, 'install', 'stubbornd=1']);
    const one = await started(n, 'stubbornd', '1');
    const r = ok(['--root', n.root, '--json', 'install', 'stubbornd=2']);
    expect(services(r)).toEqual(['stop stubbornd ok', 'kill stubbornd ok', 'start stubbornd ok']);
    expect(r.json.lifecycle.services[1].detail).toBe('SIGKILL: it was still running 2 s after it was asked to stop');
    await started(n, 'stubbornd', '2', one.pid);
    const history = ok(['--root', n.root, '--json', 'history', String(r.json.id)]).json;
    expect(JSON.stringify(history)).toContain('SIGKILL');
  });
});

describe('services brought back after an aborted or interrupted transaction', () => {
  let n: Node;
  const hookFails = { 'pre-upgrade': 'echo "storaged refuses to upgrade"\nexit 1' };
  beforeAll(async () => {
    n = await node('abort', [
      base('1.0-1'),
      { name: 'zos-lib', version: '1', files: { 'usr/lib/zos/lib': 'one' } },
      { name: 'zos-lib', version: '2', files: { 'usr/lib/zos/lib': 'two' } },
      // Its service file changes (stop + forget before the files change) and its pre-upgrade hook, which needs
      // zos-lib 2 in place first, fails after that: the transaction is undone with the service forgotten.
      { ...base('2.0-1', { 'etc/zinit/noded.yaml': 'exec: /usr/bin/noded --v2\nafter:\n  - modprobe\n' }), depends: ['zos-lib (>= 2)'], hooks: hookFails },
      { ...base('3.0-1', { 'etc/zinit/noded.yaml': 'exec: /usr/bin/noded --v3\nafter:\n  - modprobe\n' }) },
    ]);
    ok(['--root', n.root, 'install', 'zos-base=1.0-1', 'zos-lib=1']);
    await started(n, 'noded', '1.0-1');
  });
  afterAll(async () => {
    await n?.z.stop();
  });

  it('a pre-hook that fails after services were stopped and forgotten: they are monitored again, the old version runs', async () => {
    const before = n.version('noded')!;
    const mark = n.z.commands().length;
    const r = zpkg(['--root', n.root, '--json', 'install', 'zos-base=2.0-1', 'zos-lib=2', '--hooks=host']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.json.error.code).toBe('E_HOOK_FAILED');
    expect(r.json.error.message).toContain('the transaction was undone');
    const actions = n.z.actions(mark);
    expect(actions.indexOf('forget noded')).toBeGreaterThan(actions.indexOf('stop noded'));
    expect(actions.indexOf('monitor noded')).toBeGreaterThan(actions.indexOf('forget noded'));
    const again = await started(n, 'noded', '1.0-1', before.pid);
    expect((await n.z.status('noded'))!).toMatchObject({ state: 'Running', pid: again.pid });
    expect(n.read('usr/lib/zos/lib')).toBe('one');
    expect(n.read('etc/zinit/noded.yaml')).toContain('exec: /usr/bin/noded\n');
    expect(ok(['--root', n.root, 'verify']).status).toBe(0);
  });

  it('killed after the files changed: recovery puts the files back and monitors the forgotten service again (exit 0)', async () => {
    const before = n.version('noded')!;
    const killed = zpkg(['--root', n.root, 'install', 'zos-base=3.0-1'], { env: { ZPKG_CRASH_AT: 'applied' } });
    expect(killed.signal).toBe('SIGKILL');
    expect(await n.z.status('noded')).toBeUndefined();
    const rec = zpkg(['--root', n.root, '--json', 'recover']);
    expect(rec.status, rec.stdout + rec.stderr).toBe(0);
    expect(rec.json.lifecycles[0].outcome).toBe('restarted');
    await started(n, 'noded', '1.0-1', before.pid);
    expect(ok(['--root', n.root, '--json', 'list']).json.packages.find((p: { name: string }) => p.name === 'zos-base').version).toBe('1.0-1');
  });

  it('recovery that cannot bring a service back exits non-zero', async () => {
    const killed = zpkg(['--root', n.root, 'install', 'zos-base=3.0-1'], { env: { ZPKG_CRASH_AT: 'applied' } });
    expect(killed.signal).toBe('SIGKILL');
    // zinit is gone (say, it crashed too): nothing can bring noded back.
    await n.z.stop();
    const rec = zpkg(['--root', n.root, '--json', 'recover']);
    expect(rec.status).toBe(1);
    expect(rec.json.lifecycles[0].lifecycle.services.some((s: { status: string }) => s.status === 'failed')).toBe(true);
  });
});
