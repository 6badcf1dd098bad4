/**
 * Start-up loads only what the command named uses (issue 15): `zpkg
 * --version` loads commander and the version, nothing of the image, SQLite or
 * any repository; `zpkg list` no S3 SDK, fastify or undici; only help loads
 * every command. Whole processes of `bin/zpkg.js`, every module they resolve
 * recorded by a loader hook (helpers/record-modules.mjs). The bundle keeps the
 * same laziness (esbuild turns each `import()` into a deferred init); its
 * start-up time is measured by `npm run bench -- --only startup`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, ok, REPO_ROOT, tempDir, TRUST, writePackage } from './helpers/zpkg.js';

const HOOK = join(REPO_ROOT, 'test/helpers/record-modules.mjs');
let work: string;
let image: string;

/** The URLs of the modules `zpkg ARGS` resolved, zpkg's own shortened to `src/…`. */
function modulesOf(args: string[]): string[] {
  const file = join(work, 'modules');
  rmSync(file, { force: true });
  const r = spawnSync(process.execPath, ['--import', HOOK, BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ZPKG_TEST_MODULES: file } });
  if (r.status !== 0) throw new Error(`zpkg ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const urls = [...new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean))];
  return urls.map((u) => u.replace(/^.*\/dist\/src\//, 'src/'));
}

const heavy = (modules: string[]): string[] => modules.filter((u) => /node_modules\/(@aws-sdk|@smithy|fastify|undici)\//.test(u));

describe('start-up loads only what the command uses', () => {
  beforeAll(() => {
    work = tempDir('zpkg-start-up-');
    image = join(work, 'image');
    const repo = join(work, 'repo');
    ok(['repo', 'create', repo]);
    writePackage(join(work, 'hello'), { name: 'hello', version: '1.0' }, { 'usr/share/hello/greeting': 'hi\n' });
    ok(['build', join(work, 'hello'), '--repo', repo]);
    ok(['--root', image, 'remote', 'add', 'main', repo, ...TRUST]);
    ok(['--root', image, 'install', 'hello']);
  });

  it('--version: commander and the version, no command, image, SQLite or repository', () => {
    const m = modulesOf(['--version']);
    expect(m.some((u) => u.includes('node_modules/commander/'))).toBe(true);
    expect(m.filter((u) => u.startsWith('src/cli/commands/') && !u.endsWith('/index.js'))).toEqual([]);
    expect(m.filter((u) => /^src\/(image|txn|repo|db|solver)\//.test(u) || u.includes('better-sqlite3'))).toEqual([]);
    expect(heavy(m)).toEqual([]);
  });

  it('list: its own command module only, and no S3 SDK, fastify or undici', () => {
    const m = modulesOf(['--root', image, 'list']);
    expect(m.filter((u) => u.startsWith('src/cli/commands/') && !u.endsWith('/index.js'))).toEqual(expect.arrayContaining(['src/cli/commands/list.js']));
    expect(m).not.toContain('src/cli/commands/install.js');
    expect(m).not.toContain('src/cli/commands/serve.js');
    expect(heavy(m)).toEqual([]);
  });

  it('help loads every command (the list is whole)', () => {
    const m = modulesOf(['--help']);
    expect(m).toEqual(expect.arrayContaining(['src/cli/commands/list.js', 'src/cli/commands/install.js', 'src/cli/commands/serve.js', 'src/cli/commands/self-test.js']));
  });
});
