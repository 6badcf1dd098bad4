/**
 * The depot (`zpkg serve`) as a real process on loopback: static reads with
 * caching headers and ranges, publishes refused without a valid token and
 * accepted with one, uploads verified, concurrent publishes from several
 * processes serialized while a reader checks it never sees a torn
 * repository, and a short load test with zero errors.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, get, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import autocannon from 'autocannon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../src/core/digest.js';
import { packPath, recordPath } from '../src/repo/layout.js';
import { boundaryOf, ByteRangesReader } from '../src/repo/multipart.js';
import { packHolding } from '../bench/shared/tamper-pack.js';
import { readManifest } from './helpers/recipes.js';
import { within } from './helpers/process.js';
import { addRemote, startDepot, type Server } from './helpers/servers.js';
import { BIN, ok, TEST_KEY, tempDir, writePackage, zpkg } from './helpers/zpkg.js';

const TOKEN = 'depot-test-token-1';
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function zpkgAsync(args: string[], env: Record<string, string> = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ZPKG_REPO_KEY: TEST_KEY, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

describe('zpkg serve', () => {
  let dir: string;
  let depot: Server;
  let blobPath: string;
  let recordFile: string;
  beforeAll(async () => {
    const base = tempDir('zpkg-depot-');
    dir = join(base, 'repo');
    ok(['repo', 'create', dir]);
    depot = await startDepot(dir, [TOKEN]);
    const src = writePackage(join(base, 'p'), { name: 'hello', version: '1.0' }, { 'usr/bin/hello': { content: `#!/bin/sh\necho ${'hello '.repeat(200)}\n`, mode: 0o755 } });
    const r = ok(['--json', 'build', src, '--repo', depot.url, '--token', TOKEN]);
    expect(r.json.publish.packages[0].status).toBe('added');
    const manifest = readManifest(dir, r.json.built[0].manifest);
    const digest = (manifest.actions.find((a) => a.type === 'file') as { digest: Digest }).digest;
    blobPath = packPath(packHolding(dir, digest)!.digest);
    recordFile = recordPath(r.json.built[0].manifest);
  });
  afterAll(async () => depot?.stop());

  it('serves the static layout with caching headers, ETags and ranges', async () => {
    const root = await fetch(`${depot.url}/root.json`);
    expect(root.status).toBe(200);
    expect(root.headers.get('cache-control')).toBe('public, max-age=5, must-revalidate');
    const etag = root.headers.get('etag')!;
    expect(etag).toBeTruthy();
    expect((await fetch(`${depot.url}/root.json`, { headers: { 'if-none-match': etag } })).status).toBe(304);

    const whole = Buffer.from(await (await fetch(`${depot.url}/${blobPath}`)).arrayBuffer());
    expect(whole.equals(readFileSync(join(dir, blobPath)))).toBe(true);
    const blob = await fetch(`${depot.url}/${blobPath}`, { method: 'HEAD' });
    expect(blob.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    // A record is named by its manifest, but `repo repack` rewrites its blob map: revalidated, like root.json.
    const record = await fetch(`${depot.url}/${recordFile}`, { method: 'HEAD' });
    expect(record.status).toBe(200);
    expect(record.headers.get('cache-control')).toBe('public, max-age=5, must-revalidate');
    expect(blob.headers.get('accept-ranges')).toBe('bytes');
    expect(Number(blob.headers.get('content-length'))).toBe(whole.length);

    const part = await fetch(`${depot.url}/${blobPath}`, { headers: { range: 'bytes=4-13' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 4-13/${whole.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(whole.subarray(4, 14))).toBe(true);
    const tail = await fetch(`${depot.url}/${blobPath}`, { headers: { range: 'bytes=-5' } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(whole.subarray(whole.length - 5))).toBe(true);
    // Several ranges: one multipart/byteranges answer, each part with its Content-Range.
    const multi = await fetch(`${depot.url}/${blobPath}`, { headers: { range: 'bytes=0-7,20-29,-4' } });
    expect(multi.status).toBe(206);
    const boundary = boundaryOf(multi.headers.get('content-type')!)!;
    const parts: [number, Buffer][] = [];
    const reader = new ByteRangesReader(boundary, (at, data) => parts.push([at, Buffer.from(data)]));
    reader.push(Buffer.from(await multi.arrayBuffer()));
    expect(reader.complete).toBe(true);
    expect(parts.map(([at, d]) => [at, d.length])).toEqual([[0, 8], [20, 10], [whole.length - 4, 4]]);
    for (const [at, d] of parts) expect(d.equals(whole.subarray(at, at + d.length))).toBe(true);
    const beyond = await fetch(`${depot.url}/${blobPath}`, { headers: { range: `bytes=${whole.length + 10}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${whole.length}`);
    expect((await fetch(`${depot.url}/.zpkg-lock`)).status).toBe(404);
    expect((await fetch(`${depot.url}/../etc/passwd`)).status).toBe(404);
  });

  it('stops at once on SIGTERM: a connection opened and not yet used and a kept-alive one are closed, and a download under way is sent whole first', async () => {
    // What a browser leaves: Node's close() counts a connection that has not sent its request yet as busy, and left it
    // to its headers timeout (60 s, then the next connections check): the depot took 70–83 s to exit with a page open.
    const d = await startDepot(dir, []);
    const big = randomBytes(48 << 20);
    const bigPath = packPath(`sha256:${sha(big)}` as Digest);
    mkdirSync(dirname(join(dir, bigPath)), { recursive: true });
    writeFileSync(join(dir, bigPath), big);
    try {
      const unused = connect(d.port, '127.0.0.1');
      await once(unused, 'connect');
      const unusedClosed = once(unused, 'close');
      const keptAlive = new Agent({ keepAlive: true });
      const first = await new Promise<IncomingMessage>((resolve) => get(`${d.url}/root.json`, { agent: keptAlive }, resolve));
      first.resume();
      await once(first, 'end');
      // A download the client is slow to read: most of it is still in the depot when the stop comes.
      const download = await new Promise<IncomingMessage>((resolve) => get(`${d.url}/${bigPath}`, resolve));
      download.pause();
      const stopped = d.stop();
      // Bounds what the bug did (a minute or more), far above what a stop takes on a busy machine.
      const bound = <T>(p: Promise<T>, what: string): Promise<T> => within(p, 30_000, `${what} after SIGTERM`);
      await bound(unusedClosed, 'the unused connection was not closed');
      const chunks: Buffer[] = [];
      download.on('data', (c: Buffer) => chunks.push(c));
      download.resume();
      await bound(once(download, 'end'), 'the download did not end');
      expect(sha(Buffer.concat(chunks))).toBe(sha(big));
      await bound(stopped, 'the depot did not exit');
      keptAlive.destroy();
    } finally {
      rmSync(join(dir, bigPath), { force: true });
      await d.stop();
    }
  });

  it('installs from the depot as a plain http remote', () => {
    const root = tempDir();
    addRemote(root, 'depot', depot.url);
    ok(['--root', root, 'install', 'hello']);
    expect(readFileSync(join(root, 'usr/bin/hello'), 'utf8')).toMatch(/^#!\/bin\/sh\necho hello/);
  });

  it('refuses publishes without a valid token, and uploads that do not match their digest', async () => {
    const src = writePackage(join(tempDir(), 'x'), { name: 'intruder', version: '1' }, { 'usr/bin/x': 'x\n' });
    const rootBefore = readFileSync(join(dir, 'root.json'));
    const none = zpkg(['--json', 'build', src, '--repo', depot.url], { env: { ZPKG_TOKEN: '' } });
    expect(none.json.error.code).toBe('E_AUTH');
    expect(none.status).toBe(1);
    expect(none.json.error.message).toMatch(/needs a depot token/);
    const wrong = zpkg(['--json', 'build', src, '--repo', depot.url, '--token', 'not-the-token']);
    expect(wrong.json.error.code).toBe('E_AUTH');
    expect(wrong.status).toBe(1);
    expect(wrong.json.error.message).toMatch(/refused the token/);
    const raw = await fetch(`${depot.url}/packs/ff/${'f'.repeat(64)}.pack`, { method: 'PUT', body: 'junk' });
    expect(raw.status).toBe(401);
    const forged = await fetch(`${depot.url}/packs/ff/${'f'.repeat(64)}.pack`, { method: 'PUT', body: 'junk', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream' } });
    expect(forged.status).toBe(422);
    expect(existsSync(join(dir, 'packs/ff', `${'f'.repeat(64)}.pack`))).toBe(false);
    // A format 2 path is no path of this repository.
    const legacy = await fetch(`${depot.url}/blobs/ff/${'f'.repeat(64)}.zst`, { method: 'PUT', body: 'junk', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream' } });
    expect(legacy.status).toBe(400);
    const rootNoLease = await fetch(`${depot.url}/root.json`, { method: 'PUT', body: rootBefore, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream' } });
    expect(rootNoLease.status).toBe(409);
    expect(readFileSync(join(dir, 'root.json')).equals(rootBefore)).toBe(true);
    // With the token the same package is accepted.
    expect(ok(['--json', 'build', src, '--repo', depot.url], { env: { ZPKG_TOKEN: TOKEN } }).json.publish.packages[0].status).toBe('added');
  });

  it('serializes concurrent publishes from several processes; a reader never sees a torn repository', async () => {
    const base = tempDir();
    const before = JSON.parse(readFileSync(join(dir, 'root.json'), 'utf8')).signed.version as number;
    const N = 4;
    let stop = false;
    let reads = 0;
    const problems: string[] = [];
    const reader = (async () => {
      while (!stop) {
        const root = (await (await fetch(`${depot.url}/root.json`)).json()).signed;
        const hex = (root.catalog.digest as string).slice(7);
        const cat = await fetch(`${depot.url}/catalog/${hex}.zst`);
        if (cat.status !== 200) problems.push(`catalog of version ${root.version}: HTTP ${cat.status}`);
        else if (sha(Buffer.from(await cat.arrayBuffer())) !== hex) problems.push(`catalog of version ${root.version} does not hash to its name`);
        reads += 1;
      }
    })();
    const runs = await Promise.all(
      Array.from({ length: N }, (_, i) => {
        const files: Record<string, string> = {};
        for (let f = 0; f < 20; f++) files[`usr/share/c${i}/${f}`] = `package ${i} file ${f}\n`;
        const src = writePackage(join(base, `c${i}`), { name: `concurrent${i}`, version: '1' }, files);
        return zpkgAsync(['--json', 'build', src, '--repo', depot.url, '--token', TOKEN]);
      }),
    );
    stop = true;
    await reader;
    for (const r of runs) expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(problems).toEqual([]);
    expect(reads).toBeGreaterThan(0);
    const after = ok(['--json', 'repo', 'list', depot.url]).json;
    expect(after.version).toBe(before + N);
    for (let i = 0; i < N; i++) expect(after.packages.some((p: any) => p.name === `concurrent${i}`)).toBe(true);
    ok(['repo', 'verify', dir]);
  });

  it('answers a short load test with zero errors', async () => {
    // A fixed number of requests, not a duration: how many a busy machine serves
    // in two seconds is speed (npm run bench -- --only depot), not correctness.
    const result = await autocannon({
      url: depot.url,
      connections: 16,
      amount: 400,
      timeout: 60,
      requests: [{ method: 'GET', path: '/root.json' }, { method: 'GET', path: `/${blobPath}` }],
    });
    expect(result.errors).toBe(0);
    expect(result.timeouts).toBe(0);
    expect(result.non2xx).toBe(0);
    expect(result['2xx']).toBe(400);
  });
});

describe('zpkg serve: bad input', () => {
  it('refuses a bad --listen and a directory that is not a repository', () => {
    const dir = tempDir();
    const notRepo = zpkg(['--json', 'serve', dir, '--listen', '127.0.0.1:0']);
    expect(notRepo.json.error.code).toBe('E_REPO_INVALID');
    ok(['repo', 'create', join(dir, 'r')]);
    const bad = zpkg(['--json', 'serve', join(dir, 'r'), '--listen', 'localhost']);
    expect(bad.json.error.code).toBe('E_USAGE');
    expect(bad.json.error.message).toMatch(/HOST:PORT/);
  });
});

describe('zpkg serve: maintenance through the depot', () => {
  it('removes a package and garbage-collects with the token ($ZPKG_TOKEN)', async () => {
    const base = tempDir('zpkg-depot-');
    const dir = join(base, 'repo');
    ok(['repo', 'create', dir]);
    const depot = await startDepot(dir, [TOKEN]);
    try {
      const env = { ZPKG_TOKEN: TOKEN };
      // Two publishes: two packs.
      ok(['build', writePackage(join(base, 'a'), { name: 'alpha', version: '1' }, { 'usr/share/a': 'only in alpha\n' }), '--repo', depot.url], { env });
      ok(['build', writePackage(join(base, 'b'), { name: 'beta', version: '1' }, { 'usr/share/b': 'b\n' }), '--repo', depot.url], { env });
      expect(zpkg(['--json', 'repo', 'remove', depot.url, 'alpha@1'], { env: { ZPKG_TOKEN: '' } }).json.error.code).toBe('E_AUTH');
      ok(['repo', 'remove', depot.url, 'alpha@1'], { env });
      const gc = ok(['--json', 'repo', 'gc', depot.url], { env }).json;
      expect(gc.removed).toMatchObject({ packs: 1, manifests: 1 });
      expect(ok(['--json', 'repo', 'list', dir]).json.packages.map((p: any) => p.name)).toEqual(['beta']);
      ok(['repo', 'verify', dir]);
    } finally {
      await depot.stop();
    }
  });
});
