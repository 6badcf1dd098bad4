/**
 * Fetch now, apply later (issue 17): `install`/`update`/`sync --download-only`
 * solves, fetches and verifies everything into the content cache and changes
 * nothing else; the same command with `--offline` then applies it with every
 * remote unreachable (nginx stopped, a directory remote moved away), and
 * refuses with E_OFFLINE_MISSING naming what the cache lacks. Real nginx, real
 * repositories, real images, the zpkg binary.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { parseAtom } from '../src/core/relation.js';
import { openImage } from '../src/image/image.js';
import { StreamReport } from '../src/report/report.js';
import { install } from '../src/txn/install.js';
import { imageState } from './helpers/hostile.js';
import { publishLifecycle, writeImageConfig, type LifecyclePackage } from './helpers/lifecycle.js';
import { startNginx, type Nginx } from './helpers/servers.js';
import { ok, tempDir, TRUST, zpkg } from './helpers/zpkg.js';

const work = tempDir('zpkg-offline-');
const repo = join(work, 'repo');
const side = join(work, 'side');
const nginxes: Nginx[] = [];
let serial = 0;

const V1: LifecyclePackage[] = [
  { name: 'lib', version: '1', files: { 'usr/lib/liblib.so.1': 'lib one' } },
  { name: 'app', version: '1', depends: ['lib (>= 1)'], files: { 'usr/bin/app': 'app one', 'usr/share/app/data': 'data one' } },
  { name: 'other', version: '1', files: { 'usr/bin/other': 'other' } },
];
const V2: LifecyclePackage[] = [
  { name: 'lib', version: '2', files: { 'usr/lib/liblib.so.1': 'lib two' } },
  { name: 'app', version: '2', depends: ['lib (>= 2)'], files: { 'usr/bin/app': 'app two', 'usr/share/app/data': 'data two' } },
];

async function serve(): Promise<Nginx> {
  const n = await startNginx(repo);
  nginxes.push(n);
  return n;
}

/** A fresh image with the http remote `main` (nginx) and a directory remote `side`. */
function freshImage(url: string): string {
  const root = join(work, `image-${++serial}`);
  writeImageConfig(root, 'hooks:\n  mode: host\n');
  ok(['--root', root, 'remote', 'add', 'main', url, ...TRUST]);
  ok(['--root', root, 'remote', 'add', 'side', side, ...TRUST, '--priority', '-1']);
  return root;
}

/** The image without zpkg's own directory (where the cache and state live), and every package, file, dir and history row of its state.db. */
const tree = (root: string): unknown => imageState(root);
const installed = (root: string): string[] => (ok(['--root', root, 'list', '--json']).json.packages as { name: string; version: string }[]).map((p) => `${p.name} ${p.version}`).sort();
const historyCount = (root: string): number => (ok(['--root', root, 'history', '--json']).json.transactions as unknown[]).length;

beforeAll(async () => {
  await publishLifecycle(repo, work, V1);
  await publishLifecycle(side, work, [{ name: 'sidecar', version: '1', files: { 'usr/bin/sidecar': 'side' } }]);
}, 600_000);

afterAll(async () => {
  await Promise.all(nginxes.map((n) => n.stop()));
});

describe('install --download-only, then --offline with every remote unreachable', () => {
  let root: string;
  let nginx: Nginx;
  let downloaded: any;

  beforeAll(async () => {
    nginx = await serve();
    root = freshImage(nginx.url);
  });

  it('--download-only fetches and verifies into the cache and changes nothing else', () => {
    const before = tree(root);
    const r = zpkg(['--root', root, 'install', 'app', '--download-only', '--json']);
    expect(r.status, r.stderr).toBe(0);
    downloaded = r.json;
    expect(downloaded.downloadOnly).toBe(true);
    expect(downloaded.id).toBeNull();
    expect(downloaded.install.map((p: { name: string }) => p.name).sort()).toEqual(['app', 'lib']);
    expect(downloaded.fetched.fetched).toBeGreaterThan(0);
    expect(downloaded.fetched.fetched).toBe(downloaded.fetched.blobs);
    expect(tree(root)).toEqual(before);
    expect(installed(root)).toEqual([]);
    expect(historyCount(root)).toBe(0);
    // The packs are in the cache proper, not left under its tmp/.
    const packs = join(root, 'var/lib/zpkg/cache/packs');
    expect(existsSync(packs)).toBe(true);
  });

  it('a second --download-only fetches nothing: all is cached', () => {
    const r = ok(['--root', root, 'install', 'app', '--download-only', '--json']);
    expect(r.json.fetched.fetched).toBe(0);
  });

  it('--offline installs it from the cache while nginx is stopped and the directory remote is gone', async () => {
    await nginx.stop();
    renameSync(side, `${side}.away`);
    try {
      const r = zpkg(['--root', root, 'install', 'app', '--offline', '--json'], { timeoutMs: 300_000 });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.json.fetched.fetched).toBe(0);
      expect(r.json.id).toBeGreaterThan(0);
      // Not even the best-effort file index was asked of a remote (it would warn that it cannot be read).
      expect(r.stderr).not.toContain('file index');
      expect(installed(root)).toEqual(['app 1', 'lib 1']);
      expect(readFileSync(join(root, 'usr/bin/app'), 'utf8')).toBe('app one');
      expect(ok(['--root', root, 'verify', '--json']).json).toBeDefined();
    } finally {
      renameSync(`${side}.away`, side);
    }
  });

  it('--offline refuses what was never downloaded, naming it, and changes nothing', () => {
    const before = tree(root);
    const history = historyCount(root);
    const r = zpkg(['--root', root, 'install', 'other', '--offline', '--json']);
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_OFFLINE_MISSING');
    expect(r.json.error.message).toContain('other 1');
    expect(r.json.error.missing).toEqual([expect.objectContaining({ package: 'other', version: '1', what: 'manifest' })]);
    expect(tree(root)).toEqual(before);
    expect(historyCount(root)).toBe(history);
    const text = zpkg(['--root', root, 'install', 'other', '--offline']);
    expect(text.status).toBe(1);
    expect(text.stderr).toMatch(/error: --offline: the image's cache lacks 1 manifest of other 1/);
    expect(text.stderr).toContain('--download-only');
  });
});

describe('update and sync, downloaded then applied offline', () => {
  it('update --download-only, then update --offline after the server went away', async () => {
    const nginx = await serve();
    const root = freshImage(nginx.url);
    ok(['--root', root, 'install', 'app']);
    await publishLifecycle(repo, work, V2);
    ok(['--root', root, 'refresh']);
    const before = tree(root);
    const d = ok(['--root', root, 'update', '--download-only', '--json']).json;
    expect(d.upgrade.map((u: { name: string; to: string }) => `${u.name} ${u.to}`).sort()).toEqual(['app 2', 'lib 2']);
    expect(tree(root)).toEqual(before);
    expect(installed(root)).toEqual(['app 1', 'lib 1']);
    await nginx.stop();
    const r = zpkg(['--root', root, 'update', '--offline', '--json'], { timeoutMs: 300_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(installed(root)).toEqual(['app 2', 'lib 2']);
    expect(readFileSync(join(root, 'usr/share/app/data'), 'utf8')).toBe('data two');
  });

  it('sync FILE --download-only, then sync FILE --offline; a blob gone from the cache is named', async () => {
    const nginx = await serve();
    const root = freshImage(nginx.url);
    const list = join(work, 'release.txt');
    writeFileSync(list, 'lib 2\napp 2\nsidecar 1\n');
    ok(['--root', root, 'sync', list, '--download-only']);
    expect(installed(root)).toEqual([]);
    await nginx.stop();
    const packs = join(root, 'var/lib/zpkg/cache/packs');
    renameSync(packs, `${packs}.away`);
    const before = tree(root);
    const missing = zpkg(['--root', root, 'sync', list, '--offline', '--json']);
    expect(missing.status).toBe(1);
    expect(missing.json.error.code).toBe('E_OFFLINE_MISSING');
    const blobs = missing.json.error.missing as { package: string; what: string; path: string }[];
    expect(blobs.every((m) => m.what === 'blob')).toBe(true);
    expect(blobs.map((m) => `${m.package} ${m.path}`)).toEqual(expect.arrayContaining(['app usr/bin/app', 'lib usr/lib/liblib.so.1', 'sidecar usr/bin/sidecar']));
    expect(tree(root)).toEqual(before);
    renameSync(`${packs}.away`, packs);
    const r = zpkg(['--root', root, 'sync', list, '--offline', '--json'], { timeoutMs: 300_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(installed(root)).toEqual(['app 2', 'lib 2', 'sidecar 1']);
  });

  it('--offline on an image whose remote was never refreshed names the catalog it lacks', async () => {
    const root = join(work, `image-${++serial}`);
    writeImageConfig(root, 'hooks:\n  mode: host\n');
    ok(['--root', root, 'remote', 'add', 'main', 'http://127.0.0.1:9/', ...TRUST]);
    const r = zpkg(['--root', root, 'install', 'app', '--offline', '--json']);
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_OFFLINE_MISSING');
    expect(r.json.error.missing).toEqual([{ remote: 'main', what: 'catalog' }]);
    expect(installed(root)).toEqual([]);
    // Through the library: the same refusal, and the image object is online again afterwards.
    const image = openImage(root, { create: true });
    try {
      const report = new StreamReport({ json: true, quiet: true, stdout: new PassThrough(), stderr: new PassThrough() });
      await expect(install(image, [parseAtom('app')], { report, command: 'zpkg (library test)', offline: true })).rejects.toMatchObject({ code: 'E_OFFLINE_MISSING' });
      expect(image.offline).toBeUndefined();
    } finally {
      image.close();
    }
  });

  it('--download-only checks what it fetched: a corrupt pack is refused and nothing enters the cache', async () => {
    const bad = join(work, 'bad');
    await publishLifecycle(bad, work, [{ name: 'broken', version: '1', files: { 'usr/bin/broken': 'broken '.repeat(4000) } }]);
    const packs = join(bad, 'packs');
    const { readdirSync } = await import('node:fs');
    for (const d of readdirSync(packs)) {
      for (const f of readdirSync(join(packs, d))) {
        const file = join(packs, d, f);
        const bytes = readFileSync(file);
        bytes[20] = bytes[20]! ^ 0xff;
        // A new inode: the publisher's hard links elsewhere stay intact.
        renameSync(file, `${file}.old`);
        writeFileSync(file, bytes);
      }
    }
    const root = join(work, `image-${++serial}`);
    writeImageConfig(root, 'hooks:\n  mode: host\n');
    ok(['--root', root, 'remote', 'add', 'bad', bad, ...TRUST]);
    const r = zpkg(['--root', root, 'install', 'broken', '--download-only', '--json']);
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_DIGEST_MISMATCH');
    const cache = join(root, 'var/lib/zpkg/cache');
    expect(existsSync(join(cache, 'packs')) ? readdirSync(join(cache, 'packs')).length : 0).toBe(0);
    expect(existsSync(join(cache, 'tmp')) ? readdirSync(join(cache, 'tmp')).filter((n) => !n.startsWith('.')).length : 0).toBe(0);
    expect(installed(root)).toEqual([]);
  });

  it('--download-only with --offline or --dry-run is a usage error', () => {
    const root = join(work, `image-${++serial}`);
    for (const extra of [['--offline'], ['--dry-run']]) {
      const r = zpkg(['--root', root, 'install', 'app', '--download-only', ...extra, '--json']);
      expect(r.status).toBe(2);
      expect(r.json.error.code).toBe('E_USAGE');
    }
    expect(existsSync(root)).toBe(false);
  });
});
