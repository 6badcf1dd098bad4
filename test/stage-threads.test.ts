/**
 * Staging's memory: the main thread is one of the stagers, so on n cores at
 * most n−1 worker threads (each a whole V8 isolate, ~16 MB resident) run
 * beside it, and every file still lands byte for byte. Library calls on a
 * real repository and a real image.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAtom } from '../src/core/relation.js';
import { setThreadLimit } from '../src/fs/threads.js';
import { workersStarted } from '../src/fs/workers.js';
import { openImage } from '../src/image/image.js';
import { StreamReport } from '../src/report/report.js';
import { install } from '../src/txn/install.js';
import { verifyImage } from '../src/txn/verify.js';
import { addMainRemote, publishLifecycle, writeImageConfig } from './helpers/lifecycle.js';
import { tempDir } from './helpers/zpkg.js';

const work = tempDir('zpkg-stage-threads-');
const repo = join(work, 'repo');
/** Above stage.ts's INLINE_LIMIT (256); ~14 MB of base64 noise (~10 MB stored) makes several 4 MB runs, more than the cores. */
const FILES = 1200;
const noise = randomBytes(9000 * FILES).toString('base64');
const content = (i: number): string => `file ${i}\n${noise.slice(i * 12000, (i + 1) * 12000)}\n`;

beforeAll(async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < FILES; i++) files[`usr/share/many/d${i % 13}/f${i}`] = content(i);
  await publishLifecycle(repo, work, [{ name: 'many', version: '1', files }]);
}, 600_000);

/** Installs `many` into a fresh image at NAME; the worker threads started meanwhile. */
async function installCounting(name: string): Promise<{ root: string; started: number }> {
  const root = join(work, name);
  writeImageConfig(root, 'hooks:\n  mode: host\n');
  addMainRemote(root, repo);
  const image = openImage(root, { create: true });
  const report = new StreamReport({ json: true, quiet: true, stdout: new PassThrough(), stderr: new PassThrough() });
  const before = workersStarted();
  try {
    await install(image, [parseAtom('many')], { report, command: 'zpkg (stage threads test)' });
  } finally {
    image.close();
  }
  return { root, started: workersStarted() - before };
}

/** Every STEP-th file of `many` under ROOT holds what was published. */
function expectLanded(root: string, step: number): void {
  for (let i = 0; i < FILES; i += step) expect(readFileSync(join(root, `usr/share/many/d${i % 13}/f${i}`), 'utf8')).toBe(content(i));
}

describe('staging threads', () => {
  it('a thread limit (--threads, ZPKG_THREADS) bounds the stage and verify workers, below or above the cores', async () => {
    try {
      setThreadLimit(1);
      const one = await installCounting('image-one-thread');
      // The main thread is the one stager.
      expect(one.started).toBe(0);
      expectLanded(one.root, 89);
      setThreadLimit(3);
      const three = await installCounting('image-three-threads');
      expect(three.started).toBe(2);
      expectLanded(three.root, 89);
      setThreadLimit(1);
      const image = openImage(one.root);
      const before = workersStarted();
      try {
        // On workers whatever the work (an image this small is otherwise checked on the calling thread).
        const r = await verifyImage(image, [], { minWork: 0 });
        expect(r.problems).toEqual([]);
        expect(r.paths).toBeGreaterThanOrEqual(FILES);
      } finally {
        image.close();
      }
      expect(workersStarted() - before).toBe(1);
    } finally {
      setThreadLimit(undefined);
    }
  }, 600_000);

  it(`stages ${FILES} files with at most cores − 1 worker threads, each file byte for byte`, async () => {
    const { root, started } = await installCounting('image');
    expect(started).toBeLessThanOrEqual(Math.max(0, availableParallelism() - 1));
    // The threaded path ran (several runs on several cores), not the inline one.
    if (availableParallelism() > 1) expect(started).toBeGreaterThan(0);
    expectLanded(root, 97);
  }, 600_000);
});
