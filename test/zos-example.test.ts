/**
 * examples/zos end to end, through `zpkg demo --zos`: the recipes built and
 * published signed, the release sets checked on the base profile, a busybox
 * node under the zinit model with its state on a separate disk, the base
 * adopted, release 1 by `sync --boot`, an operator's config edit, release 2
 * (the unchanged oneshot left alone, the daemon that ignores SIGTERM killed,
 * storaged's hooks run chrooted), release 3 with a daemon that cannot start
 * undone by `--rollback-on-failure`, a rollback to release 1, a reboot and
 * release 1 again from the cache alone.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ok, tempDir } from './helpers/zpkg.js';

type Step = { step: string; detail: any };
let steps: Map<string, any>;
let node: string;

beforeAll(() => {
  const dir = join(tempDir('zpkg-zos-example-'), 'demo');
  const r = ok(['--json', 'demo', '--zos', '--dir', dir], { timeoutMs: 600_000 });
  node = r.json.node;
  steps = new Map((r.json.steps as Step[]).map((s) => [s.step, s.detail]));
}, 600_000);

describe('examples/zos through zpkg demo --zos', () => {
  it('builds every recipe, and both release sets hold together on the zos-initramfs 3.10.0 base profile', () => {
    expect(steps.get('build').built).toHaveLength(15);
    expect(steps.get('build').check.uninstallable).toEqual([]);
    for (const c of steps.get('repo check --set')) expect(c.checks[0]).toMatchObject({ base: { name: 'zos-initramfs', version: '3.10.0' }, problems: [] });
  });

  it('adopts the initramfs with the provides the builder derives', () => {
    expect(steps.get('adopt')).toMatchObject({ name: 'zos-initramfs', version: '3.10.0', replaced: null });
    expect(steps.get('adopt').provides).toEqual(expect.arrayContaining(['file:/bin/sh', 'file:/bin/busybox']));
  });

  it('sync --boot brings release 1 up with no hook, every service running (the oneshot in Success)', () => {
    const boot = steps.get('sync --boot');
    expect(boot.result.install).toHaveLength(6);
    expect(boot.result.lifecycle.hooks).toEqual([]);
    expect(boot.zinit).toEqual({ contd: 'Running', flistd: 'Running', modprobe: 'Success', noded: 'Running', powerd: 'Running', storaged: 'Running' });
  });

  it('release 2: one transaction; the unchanged oneshot untouched, powerd killed after its shutdown_timeout, the config edit kept, hooks run', () => {
    const two = steps.get('sync release 2');
    expect(two.result.upgrade).toHaveLength(6);
    expect(two.result.lifecycle.errors).toBe(0);
    expect(two.modprobeRuns).toBe(1);
    const ops = two.result.lifecycle.services.map((s: { action: string; name: string; status: string }) => `${s.action} ${s.name} ${s.status}`);
    expect(ops).toContain('kill powerd ok');
    expect(ops.some((o: string) => o.includes('modprobe'))).toBe(false);
    expect(ops.indexOf('stop storaged ok')).toBeLessThan(ops.indexOf('stop noded ok'));
    expect(ops.indexOf('start noded ok')).toBeLessThan(ops.indexOf('start storaged ok'));
    expect(two.result.newConfig).toEqual(['etc/noded/noded.toml']);
    expect(two.hooksLog).toEqual(['pre-upgrade storaged old=1.0-1 new=1.1-1', 'post-upgrade storaged old=1.0-1 new=1.1-1']);
  });

  it('release 3 with --rollback-on-failure: noded 1.2-1 does not come up, the node is back on release 2 and running', () => {
    const r = steps.get('rollback on failure');
    expect(r.error.code).toBe('E_ROLLED_BACK');
    expect(r.error.message).toMatch(/service noded start failed: .*; the image was rolled back to generation 3 \(transaction 5\)$/);
    expect(r.packages).toContain('noded 1.1-1');
    expect(r.packages).toContain('zos-release 2');
    expect(r.zinit.noded).toBe('Running');
  });

  it('rolls back to release 1, then after a reboot brings release 1 back from the cache alone', () => {
    expect(steps.get('rollback').downgrade.map((d: { name: string }) => d.name).sort()).toEqual(['libzos', 'noded', 'powerd', 'storaged', 'zos-base', 'zos-release']);
    const reboot = steps.get('reboot');
    expect(reboot.rebuilt).toEqual({ packages: 7 });
    expect(reboot.result.fetched).toMatchObject({ fetched: 0, blobs: 20 });
    expect(Object.values(reboot.result.lifecycle.services).every((s: any) => s.status === 'ok')).toBe(true);
  });

  it('keeps every transaction in history across the reboot', () => {
    const h = steps.get('history').map((x: { id: number; status: string; command: string }) => `${x.id} ${x.status} ${x.command}`);
    expect(h).toEqual([
      '1 committed adopt',
      '2 committed sync --boot --set zos-release=1',
      '3 committed sync --set zos-release=2',
      '4 committed-with-errors sync --set zos-release=3 --rollback-on-failure',
      '5 committed sync --set zos-release=3 --rollback-on-failure (automatic rollback of transaction 4)',
      '6 committed rollback 2',
      '7 committed adopt (after the reboot)',
      '8 committed sync --boot --set zos-release=1 (after the reboot)',
    ]);
    expect(ok(['--root', node, 'verify']).status).toBe(0);
  });
});
