/**
 * How staging hands out its runs (stage.ts): enough runs that every stager
 * gets several, never more stored data per run than BATCH_BYTES, and the
 * workers' first runs posted before the main thread stages one of its own —
 * before, a booted stage worker sat idle for the whole of the main thread's
 * first run, and a 9 MB package (3 runs of 4 MB) was staged almost on one
 * thread. The pool and the stager here are stand-ins that record the order.
 */
import { describe, expect, it } from 'vitest';
import { DEPTH } from '../src/fs/workers.js';
import { batches, INLINE_LIMIT, runJobs } from '../src/txn/stage.js';
import type { StageAnswer, StageBatch, StageJob } from '../src/txn/stage-worker.js';

const MiB = 1 << 20;

function jobs(count: number, stored: number): StageJob[] {
  return Array.from({ length: count }, (_, i) => ({ file: '/cache/tmp/p.pack', frame: { offset: 8 + i * stored, length: stored, size: stored * 2 }, blobs: [] }));
}

const storedOf = (all: StageJob[], run: number[]): number => run.reduce((n, i) => n + all[i]!.frame.length, 0);

describe('staging runs', () => {
  it('a package of a few MB is cut into several runs per stager', () => {
    const all = jobs(21, 450_000); // the link bench's package: ~9.3 MB stored in 21 frames
    const runs = batches(all, 2);
    expect(runs.length).toBeGreaterThanOrEqual(8);
    expect(runs.flat()).toEqual(all.map((_, i) => i));
  });

  it('a large package keeps runs of at most BATCH_BYTES (4 MiB) and one frame', () => {
    const all = jobs(400, 1_000_000);
    const runs = batches(all, 2);
    for (const run of runs) expect(storedOf(all, run) - all[run.at(-1)!]!.frame.length).toBeLessThan(4 * MiB);
    expect(runs.length).toBe(80); // 5 frames of 1 MB reach 4 MiB
    expect(runs.flat()).toEqual(all.map((_, i) => i));
  });

  it('a tiny package is not cut below 256 KiB per run', () => {
    const all = jobs(30, 10_000);
    const runs = batches(all, 2);
    for (const run of runs.slice(0, -1)) expect(storedOf(all, run)).toBeGreaterThanOrEqual(256 << 10);
    expect(runs.flat()).toEqual(all.map((_, i) => i));
  });

  it('the workers have their first runs before the main thread stages any, and every job is reported once', async () => {
    const all = jobs(21, 450_000);
    let posted = 0;
    let postedWhenMainBegan: number | undefined;
    const pool = {
      size: 1,
      run: (batch: StageBatch): Promise<StageAnswer> => {
        posted += 1;
        return new Promise((resolve) => setImmediate(() => resolve({ done: batch.jobs.length })));
      },
    };
    const stageHere = (batch: StageBatch): StageAnswer => {
      postedWhenMainBegan ??= posted;
      return { done: batch.jobs.length };
    };
    const reported: number[] = [];
    const failed = await runJobs({ jobs: all }, INLINE_LIMIT * 4, { root: '/img', txid: 't', chown: false }, (j) => reported.push(j), pool, stageHere);
    expect(failed).toBeUndefined();
    expect(postedWhenMainBegan).toBe(DEPTH);
    expect(reported.sort((a, b) => a - b)).toEqual(all.map((_, i) => i));
  });
});
