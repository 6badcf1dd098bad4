/**
 * Start-up loads only what the command named uses (issue 15): `zpkg
 * --version` loads commander and the version, nothing of the image, SQLite or
 * any repository; `zpkg list` no S3 SDK, fastify or undici; only help loads
 * every command. Whole processes of `bin/zpkg.js` on the ES modules of
 * dist/src (ZPKG_ESM=1: it would otherwise start the app, dist/app), every
 * module they resolve recorded by a loader hook (helpers/record-modules.mjs).
 * The bundle and the app, one CommonJS file each, keep the
 * same laziness (esbuild turns each `import()` into a deferred init); the bundle's
 * start-up time is measured by `npm run bench -- --only startup`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFlaky, startNginx, type Server } from './helpers/servers.js';
import { AHEAD_STATE_BYTES, startCheckWorkersFor } from '../src/fs/check-paths.js';
import { BIN, ok, REPO_ROOT, tempDir, TRUST, writePackage } from './helpers/zpkg.js';

const HOOK = join(REPO_ROOT, 'test/helpers/record-modules.mjs');
let work: string;
let image: string;
let repo: string;
let nginx: Server & { accessLog: string };
let flaky: Server | undefined;

/** The URLs of the modules `zpkg ARGS` resolved, zpkg's own shortened to `src/…`. */
function modulesOf(args: string[], env: Record<string, string> = {}, mustSucceed = true): string[] {
  const file = join(work, 'modules');
  rmSync(file, { force: true });
  const r = spawnSync(process.execPath, ['--import', HOOK, BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ZPKG_TEST_MODULES: file, ZPKG_ESM: '1', ...env } });
  if (mustSucceed && r.status !== 0) throw new Error(`zpkg ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const urls = [...new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean))];
  return urls.map((u) => u.replace(/^.*\/dist\/src\//, 'src/'));
}

const heavy = (modules: string[]): string[] => modules.filter((u) => /node_modules\/(@aws-sdk|@smithy|fastify|undici)\//.test(u));

describe('start-up loads only what the command uses', () => {
  beforeAll(() => {
    work = tempDir('zpkg-start-up-');
    image = join(work, 'image');
    repo = join(work, 'repo');
    ok(['repo', 'create', repo]);
    writePackage(join(work, 'hello'), { name: 'hello', version: '1.0' }, { 'usr/share/hello/greeting': 'hi\n' });
    ok(['build', join(work, 'hello'), '--repo', repo]);
    ok(['--root', image, 'remote', 'add', 'main', repo, ...TRUST]);
    ok(['--root', image, 'install', 'hello']);
  });
  afterAll(async () => {
    await nginx?.stop();
    await flaky?.stop();
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
    // An image without etc/zpkg/zpkg.yaml parses no YAML: the library (~70 ms to load) is not loaded (src/fs/yaml.ts).
    expect(m.filter((u) => u.includes('node_modules/yaml/'))).toEqual([]);
  });

  it('verify: the state, the manifests and the check workers, none of the transaction machinery', () => {
    const m = modulesOf(['--root', image, 'verify']);
    expect(m).toEqual(expect.arrayContaining(['src/txn/verify.js', 'src/fs/check-paths.js']));
    // What resumes an interrupted transaction (resume.ts) pulls in staging, fetching and every repository backend.
    expect(m.filter((u) => /^src\/txn\/(resume|transaction|stage|fetch|apply|recover)\.js$/.test(u) || /^src\/repo\/(http|s3|depot)/.test(u))).toEqual([]);
    expect(heavy(m)).toEqual([]);
    expect(m.filter((u) => u.includes('node_modules/yaml/'))).toEqual([]);
  });

  it('verify starts its check workers early for a large state only, and they never keep a failing or small verify from exiting', () => {
    // Each run is bounded: workers left holding the process would show as a timeout, not a pass.
    const run = (args: string[]): ReturnType<typeof spawnSync> => spawnSync(process.execPath, [BIN, '--root', image, ...args], { encoding: 'utf8', timeout: 60_000 });
    const missing = run(['--json', 'verify', 'no-such-package']);
    expect(missing.error).toBeUndefined();
    expect(JSON.parse(String(missing.stdout)).error.code).toBe('E_NOT_INSTALLED');
    const small = run(['verify', 'hello']);
    expect(small.error).toBeUndefined();
    expect(small.status, String(small.stderr)).toBe(0);
    // This image's state (one package) is small: none start ahead of the count of its files.
    expect(startCheckWorkersFor(join(image, 'var/lib/zpkg/state.db'))).toBe(false);
    expect(startCheckWorkersFor(join(work, 'no-such-state.db'))).toBe(false);
    // Workers started ahead for a large state, and never taken by a check, leave the process free to exit.
    const big = join(work, 'large-state.db');
    writeFileSync(big, Buffer.alloc(AHEAD_STATE_BYTES));
    const started = spawnSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(join(REPO_ROOT, 'dist/src/fs/check-paths.js'))}); console.log(m.startCheckWorkersFor(process.argv[1]));`, big], { encoding: 'utf8', timeout: 60_000 });
    expect(started.error).toBeUndefined();
    expect([started.status, started.stdout.trim()], started.stderr).toEqual([0, 'true']);
  });

  it('recover with nothing to recover loads no hook, service or transaction machinery', () => {
    const m = modulesOf(['--root', image, 'recover']);
    expect(m).toEqual(expect.arrayContaining(['src/txn/recover.js', 'src/txn/resume.js']));
    expect(m.filter((u) => /^src\/txn\/(auto-rollback|transaction|stage|fetch|apply)\.js$/.test(u) || /^src\/hooks\/(lifecycle|run)\.js$/.test(u) || /^src\/repo\/(http|s3|depot)/.test(u))).toEqual([]);
  });

  it('help loads every command (the list is whole)', () => {
    const m = modulesOf(['--help']);
    expect(m).toEqual(expect.arrayContaining(['src/cli/commands/list.js', 'src/cli/commands/install.js', 'src/cli/commands/serve.js', 'src/cli/commands/self-test.js']));
  });

  it('refresh with nothing new (a 304 from nginx) is one request through node:http: undici is not loaded', async () => {
    nginx = await startNginx(work);
    const web = join(work, 'web-image');
    ok(['--root', web, 'remote', 'add', 'web', `${nginx.url}/repo`, ...TRUST]);
    // The first refresh reads root.json (200), the catalog and the file index; the second is answered 304.
    expect(ok(['--root', web, '--json', 'refresh']).json.remotes[0].status).toBe('updated');
    const before = readFileSync(nginx.accessLog, 'utf8').trim().split('\n').length;
    const noProxy = { http_proxy: '', HTTP_PROXY: '', https_proxy: '', HTTPS_PROXY: '' };
    const m = modulesOf(['--root', web, 'refresh'], noProxy);
    expect(readFileSync(nginx.accessLog, 'utf8').trim().split('\n').slice(before)).toEqual([expect.stringMatching(/^GET \/repo\/root\.json 304/)]);
    expect(m).toContain('src/repo/http-node.js');
    expect(heavy(m)).toEqual([]);
    // Through a proxy (here one that refuses: the command fails), the request keeps undici's proxy agent (test/proxy.test.ts proves it reaches the proxy).
    const proxied = modulesOf(['--root', web, 'refresh'], { ...noProxy, http_proxy: 'http://127.0.0.1:9' }, false).filter((u) => u.includes('node_modules/undici/'));
    expect(proxied.length).toBeGreaterThan(0);
  });

  it('an install from an HTTP remote without a proxy goes through node:http: undici (~0.12 s to load) is not loaded', async () => {
    nginx ??= await startNginx(work);
    const web = join(work, 'web-install');
    const noProxy = { http_proxy: '', HTTP_PROXY: '', https_proxy: '', HTTPS_PROXY: '' };
    ok(['--root', web, 'remote', 'add', 'web', `${nginx.url}/repo`, ...TRUST]);
    ok(['--root', web, 'refresh']);
    const before = readFileSync(nginx.accessLog, 'utf8').trim().split('\n').length;
    const m = modulesOf(['--root', web, 'install', 'hello'], noProxy);
    const asked = readFileSync(nginx.accessLog, 'utf8').trim().split('\n').slice(before);
    // Its record and its pack, nothing else (the file index came with the refresh).
    expect(asked).toEqual([expect.stringMatching(/^GET \/repo\/manifests\/.* 200/), expect.stringMatching(/^GET \/repo\/packs\/.* 206/)]);
    expect(m).toContain('src/repo/http-node.js');
    expect(heavy(m)).toEqual([]);
    expect(readFileSync(join(web, 'usr/share/hello/greeting'), 'utf8')).toBe('hi\n');
  });

  it('the node:http refresh retries 503s and takes a new root (200) with its validator', async () => {
    flaky = await startFlaky(repo, { FAIL_FIRST: 2, LOG: join(work, 'flaky.log') });
    const web = join(work, 'flaky-image');
    ok(['--root', web, 'remote', 'add', 'web', flaky.url, ...TRUST]);
    const noProxy = { http_proxy: '', HTTP_PROXY: '', https_proxy: '', HTTPS_PROXY: '' };
    const r = spawnSync(process.execPath, [BIN, '--root', web, '--json', 'refresh'], { encoding: 'utf8', env: { ...process.env, ...noProxy } });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).remotes[0].status).toBe('updated');
    const log = readFileSync(join(work, 'flaky.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { path: string; status: number });
    expect(log.slice(0, 3).map((l) => `${l.path} ${l.status}`)).toEqual(['root.json 503', 'root.json 503', 'root.json 200']);
    // The validator of that answer makes the next refresh a 304.
    expect(ok(['--root', web, '--json', 'refresh']).json.remotes[0].status).toBe('unchanged');
    const last = readFileSync(join(work, 'flaky.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { path: string; status: number }).at(-1)!;
    expect(`${last.path} ${last.status}`).toBe('root.json 304');
  });
});
