/**
 * Staging while the pack downloads (txn/arrivals.ts, stage.ts `runJobs`): a
 * fresh install decodes and writes frames as their bytes arrive. The server
 * (test/servers/flaky.mjs, HOLD) sends half of the pack and holds the rest
 * until staged files show in the image — so an install that waited for the
 * whole pack before staging would sit out the server's 30 s and the log would
 * say `timeout`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { digestOf } from '../src/core/digest.js';
import { tamperBlob } from '../bench/shared/tamper-pack.js';
import { until } from './helpers/process.js';
import { addRemote, startFlaky } from './helpers/servers.js';
import { ok, snapshot, tempDir, writePackage, zpkg } from './helpers/zpkg.js';

/** 320 files of 16 KiB that do not compress: a pack of about 5 MB, in several frames and staging runs. */
const FILES = Object.fromEntries(Array.from({ length: 320 }, (_, i) => [`opt/many/f${String(i).padStart(3, '0')}`, randomBytes(16 << 10)]));

function makeRepo(): string {
  const base = tempDir('zpkg-arrivals-');
  const repo = join(base, 'repo');
  ok(['repo', 'create', repo]);
  const src = writePackage(join(base, 'many'), { name: 'many', version: '1' }, Object.fromEntries(Object.entries(FILES).map(([p, b]) => [p, { content: b }])));
  ok(['build', src, '--repo', repo]);
  return repo;
}

const logLines = (path: string): any[] => (existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
/** The server's hold of the pack, once it has let go of it (a line written within 20 ms of the release). */
const holds = (log: string): Promise<any[]> => until('the pack\'s hold to end', () => {
  const lines = logLines(log).filter((l) => l.hold);
  return lines.length ? lines : undefined;
});
/** The image outside zpkg's own state. */
const outsideState = (root: string): string[] => snapshot(root, (rel) => rel.startsWith('var/lib/zpkg/'));
const stagedNames = (root: string): string[] => readdirSync(root, { recursive: true }).map(String).filter((n) => n.includes('.zpkg-'));

async function withServer(repo: string, env: Record<string, string>, body: (url: string, log: string) => Promise<void>): Promise<void> {
  const log = join(tempDir(), 'requests.log');
  const server = await startFlaky(repo, { LOG: log, ...env } as never);
  try {
    await body(server.url, log);
  } finally {
    await server.stop();
  }
}

describe('staging while the pack downloads', () => {
  it('stages the frames that have arrived before the rest of the pack comes, and installs byte for byte', async () => {
    const repo = makeRepo();
    const root = tempDir();
    await withServer(repo, { HOLD: root }, async (url, log) => {
      addRemote(root, 'web', url);
      const r = ok(['--root', root, '--json', 'install', 'many']);
      const held = await holds(log);
      expect(held).toEqual([expect.objectContaining({ released: 'staged' })]);
      // What the result counts as fetched is what the server sent for the pack.
      expect(r.json.fetched.bytes).toBe(held[0].length);
      for (const [path, bytes] of Object.entries(FILES)) expect(readFileSync(join(root, path)).equals(bytes)).toBe(true);
      expect(stagedNames(root)).toEqual([]);
      expect(ok(['--root', root, '--json', 'verify']).json.problems).toEqual([]);
    });
  });

  it('a download that fails after staging began fails the install and leaves the image as it was', async () => {
    const repo = makeRepo();
    const root = tempDir();
    await withServer(repo, { HOLD: root, HOLD_THEN: 'drop' }, async (url, log) => {
      addRemote(root, 'web', url);
      const before = outsideState(root);
      const r = zpkg(['--root', root, '--json', 'install', 'many']);
      expect(await holds(log)).toEqual([expect.objectContaining({ released: 'staged' })]);
      expect(r.status).not.toBe(0);
      expect(r.json.error.code).toBe('E_BLOB_MISSING');
      expect(outsideState(root)).toEqual(before);
      expect(stagedNames(root)).toEqual([]);
      expect(ok(['--root', root, '--json', 'list']).json.packages).toEqual([]);
    });
  });

  it('a bad blob met while the pack downloads stops the download: E_DIGEST_MISMATCH, the image as it was', async () => {
    const repo = makeRepo();
    // The first file of the pack: in the half the server sends.
    tamperBlob(repo, digestOf(FILES['opt/many/f000']!), (b) => Buffer.from(b).fill(0x41, 0, 64));
    const root = tempDir();
    await withServer(repo, { HOLD: root, HOLD_UNTIL: 'closed' }, async (url, log) => {
      addRemote(root, 'web', url);
      const before = outsideState(root);
      const r = zpkg(['--root', root, '--json', 'install', 'many']);
      expect(r.status).not.toBe(0);
      expect(r.json.error.code).toBe('E_DIGEST_MISMATCH');
      // zpkg closed the connection itself, with half the pack unsent.
      expect(await holds(log)).toEqual([expect.objectContaining({ released: 'closed' })]);
      expect(outsideState(root)).toEqual(before);
      expect(stagedNames(root)).toEqual([]);
    });
  });
});
