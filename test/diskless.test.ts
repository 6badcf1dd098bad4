/**
 * Diskless nodes (issue 13 §4): the root is a RAM filesystem rebuilt from the
 * initramfs at every boot; only a cache disk persists. State and content
 * cache live on that disk (`state:`/`cache:` in etc/zpkg/zpkg.yaml, or
 * `--state-dir`/`--cache-dir`); after a reboot zpkg sees the image is not the
 * one it recorded and drops the stale installed set, and `sync --boot`
 * installs the release again from the cache — offline, fetching only what is
 * missing — with the history of generations kept across boots.
 */
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { publishLifecycle, writeImageConfig, type LifecyclePackage } from './helpers/lifecycle.js';
import { makeInitramfs } from './helpers/zinit.js';
import { ok, tempDir, TRUST, zpkg } from './helpers/zpkg.js';

const work = tempDir('zpkg-diskless-');
const repo = join(work, 'repo');
const disk = join(work, 'disk');
const root = join(work, 'root');

/** Release `v`: p0…p5 (p1, p3, p5 stay at 1 in release 2, so release 2 publishes only p0, p2, p4 and rel) and `rel`. */
function release(v: '1' | '2'): LifecyclePackage[] {
  const out: LifecyclePackage[] = [];
  for (let i = 0; i < 6; i++) {
    if (v === '2' && i % 2 === 1) continue;
    const files: NonNullable<LifecyclePackage['files']> = {};
    for (let f = 0; f < 10; f++) files[`usr/lib/p${i}/f${f}`] = `p${i} file ${f} ${i % 2 === 0 ? v : '1'}\n`;
    out.push({ name: `p${i}`, version: i % 2 === 0 ? v : '1', files });
  }
  out.push({ name: 'rel', version: v, depends: Array.from({ length: 6 }, (_, i) => `p${i} (= ${i % 2 === 0 ? v : '1'})`) });
  return out;
}

/** A new boot: the root is rebuilt from the initramfs, with the node's zpkg configuration. */
function boot(): void {
  rmSync(root, { recursive: true, force: true });
  makeInitramfs(root);
  writeImageConfig(root, `state: ${disk}/state\ncache: ${disk}/cache\nservices:\n  manager: none\n`);
}

const installed = (): string[] => ok(['--root', root, '--json', 'list']).json.packages.map((p: { name: string; version: string }) => `${p.name} ${p.version}`);

beforeAll(async () => {
  // Each release is its own publish, as on a real hub: its own pack, so a node's cache holds only what it fetched.
  await publishLifecycle(repo, work, release('1'));
  boot();
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
});

describe('a diskless node', () => {
  it('keeps state.db and the content cache on the persistent disk; the image holds only what describes it', () => {
    const r = ok(['--root', root, '--json', 'sync', '--boot', '--set', 'rel=1']).json;
    expect(r.install).toHaveLength(7);
    expect(r.fetched.fetched).toBe(60);
    expect(existsSync(join(disk, 'state/state.db'))).toBe(true);
    expect(readdirSync(join(disk, 'cache/packs')).length).toBeGreaterThan(0);
    // The image id, and the (empty) journal directory of its transactions: nothing of the state.
    expect(readdirSync(join(root, 'var/lib/zpkg')).sort()).toEqual(['image-id', 'journal']);
    expect(readdirSync(join(root, 'var/lib/zpkg/journal'))).toEqual([]);
    expect(installed()).toContain('p0 1');
  });

  it('after a reboot the stale installed set is dropped (and said so); sync --boot installs again offline from the cache; history spans boots', () => {
    boot();
    const list = zpkg(['--root', root, '--json', 'list']);
    expect(list.json.packages).toEqual([]);
    expect(list.stderr).toMatch(/was rebuilt since zpkg last recorded it \(a new boot\): the 7 packages recorded as installed were dropped/);
    renameSync(repo, `${repo}.away`);
    try {
      const r = ok(['--root', root, '--json', 'sync', '--boot', '--set', 'rel=1']).json;
      expect(r.install).toHaveLength(7);
      expect(r.fetched).toMatchObject({ blobs: 60, fetched: 0, manifestBytes: 0 });
    } finally {
      renameSync(`${repo}.away`, repo);
    }
    expect(ok(['--root', root, 'verify']).status).toBe(0);
    const history = ok(['--root', root, '--json', 'history']).json.transactions;
    expect(history.map((t: { command: string }) => t.command.includes('sync --boot'))).toEqual([true, true]);
  });

  it('fetches only what the cache lacks: a new release after a reboot costs its changed blobs', async () => {
    await publishLifecycle(repo, work, release('2'));
    ok(['--root', root, 'refresh']);
    boot();
    const r = ok(['--root', root, '--json', 'sync', '--boot', '--set', 'rel=2']).json;
    // p0, p2, p4 changed: 3 packages × 10 files; the rest came from the cache.
    expect(r.fetched).toMatchObject({ blobs: 60, fetched: 30 });
  });

  it('rolls back across boots from the cache alone', () => {
    renameSync(repo, `${repo}.away`);
    try {
      const back = ok(['--root', root, '--json', 'rollback', '2']).json;
      expect(back.generation).toBe(2);
      expect(installed()).toContain('p0 1');
    } finally {
      renameSync(`${repo}.away`, repo);
    }
  });

  it('--state-dir and --cache-dir put them elsewhere for one command; a bad state: is refused', () => {
    const other = join(work, 'other');
    makeInitramfs(other);
    ok(['--root', other, '--state-dir', join(work, 'st'), '--cache-dir', join(work, 'ca'), 'remote', 'add', 'main', repo, ...TRUST]);
    ok(['--root', other, '--state-dir', join(work, 'st'), '--cache-dir', join(work, 'ca'), 'install', 'p1']);
    expect(existsSync(join(work, 'st/state.db'))).toBe(true);
    expect(existsSync(join(work, 'ca/packs'))).toBe(true);
    expect(existsSync(join(other, 'var/lib/zpkg/state.db'))).toBe(false);
    writeImageConfig(other, 'state: relative/dir\n');
    const bad = zpkg(['--root', other, '--json', 'list']);
    expect(bad.json.error).toMatchObject({ code: 'E_CONFIG_INVALID', message: expect.stringContaining('`state` must be an absolute path') });
  });
});
