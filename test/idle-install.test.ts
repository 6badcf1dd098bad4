/**
 * An install of what the image already holds changes nothing, and reads
 * neither the image's file and directory rows (the plan's ownership lookups:
 * every row for a large change, each path's for a small one) nor the content
 * cache's pack indexes: nothing lands or goes, so no path is planned and no
 * blob is needed. On a 20,000-file package both were read anyway (0.2 s and
 * 25 MB of a 0.7 s no-op). Counted here through the functions that read
 * them; the same counters see the reads when something does land, so the
 * check can fail.
 */
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it, vi } from 'vitest';

const reads = { files: 0, dirs: 0, cache: 0 };

/** `fn`, each call counted under `key` (a function declaration: the hoisted mock factories can call it). */
function counted<F extends (...a: never[]) => unknown>(key: keyof typeof reads, fn: F): F {
  return ((...a: Parameters<F>) => {
    reads[key] += 1;
    return fn(...a);
  }) as F;
}

vi.mock('../src/image/state.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/image/state.js')>();
  return { ...real, allFiles: counted('files', real.allFiles), fileAt: counted('files', real.fileAt), allDirs: counted('dirs', real.allDirs), dirsAt: counted('dirs', real.dirsAt) };
});
vi.mock('../src/image/cache.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/image/cache.js')>();
  return { ...real, cachedBlobs: counted('cache', real.cachedBlobs) };
});

const { parseAtom } = await import('../src/core/relation.js');
const { openImage } = await import('../src/image/image.js');
const { listPackages } = await import('../src/image/state.js');
const { StreamReport } = await import('../src/report/report.js');
const { install } = await import('../src/txn/install.js');
const { addMainRemote, publishLifecycle } = await import('./helpers/lifecycle.js');
const { snapshot, tempDir } = await import('./helpers/zpkg.js');

const work = tempDir('zpkg-idle-install-');
const repo = join(work, 'repo');

const quiet = () => ({ report: new StreamReport({ json: true, quiet: true, stdout: new PassThrough(), stderr: new PassThrough() }), command: 'zpkg (idle-install test)' });

function resetReads(): void {
  reads.files = reads.dirs = reads.cache = 0;
}

beforeAll(async () => {
  await publishLifecycle(repo, work, [
    { name: 'tool', version: '1', files: { 'usr/bin/tool': 'tool one', 'usr/share/tool/a': 'a', 'usr/share/tool/b': 'b' } },
    { name: 'other', version: '1', files: { 'usr/bin/other': 'other one' } },
  ]);
});

describe('an install of what is installed', () => {
  it('changes nothing and reads no file row and no pack index; one that lands a package reads both', async () => {
    const root = join(work, 'image');
    addMainRemote(root, repo);
    const image = openImage(root, { create: true });
    try {
      resetReads();
      await install(image, [parseAtom('tool')], quiet());
      // The counters see the reads when a package lands (the plan's ownership lookups, the cache's blobs).
      expect(reads.files).toBeGreaterThan(0);
      expect(reads.dirs).toBeGreaterThan(0);
      expect(reads.cache).toBeGreaterThan(0);
      const before = snapshot(root);

      resetReads();
      const again = await install(image, [parseAtom('tool')], quiet());
      expect(again.id).toBeNull();
      expect([...again.install, ...again.upgrade, ...again.downgrade, ...again.remove]).toEqual([]);
      expect(again.fetched).toMatchObject({ blobs: 0, fetched: 0, bytes: 0 });
      expect(reads).toEqual({ files: 0, dirs: 0, cache: 0 });
      expect(snapshot(root)).toEqual(before);

      // A dry run of it reads nothing either (its fetch step only counts).
      resetReads();
      const dry = await install(image, [parseAtom('tool')], { ...quiet(), dryRun: true });
      expect(dry.fetched).toMatchObject({ blobs: 0, fetched: 0 });
      expect(reads).toEqual({ files: 0, dirs: 0, cache: 0 });

      resetReads();
      await install(image, [parseAtom('tool'), parseAtom('other')], quiet());
      expect(reads.files).toBeGreaterThan(0);
      expect(reads.cache).toBeGreaterThan(0);
      expect(listPackages(image.db).map((p) => p.name).sort()).toEqual(['other', 'tool']);
    } finally {
      image.close();
    }
  });
});
