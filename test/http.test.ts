/**
 * The http(s) backend against real servers on loopback: nginx serving a
 * repository directory, and a server that fails on purpose (503s, a large blob
 * cut midway) to prove retries and resumption with Range; mirrors failing over.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../src/core/digest.js';
import { tamperBlob } from '../bench/shared/tamper-pack.js';
import { addRemote, freePort, remoteAddArgs, startFlaky, startNginx, type Server } from './helpers/servers.js';
import { ok, snapshot, tempDir, writePackage, zpkg } from './helpers/zpkg.js';

const big = randomBytes(3 * 1024 * 1024); // incompressible: its blob stays ~3 MB

function makeRepo(): string {
  const base = tempDir('zpkg-http-');
  const repo = join(base, 'repo');
  ok(['repo', 'create', repo]);
  const lib = writePackage(join(base, 'lib'), { name: 'libdemo', version: '1.0' }, { 'usr/lib/libdemo.txt': 'lib v1\n', 'usr/share/big.bin': { content: big } });
  const app = writePackage(join(base, 'app'), { name: 'app', version: '2.0', depends: ['libdemo (>= 1.0)'] }, { 'usr/bin/app': { content: '#!/bin/sh\necho app\n', mode: 0o755 }, 'etc/app.conf': 'x=1\n' });
  ok(['build', lib, app, '--repo', repo]);
  return repo;
}

function expectInstalled(root: string): void {
  expect(readFileSync(join(root, 'usr/bin/app'), 'utf8')).toBe('#!/bin/sh\necho app\n');
  expect(readFileSync(join(root, 'usr/share/big.bin')).equals(big)).toBe(true);
  expect(readFileSync(join(root, 'usr/lib/libdemo.txt'), 'utf8')).toBe('lib v1\n');
}

/** The image outside zpkg's own state (whose lock file and database a failed command may touch). */
const outsideState = (root: string): string[] => snapshot(root, (rel) => rel.startsWith('var/lib/zpkg/'));

const logLines = (path: string): any[] => (existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

describe('http backend with nginx', () => {
  let repo: string;
  let nginx: Server & { accessLog: string };
  beforeAll(async () => {
    repo = makeRepo();
    nginx = await startNginx(repo);
  });
  afterAll(async () => nginx?.stop());

  it('installs from a repository nginx serves, downloading every blob', () => {
    const root = tempDir();
    addRemote(root, 'web', `${nginx.url}/`);
    const r = ok(['--root', root, '--json', 'install', 'app']);
    expect(r.json.install.map((p: any) => p.name).sort()).toEqual(['app', 'libdemo']);
    expect(r.json.fetched.fetched).toBe(r.json.fetched.blobs);
    expect(r.json.fetched.bytes).toBeGreaterThan(big.length);
    expectInstalled(root);
    ok(['--root', root, 'verify']);
    // Nothing was left half-downloaded in the cache.
    expect(readdirSync(join(root, 'var/lib/zpkg/cache/tmp')).filter((n) => n.endsWith('.part'))).toEqual([]);
  });

  it('refresh when nothing changed is one conditional request answered 304, and sees a new publish', () => {
    const root = tempDir();
    addRemote(root, 'web', nginx.url);
    expect(ok(['--root', root, '--json', 'refresh']).json.remotes[0].status).toBe('updated');
    const before = readFileSync(nginx.accessLog, 'utf8').trim().split('\n').length;
    expect(ok(['--root', root, '--json', 'refresh']).json.remotes[0].status).toBe('unchanged');
    const lines = readFileSync(nginx.accessLog, 'utf8').trim().split('\n').slice(before);
    expect(lines).toEqual([expect.stringMatching(/^GET \/root\.json 304/)]);
    const src = writePackage(join(tempDir(), 'n'), { name: 'newpkg', version: '1' }, { 'usr/share/new': 'n\n' });
    ok(['build', src, '--repo', repo]);
    const r = ok(['--root', root, '--json', 'refresh']).json.remotes[0];
    expect(r.status).toBe('updated');
    expect(r.packages).toBe(3);
  });

  it('a missing package file on the server fails the install and changes nothing', () => {
    const root = tempDir();
    addRemote(root, 'web', `${nginx.url}/no/such/repo`);
    const before = outsideState(root);
    const r = zpkg(['--root', root, '--json', 'install', 'app']);
    expect(r.status).not.toBe(0);
    expect(r.json.error.code).toBe('E_REMOTE_UNREACHABLE');
    expect(outsideState(root)).toEqual(before);
    expect(ok(['--root', root, '--json', 'list']).json.packages).toEqual([]);
  });
});

describe('http backend: what is downloaded is verified', () => {
  it('a blob whose bytes do not match its digest is refused and never enters the cache', async () => {
    const repo = makeRepo();
    const nginx = await startNginx(repo);
    try {
      // libdemo.txt's blob holds other content: valid zstd, a valid pack and blob map, the wrong bytes.
      tamperBlob(repo, digestOf('lib v1\n'), () => Buffer.from('lib v6\n'));
      const root = tempDir();
      addRemote(root, 'web', nginx.url);
      const before = outsideState(root);
      const r = zpkg(['--root', root, '--json', 'install', 'app']);
      expect(r.status).not.toBe(0);
      expect(r.json.error.code).toBe('E_DIGEST_MISMATCH');
      expect(outsideState(root)).toEqual(before);
      // Nothing of what was downloaded entered the cache: no pack, and the fetched frames were deleted.
      const cache = join(root, 'var/lib/zpkg/cache');
      expect(existsSync(join(cache, 'packs')) ? readdirSync(join(cache, 'packs')) : []).toEqual([]);
      expect(readdirSync(join(cache, 'tmp')).filter((n) => n.endsWith('.pack'))).toEqual([]);
    } finally {
      await nginx.stop();
    }
  });
});

describe('http backend against transient failures', () => {
  it('retries 503s with backoff and resumes a pack cut midway with a Range request from the byte it reached', async () => {
    const repo = makeRepo();
    const log = join(tempDir(), 'requests.log');
    const flaky = await startFlaky(repo, { FAIL_FIRST: 3, CUT: 1_000_000, LOG: log });
    try {
      const root = tempDir();
      addRemote(root, 'flaky', flaky.url);
      ok(['--root', root, 'install', 'app']);
      expectInstalled(root);
      const lines = logLines(log);
      expect(lines.slice(0, 3).map((l) => l.status)).toEqual([503, 503, 503]);
      // The pack (one range: both packages' frames) was cut midway once, then asked for again from where it stopped.
      const attempts = lines.filter((l) => l.path.startsWith('packs/'));
      expect(attempts.map((l) => l.status)).toEqual([206, 206]);
      const [first, second] = attempts.map((l) => /^bytes=(\d+)-(\d+)$/.exec(l.range)!.slice(1).map(Number));
      expect(second![1]).toBe(first![1]);
      expect(second![0]).toBeGreaterThan(first![0]! + 1_000_000);
    } finally {
      await flaky.stop();
    }
  });

  it('gives up with E_REMOTE_UNREACHABLE after the retries, changing nothing', async () => {
    const repo = makeRepo();
    const flaky = await startFlaky(repo, { FAIL_FIRST: 1000 });
    try {
      const root = tempDir();
      addRemote(root, 'flaky', flaky.url);
      const before = outsideState(root);
      const r = zpkg(['--root', root, '--json', 'install', 'app']);
      expect(r.status).not.toBe(0);
      expect(r.json.error.code).toBe('E_REMOTE_UNREACHABLE');
      expect(r.json.error.message).toMatch(/503.*after 5 attempts/);
      expect(outsideState(root)).toEqual(before);
      expect(ok(['--root', root, '--json', 'list']).json.packages).toEqual([]);
    } finally {
      await flaky.stop();
    }
  });
});

describe('mirrors', () => {
  it('fails over from a dead URL to its mirror, in order', async () => {
    const repo = makeRepo();
    const log = join(tempDir(), 'requests.log');
    const mirror = await startFlaky(repo, { LOG: log });
    try {
      const dead = `http://127.0.0.1:${await freePort()}/`;
      const root = tempDir();
      addRemote(root, 'main', dead, ['--mirror', mirror.url]);
      expect(ok(['--root', root, '--json', 'remote', 'list']).json.remotes[0].mirrors).toEqual([mirror.url]);
      ok(['--root', root, 'install', 'app']);
      expectInstalled(root);
      expect(logLines(log).some((l) => l.path === 'root.json')).toBe(true);
    } finally {
      await mirror.stop();
    }
  });

  it('a remote whose URL and mirrors all fail is unreachable, and nothing changes', async () => {
    const root = tempDir();
    addRemote(root, 'main', `http://127.0.0.1:${await freePort()}/`, ['--mirror', `http://127.0.0.1:${await freePort()}/`]);
    const before = snapshot(root);
    const r = zpkg(['--root', root, '--json', 'refresh']);
    expect(r.status).not.toBe(0);
    expect(r.json.error.code).toBe('E_REMOTE_UNREACHABLE');
    expect(r.json.error.message).toMatch(/every mirror failed/);
    expect(snapshot(root)).toEqual(before);
  });

  it('refuses a URL with an unknown scheme', () => {
    const root = tempDir();
    const r = zpkg(remoteAddArgs(root, 'x', 'gopher://host/repo'));
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_URL_INVALID');
  });
});
