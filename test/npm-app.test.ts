/**
 * `bin/zpkg.js` starts the app (dist/app, packaging/app.mjs): one CommonJS
 * file compiled with the V8 code caches its build wrote, by this very node and
 * with the flags bin/zpkg.js sets, so V8 takes them. It falls back to the ES
 * modules of dist/src when tsc compiled after the app was built (the app would
 * be stale) and when ZPKG_ESM=1; both ways run the same zpkg. The fallback is
 * checked in a copy of bin/ and dist/, so the suite's own app stays current.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, ok, REPO_ROOT, tempDir, TRUST, writePackage } from './helpers/zpkg.js';

let work: string;
let image: string;

/** `zpkg --root IMAGE ARGS` by the bin at `bin`, asking the loader what it did with each code cache. */
function run(bin: string, args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; caches: string[] } {
  const r = spawnSync(process.execPath, [bin, '--root', image, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ZPKG_CODE_CACHE: 'check', ...env } });
  const caches = r.stderr.split('\n').filter((l) => l.startsWith('zpkg code cache: '));
  return { status: r.status, stdout: r.stdout, caches: caches.map((l) => l.replace(/^zpkg code cache: .*\/(dist\/app\/)/, '$1')) };
}

beforeAll(() => {
  work = tempDir('zpkg-npm-app-');
  const repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  ok(['build', writePackage(join(work, 'hello'), { name: 'hello', version: '1.0' }, { 'usr/share/hello/greeting': 'hi\n' }), '--repo', repo]);
  image = join(work, 'image');
  ok(['--root', image, 'remote', 'add', 'main', repo, ...TRUST]);
  ok(['--root', image, 'install', 'hello']);
});

describe("the npm package's app", () => {
  it('bin/zpkg.js runs the app, and V8 takes its code caches: the common one, and a command its own', () => {
    const list = run(BIN, ['list']);
    expect([list.status, list.stdout, list.caches]).toEqual([0, 'hello  1.0\n', ['dist/app/main.js: accepted (main.js.cache)']]);
    const plan = run(BIN, ['install', '-n', 'hello']);
    expect([plan.status, plan.caches]).toEqual([0, ['dist/app/main.js: accepted (main.js.install.cache)']]);
  });

  it('ZPKG_ESM=1 runs the ES modules of dist/src instead, with the same answer', () => {
    const esm = run(BIN, ['list'], { ZPKG_ESM: '1' });
    expect([esm.status, esm.stdout, esm.caches]).toEqual([0, 'hello  1.0\n', []]);
  });

  it('sources compiled after the app was built run from dist/src until the app is stamped again', () => {
    // A checkout of its own: bin/, dist/ and the package.json, its node_modules the suite's.
    const copy = join(work, 'checkout');
    mkdirSync(copy);
    for (const p of ['bin', 'dist/app', 'dist/src', 'dist/.tsbuildinfo', 'package.json']) cpSync(join(REPO_ROOT, p), join(copy, p), { recursive: true });
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(copy, 'node_modules'));
    const bin = join(copy, 'bin/zpkg.js');
    const stamp = join(copy, 'dist/app/.inputs');
    const compiled = join(copy, 'dist/.tsbuildinfo');
    const at = (file: string, seconds: number): void => utimesSync(file, seconds, seconds);
    const now = Math.floor(statSync(stamp).mtimeMs / 1000);
    at(stamp, now);
    at(compiled, now + 60);
    expect(run(bin, ['list'])).toEqual({ status: 0, stdout: 'hello  1.0\n', caches: [] });
    at(stamp, now + 120);
    expect(run(bin, ['list'])).toEqual({ status: 0, stdout: 'hello  1.0\n', caches: ['dist/app/main.js: accepted (main.js.cache)'] });
  });
});
