/**
 * A server that answers a whole-file read with more than the file may be —
 * bytes without end, or a Content-Length of 1 TiB — costs a client the bound
 * its caller named (src/repo/read-limit.ts) and no more: root metadata 1 MiB,
 * a catalog or file index the size its signed root metadata declares, a
 * package record 256 MiB. Before, one endless root.json made `refresh` hold
 * every byte until V8 gave up (4.2 GB resident after 2 GB, then a crash).
 * Against test/servers/flaky.mjs (ENDLESS, HUGE, ENDLESS_PART) on loopback,
 * spoken to as an http repository and as an S3 endpoint (path-style: the
 * bucket and key are the path flaky.mjs serves).
 */
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RECORD } from '../../src/repo/record.js';
import { peakRss } from '../helpers/bombs.js';
import { addRemote, S3_ENV, startFlaky, type Server } from '../helpers/servers.js';
import { BIN, ok, snapshot, tempDir, TEST_KEY, writePackage, zpkg } from '../helpers/zpkg.js';

const MiB = 1 << 20;
let work: string;
let repo: string;
let server: Server | undefined;

beforeAll(() => {
  work = tempDir('zpkg-endless-');
  repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  ok(['build', writePackage(join(work, 'pkg'), { name: 'tool', version: '1' }, { 'usr/share/tool/readme': 'tool\n' }), '--repo', repo]);
});

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** A fresh image whose remote is `repo` behind flaky.mjs answering `env`; the server's log. */
async function imageBehind(name: string, env: { ENDLESS?: string; HUGE?: string; ENDLESS_PART?: string }): Promise<{ root: string; log: string }> {
  const log = join(work, `${name}.log`);
  server = await startFlaky(repo, { LOG: log, ...env });
  const root = join(work, name);
  addRemote(root, 'main', server.url);
  return { root, log };
}

/** The same, the repository as `s3://zpkg/r` of an endpoint that is flaky.mjs (`env`'s patterns see `zpkg/r/…`). */
async function imageBehindS3(name: string, env: { ENDLESS?: string }): Promise<{ root: string; log: string }> {
  const log = join(work, `${name}.log`);
  const served = join(work, `${name}-bucket`);
  mkdirSync(join(served, 'zpkg'), { recursive: true });
  cpSync(repo, join(served, 'zpkg/r'), { recursive: true });
  server = await startFlaky(served, { LOG: log, ...env });
  const root = join(work, name);
  ok(['--root', root, 'remote', 'add', 'main', `s3://zpkg/r?endpoint=${encodeURIComponent(server.url)}&path-style=1&region=us-east-1`, '--insecure'], { env: S3_ENV });
  return { root, log };
}

/** What the server sent of each answer without end before the client went away. */
const sentWithoutEnd = (log: string): { path: string; sent: number }[] =>
  readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((x) => x.endless ?? x.huge ?? x.part)
    .map((x) => ({ path: x.endless ?? x.huge ?? x.part, sent: x.sent }));

/** Runs `args` and expects a typed refusal matching `message` that left the image's state as it was, within `maxMiB` resident. */
function refused(root: string, args: string[], message: RegExp, maxMiB: number, env: NodeJS.ProcessEnv = {}): void {
  const before = snapshot(root, (p) => p.startsWith('var/lib/zpkg'));
  const r = zpkg(['--root', root, '--json', ...args], { timeoutMs: 120_000, env });
  expect(r.signal, r.stderr).toBeNull();
  expect(r.status, r.stdout).toBe(1);
  expect(['E_REPO_INVALID', 'E_REMOTE_UNREACHABLE'], r.stdout).toContain(r.json.error.code);
  expect(r.json.error.message).toMatch(message);
  expect(snapshot(root, (p) => p.startsWith('var/lib/zpkg'))).toEqual(before);
  const run = peakRss([process.execPath, BIN, '--root', root, '--json', ...args], { ...process.env, ZPKG_REPO_KEY: TEST_KEY, ...env });
  expect(run.status).toBe(1);
  expect(run.maxKiB).toBeLessThan(maxMiB * 1024);
}

describe('answers without end are read no further than the file may be', () => {
  it('root metadata without end: refused at 1 MiB', async () => {
    const { root, log } = await imageBehind('root-endless', { ENDLESS: '^root\\.json$' });
    refused(root, ['refresh'], /root\.json is larger than 1048576 bytes, the most it may hold/, 256);
    for (const x of sentWithoutEnd(log)) expect(x.sent).toBeLessThan(64 * MiB);
  });

  it('root metadata declaring 1 TiB: refused before a byte of it is held', async () => {
    const { root, log } = await imageBehind('root-huge', { HUGE: '^root\\.json$' });
    refused(root, ['refresh'], /root\.json is 1099511627776 bytes, more than 1048576 bytes/, 256);
    for (const x of sentWithoutEnd(log)) expect(x.sent).toBeLessThan(64 * MiB);
  });

  it('a catalog without end: refused at the size its signed root metadata declares', async () => {
    const { root, log } = await imageBehind('catalog-endless', { ENDLESS: '^catalog/' });
    const size = JSON.parse(readFileSync(join(repo, 'root.json'), 'utf8')).signed.catalog.size as number;
    refused(root, ['refresh'], new RegExp(`catalog/\\S+ is larger than ${size} bytes, the most it may hold`), 256);
    expect(sentWithoutEnd(log).map((x) => x.path)).toContain(`catalog/${JSON.parse(readFileSync(join(repo, 'root.json'), 'utf8')).signed.catalog.digest.slice(7)}.zst`);
  });

  it('a package record without end: refused at 256 MiB, nothing installed', async () => {
    const { root } = await imageBehind('record-endless', { ENDLESS: '^manifests/' });
    ok(['--root', root, 'refresh']);
    refused(root, ['install', 'tool'], new RegExp(`manifests/\\S+ is larger than ${MAX_RECORD} bytes, the most it may hold`), 768);
    expect(ok(['--root', root, '--json', 'list']).json.packages).toEqual([]);
  });

  it('a pack answer whose one part never ends (bytes nobody asked for): refused once it passes what any answer to the ranges holds', async () => {
    const { root, log } = await imageBehind('part-endless', { ENDLESS_PART: '^packs/' });
    ok(['--root', root, 'refresh']);
    refused(root, ['install', 'tool'], /the answer to 1 range ending at byte \d+ runs past \d+ bytes, more than any answer to them holds/, 256);
    expect(ok(['--root', root, '--json', 'list']).json.packages).toEqual([]);
    const sent = sentWithoutEnd(log);
    expect(sent.length).toBeGreaterThan(0);
    for (const x of sent) expect(x.sent).toBeLessThan(64 * MiB);
  });
});

describe('the same from an S3 endpoint', () => {
  it('root metadata without end: refused at 1 MiB', async () => {
    const { root, log } = await imageBehindS3('s3-root-endless', { ENDLESS: '^zpkg/r/root\\.json$' });
    refused(root, ['refresh'], /root\.json is larger than 1048576 bytes, the most it may hold/, 256, S3_ENV);
    for (const x of sentWithoutEnd(log)) expect(x.sent).toBeLessThan(64 * MiB);
  });

  it('a range of a pack answered with the whole object, without end: read up to the range, then left', async () => {
    const { root, log } = await imageBehindS3('s3-pack-endless', { ENDLESS: '^zpkg/r/packs/' });
    ok(['--root', root, 'refresh'], { env: S3_ENV });
    // What came instead of the pack's bytes is not the blob: refused as such, and the answer left at the range's end.
    const r = zpkg(['--root', root, '--json', 'install', 'tool'], { timeoutMs: 120_000, env: S3_ENV });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stdout).toBe(1);
    expect(['E_DIGEST_MISMATCH', 'E_REPO_INVALID']).toContain(r.json.error.code);
    expect(ok(['--root', root, '--json', 'list'], { env: S3_ENV }).json.packages).toEqual([]);
    const sent = sentWithoutEnd(log);
    expect(sent.length).toBeGreaterThan(0);
    for (const x of sent) expect(x.sent).toBeLessThan(64 * MiB);
  });
});

describe('an flist from a URL', () => {
  it('an answer declaring 1 TiB is refused before a byte is written (E_FLIST_INVALID), the hub told so at once', async () => {
    const { log } = await imageBehind('flist-huge', { HUGE: '\\.fl$' });
    const r = zpkg(['--json', 'import-flist', '--list', `${server!.url}/images/huge.fl`], { timeoutMs: 120_000 });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stdout).toBe(1);
    expect(r.json.error.code).toBe('E_FLIST_INVALID');
    expect(r.json.error.message).toMatch(/huge\.fl is 1099511627776 bytes, more than 1073741824 bytes/);
    for (const x of sentWithoutEnd(log)) expect(x.sent).toBeLessThan(64 * MiB);
  });
});

