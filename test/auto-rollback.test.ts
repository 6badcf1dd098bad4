/**
 * Health-gated upgrades: `--rollback-on-failure` and `on-failure: rollback`.
 * A transaction commits; a post-hook fails or a started service does not come
 * up; zpkg rolls the image back to the generation before as a transaction of
 * its own, restores the services, keeps both in history and fails with
 * E_ROLLED_BACK naming the cause. Under the zinit model (real daemons in the
 * image), with a failing post-hook, and killed at every step of the automatic
 * rollback: recovery ends in one generation, never a mix.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageState } from './crash/harness.js';
import { addMainRemote, publishLifecycle, writeImageConfig } from './helpers/lifecycle.js';
import { until } from './helpers/process.js';
import { daemon, makeInitramfs, ZinitProcess } from './helpers/zinit.js';
import { ok, tempDir, zpkg } from './helpers/zpkg.js';

const work = tempDir('zpkg-auto-rollback-');

describe('under zinit: a daemon that does not come up', () => {
  const dir = join(work, 'zinit');
  const root = join(dir, 'image');
  let z: ZinitProcess;
  const version = (): { version: string; pid: number } | undefined => {
    const path = join(root, 'tmp/noded.version');
    const [v, pid] = (existsSync(path) ? readFileSync(path, 'utf8') : '').trim().split(' ');
    return v ? { version: v, pid: Number(pid) } : undefined;
  };

  beforeAll(async () => {
    makeInitramfs(root);
    const pkg = (v: string, crash = false) => ({
      name: 'noded',
      version: v,
      files: { 'etc/zinit/noded.yaml': `exec: /usr/bin/noded\n# ${v}\n`, 'usr/bin/noded': daemon('noded', v, { crash }) },
      services: [{ name: 'noded', restart: 'on-upgrade' as const }],
    });
    await publishLifecycle(join(dir, 'repo'), dir, [pkg('1.0-1'), pkg('1.1-1', true)]);
    z = await ZinitProcess.start(root, dir);
    // A crashing daemon is waited for its whole timeout: short here; enough for a healthy one on a busy machine.
    writeImageConfig(root, `services:\n  manager: zinit\n  zinit-socket: ${z.socket}\n  timeout: 8\n`);
    addMainRemote(root, join(dir, 'repo'));
    ok(['--root', root, 'install', 'noded=1.0-1']);
    await until('noded 1.0-1', () => (version()?.version === '1.0-1' ? true : undefined));
  });
  afterAll(async () => {
    await z?.stop();
  });

  it('rolls back to the generation before, restores the service (monitored again), records both transactions, exits 1 naming the cause', async () => {
    const before = version()!;
    const r = zpkg(['--root', root, '--json', 'install', '--rollback-on-failure', 'noded=1.1-1']);
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_ROLLED_BACK');
    expect(r.json.error.message).toMatch(/failed after its commit: service noded monitor failed: zinit: service noded (did not come up within 8000 ms|came up but did not stay up).*; the image was rolled back to generation 1 \(transaction 3\)$/);
    expect(r.json.error.explanation).toHaveLength(1);
    expect(r.json.error.rollback.downgrade).toEqual([{ name: 'noded', from: '1.1-1', to: '1.0-1' }]);
    const history = ok(['--root', root, '--json', 'history']).json.transactions;
    expect(history.map((t: { id: number; status: string }) => `${t.id} ${t.status}`)).toEqual(['1 committed', '2 committed-with-errors', '3 committed']);
    expect(history[2].command).toContain('(automatic rollback of transaction 2)');
    const back = ok(['--root', root, '--json', 'history', '3']).json;
    expect(back.lifecycle.map((x: { name: string; action: string; status: string }) => `${x.action} ${x.status}`)).toEqual(['stop ok', 'forget ok', 'monitor ok']);
    const now = await until('noded 1.0-1 again', () => {
      const v = version();
      return v?.version === '1.0-1' && v.pid !== before.pid ? v : undefined;
    });
    expect((await z.status('noded'))!).toMatchObject({ state: 'Running', pid: now.pid });
    expect(ok(['--root', root, 'verify']).status).toBe(0);
  });

  it('without the flag the failed upgrade stays, committed with errors (exit 1)', () => {
    const r = zpkg(['--root', root, '--json', 'install', 'noded=1.1-1']);
    expect(r.status).toBe(1);
    expect(r.json.lifecycle.errors).toBe(1);
    expect(ok(['--root', root, '--json', 'list']).json.packages[0].version).toBe('1.1-1');
  });
});

describe('on-failure: rollback, a failing post-hook, and kills in the middle of the automatic rollback', () => {
  const dir = join(work, 'hooks');
  const repo = join(dir, 'repo');
  const template = join(dir, 'template');
  const mark = join(dir, 'killed-once');
  let before: string;

  beforeAll(async () => {
    const files = (v: string) => Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`usr/share/app/f${i}`, `${v} ${i}\n`.repeat(i + 1)]));
    await publishLifecycle(repo, dir, [
      { name: 'lib', version: '1', files: { 'usr/lib/libz.so': 'lib 1' } },
      { name: 'lib', version: '2', files: { 'usr/lib/libz.so': 'lib 2', 'usr/lib/libz-extra.so': 'extra' } },
      { name: 'app', version: '1', depends: ['lib (= 1)'], files: { ...files('1'), 'etc/app.conf': 'one' } },
      // Its post-upgrade fails; when the mark file is missing it first kills zpkg (its parent: host hooks), once.
      { name: 'app', version: '2', depends: ['lib (= 2)'], files: { ...files('2'), 'usr/bin/app2': 'new' }, hooks: { 'post-upgrade': `if [ ! -e ${mark} ]; then touch ${mark}; kill -9 $PPID; sleep 5; fi\nexit 1` } },
    ]);
    mkdirSync(template, { recursive: true });
    writeImageConfig(template, 'hooks:\n  mode: host\non-failure: rollback\nservices:\n  manager: none\n');
    addMainRemote(template, repo);
    ok(['--root', template, 'install', 'app=1']);
    before = imageState(template);
  });

  function copy(name: string): string {
    const root = join(dir, name);
    rmSync(root, { recursive: true, force: true });
    cpSync(template, root, { recursive: true, verbatimSymlinks: true });
    return root;
  }

  function leftovers(root: string): string[] {
    const out: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.name.includes('.zpkg-') && !e.name.endsWith('.zpkg-new')) out.push(join(d, e.name));
        if (e.isDirectory()) walk(join(d, e.name));
      }
    };
    walk(root);
    for (const sub of ['var/lib/zpkg/journal', 'var/lib/zpkg/lifecycle']) if (existsSync(join(root, sub))) out.push(...readdirSync(join(root, sub)));
    return out;
  }

  it('the image config alone turns it on: the failing post-hook rolls the image back to exactly what it was', () => {
    const root = copy('config');
    // The hook kills zpkg only when the mark is missing: not in this run.
    writeFileSync(mark, '');
    const r = zpkg(['--root', root, '--json', 'install', 'app=2']);
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_ROLLED_BACK');
    expect(r.json.error.message).toContain('the post-upgrade hook of app 2 failed (exit 1)');
    expect(imageState(root)).toBe(before);
    expect(leftovers(root)).toEqual([]);
    const statuses = ok(['--root', root, '--json', 'history']).json.transactions.map((t: { status: string }) => t.status);
    expect(statuses).toEqual(['committed', 'committed-with-errors', 'committed']);
  });

  // The second time a step is reached is in the rollback (the first was the failed transaction).
  it.each(['post-phase', 'journal:2', 'staged:2', 'applied:2', 'synced:2', 'committed:2', 'cleaned:2'])(
    'killed at %s: recovery carries the rollback through — the old generation, never a mix',
    (at) => {
      const root = copy(`kill-${at.replace(':', '-')}`);
      if (at === 'post-phase') rmSync(mark, { force: true });
      else writeFileSync(mark, '');
      const killed = zpkg(['--root', root, 'install', 'app=2'], at === 'post-phase' ? {} : { env: { ZPKG_CRASH_AT: at } });
      expect(killed.signal).toBe('SIGKILL');
      // recover -n foretells what recover then does: each journal finished or undone, each pending lifecycle's outcome.
      const plan = ok(['--root', root, '--json', 'recover', '-n']).json;
      expect(plan.journals.length + plan.lifecycles.length).toBeGreaterThan(0);
      const rec = zpkg(['--root', root, '--json', 'recover']);
      expect(rec.json.recovered.map((r: { txid: string; outcome: string }) => `${r.txid} ${r.outcome}`)).toEqual(plan.journals.map((j: { txid: string; action: string }) => `${j.txid} ${j.action === 'finish' ? 'completed' : 'rolled back'}`));
      const foretold: Record<string, (l: { outcome: string; rollback?: { result: unknown } }) => boolean> = {
        'roll back': (l) => l.outcome === 'rolled back' && l.rollback?.result !== null,
        drop: (l) => l.outcome === 'rolled back' && l.rollback?.result === null,
        restart: (l) => l.outcome === 'restarted',
        finish: (l) => l.outcome === 'finished' || l.outcome === 'rolled back',
      };
      expect(rec.json.lifecycles.map((l: { txid: string }) => l.txid)).toEqual(plan.lifecycles.map((l: { txid: string }) => l.txid));
      plan.lifecycles.forEach((l: { action: string }, i: number) => expect(foretold[l.action]!(rec.json.lifecycles[i]), `${at}: ${l.action} → ${JSON.stringify(rec.json.lifecycles[i])}`).toBe(true));
      // A rollback that recovery had to carry out is a failure to report; one already committed only left its pending record.
      expect([0, 1]).toContain(rec.status);
      expect(imageState(root)).toBe(before);
      expect(leftovers(root)).toEqual([]);
      expect(ok(['--root', root, 'verify']).status).toBe(0);
      const history = ok(['--root', root, '--json', 'history']).json.transactions;
      expect(history.at(-1).status).toBe('committed');
      expect(history.at(-1).command).toContain('automatic rollback of transaction 2');
      expect(history).toHaveLength(3);
    },
  );
});
