/**
 * The commit and the syncfs: a transaction commits its state rows (and its
 * history row, the commit marker) only once the syncfs of the image has
 * returned, so the marker is never visible — let alone durable — before the
 * files are; a syncfs that fails commits nothing. The `sync` zpkg spawns (found on PATH outside the bundle, fs/helpers.ts)
 * is replaced by a script that looks at state.db while it runs, then syncs
 * for real (or fails, for the second test).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ok, tempDir, TRUST, writePackage, zpkg } from './helpers/zpkg.js';

const work = tempDir('zpkg-commit-sync-');
const repo = join(work, 'repo');
const realSync = execFileSync('sh', ['-c', 'command -v sync'], { encoding: 'utf8' }).trim();
const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');

/** A directory holding a `sync` that records the committed packages of STATE into LOG, then runs REAL (or fails). */
function fakeSync(name: string, fail: boolean): { path: string; log: string } {
  const dir = join(work, name);
  mkdirSync(dir);
  const log = join(dir, 'seen');
  const look = `const D = require(${JSON.stringify(sqlite)}); const db = new D(process.env.ZPKG_TEST_STATE, { readonly: true, fileMustExist: true }); require('fs').appendFileSync(${JSON.stringify(log)}, process.env.SYNC_PID + ' ' + db.prepare('SELECT count(*) AS n FROM packages').get().n + ' ' + db.prepare('SELECT count(*) AS n FROM history').get().n + '\\n')`;
  const script = ['#!/bin/sh', 'export SYNC_PID=$$', `${JSON.stringify(process.execPath)} -e ${JSON.stringify(look)} || exit 3`, fail ? 'echo "sync: the disk went away" >&2; exit 1' : `exec ${realSync} "$@"`, ''].join('\n');
  writeFileSync(join(dir, 'sync'), script);
  chmodSync(join(dir, 'sync'), 0o755);
  return { path: `${dir}:${process.env.PATH}`, log };
}

function image(name: string): { root: string; state: string } {
  const root = join(work, name);
  mkdirSync(root);
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  return { root, state: join(root, 'var/lib/zpkg/state.db') };
}

beforeAll(() => {
  ok(['repo', 'create', repo]);
  const files: Record<string, string> = {};
  for (let i = 0; i < 300; i++) files[`usr/share/many/f${i}`] = `file ${i}\n`.repeat(i + 1);
  writePackage(join(work, 'many'), { name: 'many', version: '1' }, files);
  ok(['build', join(work, 'many'), '--repo', repo]);
}, 120_000);

describe('commit after syncfs', () => {
  it('while the syncfs runs, state.db holds no package and no history row of the transaction; after it, both', async () => {
    const { root, state } = image('img-ok');
    expect(existsSync(state)).toBe(true);
    const sync = fakeSync('sync-ok', false);
    ok(['--root', root, 'install', 'many'], { env: { PATH: sync.path, ZPKG_TEST_STATE: state } });
    // Each sync zpkg ran: its pid, then the packages and history rows committed while it ran. Two: one started in
    // the background once staging is done, then the one the commit waits for, started last (the highest pid). Nothing
    // waits for the first (it is not even waited for at exit), so under load it may look after the commit, or after
    // zpkg has exited: its line is waited for (the deadline only catches a sync that never looks).
    const lines = (): string[] => (existsSync(sync.log) ? readFileSync(sync.log, 'utf8').trim().split('\n') : []);
    for (const deadline = Date.now() + 30_000; lines().length < 2 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 50));
    const seen = lines().map((l) => l.split(' ').map(Number) as [number, number, number]);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    const awaited = seen.reduce((a, b) => (b[0] > a[0] ? b : a));
    expect(awaited.slice(1)).toEqual([0, 0]);
    expect(ok(['--root', root, '--json', 'list']).json.packages).toMatchObject([{ name: 'many', version: '1' }]);
    expect(ok(['--root', root, '--json', 'history']).json.transactions).toMatchObject([{ status: 'committed', changes: { install: [{ name: 'many', version: '1' }] } }]);
    ok(['--root', root, 'verify']);
  });

  it('a syncfs that fails: E_IO naming it, nothing committed, and recovery takes the files back out', () => {
    const { root, state } = image('img-fail');
    const sync = fakeSync('sync-fail', true);
    const r = zpkg(['--root', root, '--json', 'install', 'many'], { env: { PATH: sync.path, ZPKG_TEST_STATE: state } });
    expect(r.status, r.stderr).toBe(1);
    expect(r.json.error.code).toBe('E_IO');
    expect(r.json.error.message).toMatch(/syncfs of .* failed .*the disk went away/);
    expect(ok(['--root', root, '--json', 'list']).json.packages).toEqual([]);
    expect(ok(['--root', root, '--json', 'history']).json.transactions).toEqual([]);
    expect(ok(['--root', root, '--json', 'recover']).json.recovered).toMatchObject([{ outcome: 'rolled back' }]);
    expect(existsSync(join(root, 'usr/share/many/f1'))).toBe(false);
    expect(ok(['--root', root, '--json', 'list']).json.packages).toEqual([]);
  });
});
