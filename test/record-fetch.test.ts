/**
 * Package records are fetched several at once: an install or update of many
 * packages over a link with a long round trip must not wait one round trip per
 * package (issue 12's update through the shaped link). Proven against a real
 * HTTP server on loopback that delays every answer and logs how many requests
 * it was answering when each arrived; plus mapLimited's contract (order kept,
 * the earliest failure thrown, the limit respected).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordPath } from '../src/repo/layout.js';
import { mapLimited } from '../src/txn/concurrency.js';
import { addRemote, startFlaky, type Server } from './helpers/servers.js';
import { ok, tempDir, writePackage, zpkg } from './helpers/zpkg.js';

const COUNT = 8;
const names = Array.from({ length: COUNT }, (_, i) => `p${i}`);

interface LogLine {
  method: string;
  path: string;
  status: number;
  inflight: number;
}
const logLines = (path: string): LogLine[] => (existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine) : []);

function publish(repo: string, base: string, version: string): void {
  const srcs = names.map((n) => writePackage(join(base, `${n}-${version}`), { name: n, version }, { [`usr/share/${n}/a`]: `${n} ${version}\n`, [`usr/share/${n}/b`]: `${n} b\n` }));
  ok(['build', ...srcs, '--repo', repo]);
}

describe('records fetched at once over a slow link', () => {
  let base: string;
  let repo: string;
  let server: Server;
  let log: string;
  beforeAll(async () => {
    base = tempDir('zpkg-records-');
    repo = join(base, 'repo');
    ok(['repo', 'create', repo]);
    publish(repo, base, '1.0');
    log = join(base, 'requests.jsonl');
    server = await startFlaky(repo, { DELAY_MS: 150, LOG: log });
  });
  afterAll(async () => server?.stop());

  it('a fresh install of 8 packages asks for their records concurrently, and installs them all', () => {
    const root = tempDir();
    addRemote(root, 'slow', server.url);
    const before = logLines(log).length;
    const r = ok(['--root', root, '--json', 'install', ...names]);
    expect(r.json.install.map((p: { name: string }) => p.name).sort()).toEqual(names);
    const records = logLines(log).slice(before).filter((l) => l.path.startsWith('manifests/'));
    expect(records).toHaveLength(COUNT);
    // One at a time, every record would arrive at an idle server (inflight 1).
    expect(Math.max(...records.map((l) => l.inflight))).toBeGreaterThanOrEqual(2);
    ok(['--root', root, 'verify']);
  });

  it('an update asks for the record deltas concurrently', () => {
    const root = tempDir();
    addRemote(root, 'slow', server.url);
    ok(['--root', root, 'install', ...names]);
    publish(repo, base, '2.0');
    ok(['--root', root, 'refresh']);
    const before = logLines(log).length;
    const r = ok(['--root', root, '--json', 'update']);
    expect(r.json.upgrade).toHaveLength(COUNT);
    const records = logLines(log).slice(before).filter((l) => l.path.startsWith('deltas/') || l.path.startsWith('manifests/'));
    expect(records.length).toBeGreaterThanOrEqual(COUNT);
    expect(Math.max(...records.map((l) => l.inflight))).toBeGreaterThanOrEqual(2);
    for (const n of names) expect(readFileSync(join(root, `usr/share/${n}/a`), 'utf8')).toBe(`${n} 2.0\n`);
  });

  it('with two records missing, the error names the first package in the transaction, and nothing is installed', () => {
    const broken = join(base, 'broken');
    ok(['repo', 'create', broken]);
    publish(broken, join(base, 'b'), '1.0');
    const listing = ok(['--json', 'repo', 'list', broken]).json.packages as { name: string; manifest: string }[];
    for (const n of ['p2', 'p6']) rmSync(join(broken, recordPath(listing.find((p) => p.name === n)!.manifest as `sha256:${string}`)));
    const root = tempDir();
    addRemote(root, 'broken', broken);
    const r = zpkg(['--root', root, '--json', 'install', ...names]);
    expect(r.status).not.toBe(0);
    expect(r.json.error.code).toBe('E_MANIFEST_MISSING');
    expect(r.json.error.message).toContain('p2 1.0');
    expect(ok(['--root', root, '--json', 'list']).json.packages ?? []).toEqual([]);
  });
});

describe('mapLimited', () => {
  const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  it('answers in the order of the items, whatever order the work finishes in, never above the limit', async () => {
    let running = 0;
    let most = 0;
    const out = await mapLimited([5, 1, 4, 2, 3, 0], 3, async (n, i) => {
      running += 1;
      most = Math.max(most, running);
      await tick(n * 3);
      running -= 1;
      return `${i}:${n}`;
    });
    expect(out).toEqual(['0:5', '1:1', '2:4', '3:2', '4:3', '5:0']);
    expect(most).toBe(3);
  });

  it('throws the failure of the earliest item, even when a later one fails first, and starts nothing after a failure', async () => {
    const started: number[] = [];
    const err = await mapLimited([0, 1, 2, 3, 4, 5, 6], 3, async (n) => {
      started.push(n);
      if (n === 2) throw new Error('two');
      if (n === 1) {
        await tick(30);
        throw new Error('one');
      }
      await tick(5);
      return n;
    }).catch((e: Error) => e);
    expect((err as Error).message).toBe('one');
    expect(started).toEqual([0, 1, 2]);
  });
});
