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
import { Arrivals } from '../src/txn/arrivals.js';
import { batches, INLINE_LIMIT, JOB_PATHS, OPEN_PATHS, runJobs, splitJob } from '../src/txn/stage.js';
import type { StageAnswer, StageBatch, StageBlob, StageJob } from '../src/txn/stage-worker.js';

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
    const failed = await runJobs({ jobs: all }, INLINE_LIMIT * 4, { root: '/img', txid: 't', trees: [], chown: false }, (j) => reported.push(j), pool, stageHere);
    expect(failed).toBeUndefined();
    expect(postedWhenMainBegan).toBe(DEPTH);
    expect(reported.sort((a, b) => a - b)).toEqual(all.map((_, i) => i));
  });

  it('with the pack arriving, a run is handed out once its bytes are written, and the main thread stages only after the download', async () => {
    const all = jobs(21, 450_000);
    const file = all[0]!.file;
    const end = (i: number): number => all[i]!.frame.offset + all[i]!.frame.length;
    const arrivals = new Arrivals([file]);
    let written = 0;
    const handedOut: { jobs: number[]; written: number; onMain: boolean; ended: boolean }[] = [];
    const record = (batch: StageBatch, onMain: boolean): void => {
      handedOut.push({ jobs: batch.jobs.map((j) => all.indexOf(j)), written, onMain, ended: arrivals.ended });
    };
    const pool = {
      size: 1,
      run: (batch: StageBatch): Promise<StageAnswer> => {
        record(batch, false);
        return new Promise((resolve) => setImmediate(() => resolve({ done: batch.jobs.length })));
      },
    };
    const stageHere = (batch: StageBatch): StageAnswer => {
      record(batch, true);
      return { done: batch.jobs.length };
    };
    // The download: a frame and a half at a time, a turn of the event loop apart.
    arrivals.run(
      [
        async () => {
          while (written < end(all.length - 1)) {
            await new Promise((resolve) => setImmediate(resolve));
            written = Math.min(end(all.length - 1), written + 675_000);
            arrivals.wrote(file, written);
          }
          arrivals.finished(file);
        },
      ],
      1,
    );
    const reported: number[] = [];
    const failed = await runJobs({ jobs: all }, INLINE_LIMIT * 4, { root: '/img', txid: 't', trees: [], chown: false }, (j) => reported.push(j), pool, stageHere, arrivals);
    expect(failed).toBeUndefined();
    expect(await arrivals.done).toBeUndefined();
    for (const h of handedOut) expect(h.written).toBeGreaterThanOrEqual(end(Math.max(...h.jobs)));
    // The worker began while bytes were still coming; the main thread only once they had all come.
    expect(handedOut.some((h) => !h.onMain && !h.ended)).toBe(true);
    for (const h of handedOut.filter((x) => x.onMain)) expect(h.ended).toBe(true);
    expect(reported.sort((a, b) => a - b)).toEqual(all.map((_, i) => i));
  });

  it('a failed run stops the download, and a failed download ends the hand-outs', async () => {
    const all = jobs(21, 450_000);
    const file = all[0]!.file;
    const arrivals = new Arrivals([file]);
    let reads = 0;
    const first = batches(all, 2)[0]!;
    // A download that writes the first run's frames, then waits on its signal as a socket read would.
    arrivals.run(
      [
        async () => {
          arrivals.wrote(file, all[first.at(-1)!]!.frame.offset + all[first.at(-1)!]!.frame.length);
          await new Promise<void>((_, reject) => arrivals.signal.addEventListener('abort', () => reject(arrivals.signal.reason)));
        },
      ],
      1,
    );
    const pool = {
      size: 1,
      run: (batch: StageBatch): Promise<StageAnswer> => {
        reads += 1;
        return Promise.resolve({ done: 0, failure: { job: 0, digest: 'sha256:00', kind: 'corrupt', actual: 'sha256:11' } as never });
      },
    };
    const failed = await runJobs({ jobs: all }, INLINE_LIMIT * 4, { root: '/img', txid: 't', trees: [], chown: false }, () => undefined, pool, () => ({ done: 0 }), arrivals);
    expect(failed?.failure.kind).toBe('corrupt');
    expect(reads).toBe(1);
    expect((await arrivals.done)?.message).toMatch(/stopped/);

    // The other way round: the download fails, and no run whose bytes never came is handed out.
    const next = new Arrivals([file]);
    next.run([() => Promise.reject(new Error('the link went down'))], 1);
    const handed: number[] = [];
    const none = await runJobs({ jobs: all }, INLINE_LIMIT * 4, { root: '/img', txid: 't', trees: [], chown: false }, (j) => handed.push(j), pool, () => ({ done: 0 }), next);
    expect(none).toBeUndefined();
    expect(handed).toEqual([]);
    expect((await next.done)?.message).toBe('the link went down');
  });

  it('a frame of more blobs than JOB_PATHS is staged by several jobs over the same frame, each path once', () => {
    const frame = { offset: 8, length: 300_000, size: 1_000_000 };
    const blobs: StageBlob[] = Array.from({ length: 10_000 }, (_, i) => ({ digest: `sha256:${i}`, offset: (9_999 - i) * 14, size: 14, outs: [{ dest: `f${i}`, mode: 0o644, uid: 0, gid: 0 }] }));
    const parts = splitJob({ file: '/cache/p.pack', frame, blobs });
    expect(parts.length).toBe(Math.ceil(10_000 / JOB_PATHS));
    for (const p of parts) {
      expect(p.frame).toBe(frame);
      expect(p.blobs.reduce((n, b) => n + b.outs.length, 0)).toBeLessThanOrEqual(JOB_PATHS);
      // In frame order: each job's share is one stretch of the frame's content.
      expect(p.blobs.every((b, i) => i === 0 || p.blobs[i - 1]!.offset < b.offset)).toBe(true);
    }
    expect(parts.flatMap((p) => p.blobs.map((b) => b.outs[0]!.dest)).sort()).toEqual(blobs.map((b) => b.outs[0]!.dest).sort());
  });

  it('a blob taken by more paths than OPEN_PATHS is written by several jobs, never twice in one', () => {
    const outs = Array.from({ length: 1000 }, (_, i) => ({ dest: `l${i}/LICENSE`, mode: 0o644, uid: 0, gid: 0 }));
    const copies: StageBlob = { digest: 'sha256:c', offset: 40, size: 10, outs };
    const before: StageBlob = { digest: 'sha256:a', offset: 0, size: 40, outs: [{ dest: 'a', mode: 0o644, uid: 0, gid: 0 }] };
    const after: StageBlob = { digest: 'sha256:b', offset: 50, size: 10, outs: [{ dest: 'b', mode: 0o644, uid: 0, gid: 0 }] };
    const parts = splitJob({ file: '/cache/p.pack', frame: { offset: 8, length: 60, size: 60 }, blobs: [after, copies, before] });
    for (const p of parts) {
      expect(new Set(p.blobs.map((b) => b.digest)).size).toBe(p.blobs.length);
      for (const b of p.blobs) expect(b.outs.length).toBeLessThanOrEqual(OPEN_PATHS);
    }
    const written = parts.flatMap((p) => p.blobs.flatMap((b) => b.outs.map((o) => o.dest)));
    expect(written.sort()).toEqual(['a', 'b', ...outs.map((o) => o.dest)].sort());
    expect(parts.length).toBe(Math.ceil(1000 / OPEN_PATHS));
  });

  it('an empty blob taken by many paths is written in pieces of OPEN_PATHS that share jobs (nothing to decode again)', () => {
    const outs = Array.from({ length: 10_000 }, (_, i) => ({ dest: `e${i}/__init__.py`, mode: 0o644, uid: 0, gid: 0 }));
    const empty: StageBlob = { digest: 'sha256:e3b0', offset: 40, size: 0, outs };
    const before: StageBlob = { digest: 'sha256:a', offset: 0, size: 40, outs: [{ dest: 'a', mode: 0o644, uid: 0, gid: 0 }] };
    const parts = splitJob({ file: '/cache/p.pack', frame: { offset: 8, length: 60, size: 40 }, blobs: [empty, before] });
    expect(parts.length).toBe(Math.ceil(10_001 / JOB_PATHS));
    for (const p of parts) {
      expect(p.blobs.reduce((n, b) => n + b.outs.length, 0)).toBeLessThanOrEqual(JOB_PATHS);
      for (const b of p.blobs) expect(b.outs.length).toBeLessThanOrEqual(OPEN_PATHS);
    }
    expect(parts.flatMap((p) => p.blobs.flatMap((b) => b.outs.map((o) => o.dest))).sort()).toEqual(['a', ...outs.map((o) => o.dest)].sort());
  });

  it('a job within both bounds is left as it is', () => {
    const job: StageJob = { file: '/cache/p.pack', frame: { offset: 8, length: 10, size: 10 }, blobs: [{ digest: 'sha256:a', offset: 0, size: 10, outs: [{ dest: 'a', mode: 0o644, uid: 0, gid: 0 }] }] };
    expect(splitJob(job)).toEqual([job]);
  });

  it('a run never holds more than JOB_PATHS paths, however small its stored data', () => {
    const all: StageJob[] = Array.from({ length: 12 }, (_, i) => ({
      file: '/cache/p.pack',
      frame: { offset: 8 + i * 1000, length: 1000, size: 60_000 },
      blobs: Array.from({ length: 1500 }, (_, k) => ({ digest: `sha256:${i}-${k}`, offset: k * 40, size: 40, outs: [{ dest: `d${i}/f${k}`, mode: 0o644, uid: 0, gid: 0 }] })),
    }));
    const runs = batches(all, 2);
    for (const run of runs) expect(run.reduce((n, i) => n + all[i]!.blobs.length, 0)).toBeLessThanOrEqual(JOB_PATHS);
    expect(runs.flat()).toEqual(all.map((_, i) => i));
  });
});
