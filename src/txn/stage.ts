/**
 * Stage: every file is decompressed, hashed and written beside its target
 * under a hidden temporary name, with its owner and mode, in one pass over
 * each byte — frame by frame, in pack order, on every core (stage-worker.ts);
 * links likewise. Nothing in the image is replaced yet, so a blob that fails
 * verification (or a full disk) leaves the image as it was: `unstage` removes
 * what was staged, and the file the bad blob came from (always under the
 * image's content cache) is deleted so it is fetched again. Once everything
 * is staged, the packs fetch left under the cache's tmp/ — every blob read
 * from them now checked — are renamed into the cache.
 *
 * Packs may still be downloading when staging begins (`ContentPlan.arriving`):
 * a frame is staged once its bytes are written, and staging returns only once
 * every download has ended; a failed download fails staging like a bad blob.
 */
import { chmodSync, chownSync, lstatSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { lchown, link, rm, rmdir, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { threadBudget } from '../fs/threads.js';
import { DEPTH, WorkerPool, workerUrl } from '../fs/workers.js';
import type { Arrivals } from './arrivals.js';
import { blobMissing, noSpace } from './failures.js';
import { stagedFile, StagingNames } from './side-names.js';
import { hostPath } from '../core/paths.js';
import { crashPoint } from './crash-point.js';
import { stageBatch, type StageAnswer, type StageBatch, type StageBlob, type StageFailure, type StageJob } from './stage-worker.js';
import type { Changeset, ContentPlan, PutOp } from './types.js';

/**
 * What staging wrote. Image paths, not their temporary names: a name per
 * file held for the whole transaction was the largest thing on the heap of a
 * 20,000-file install (`stagedPath` derives it when it is needed).
 */
export interface Staged {
  root: string;
  txid: string;
  /** Where each path is staged: beside itself, or inside its new tree's hidden name (`trees`). */
  names: StagingNames;
  /** The new trees staged whole (new-trees.ts), landed by apply with one rename each. */
  trees: string[];
  /** Image paths staged under their temporary names, in the order they were staged. */
  dests: Set<string>;
  /** Directories created, parents first. */
  createdDirs: string[];
  bytes: number;
}

export interface StageOptions {
  txid: string;
  /** New trees to stage whole (the transaction's choice among the changeset's: new-trees.ts); none when absent. */
  trees?: readonly string[];
  onFile?: (bytes: number) => void;
  /** Set owners (root only; elsewhere files stay owned by the caller). */
  chown: boolean;
}

/** Where DEST is staged (absolute). */
export function stagedPath(staged: Pick<Staged, 'root' | 'names'>, dest: string): string {
  return stagedFile(staged.root, dest, staged.names);
}

/** Below this many paths, threads cost more than they save. */
export const INLINE_LIMIT = 256;
/** A batch: about this much stored data, or this many frames. */
const BATCH_BYTES = 4 << 20;
const BATCH_JOBS = 64;
/**
 * A stage worker holds a decoder with two CHUNK buffers and one batch of
 * jobs at a time: a small young generation is plenty, and keeps each
 * isolate's heap from growing to V8's defaults (16 MB semi-spaces).
 */
const STAGE_WORKER_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 };

/** Where the blobs lie: prepare's fetch sets it on every changeset it hands to a transaction. */
function planOf(cs: Changeset): ContentPlan {
  if (!cs.content) throw new Error('stage: the changeset has no content plan (prepare fetches the blobs and sets it)');
  return cs.content;
}

interface Jobs {
  jobs: StageJob[];
  /** The ops of each blob (by digest), for messages. */
  ops: Map<string, PutOp[]>;
  /** Bytes each job writes. */
  sizes: number[];
}

/**
 * Paths one job writes at most. A job travels to a stage worker in one
 * message and is held there whole, and the worker's heap is capped
 * (STAGE_WORKER_LIMITS): a 1 MiB frame of 14-byte files holds 75,000 blobs,
 * and a 300,000-file package of them, in one run, ran the worker out of
 * memory. A frame with more blobs is staged by several jobs, each decoding it
 * again for its share (a frame of many blobs holds at most 2 MiB of content).
 */
export const JOB_PATHS = 4096;
/**
 * Paths one blob is written to at once: each is an open file while the
 * blob's content streams through (stage-worker.ts), on every stager at once.
 * 3,000 empty `__init__.py` files — one blob — failed with EMFILE under
 * `ulimit -n 1024`. A blob with content taken by more paths is written by
 * several jobs, each decoding its frame again (2,000 copies: 63 decodes of
 * their frame): the price of a bound that holds on any number of cores. An
 * empty blob's pieces share jobs (splitJob).
 */
export const OPEN_PATHS = 32;

/**
 * `job` cut so that none writes more than JOB_PATHS paths, nor one blob to
 * more than OPEN_PATHS at once. The blobs keep their frame order; a second
 * piece of one blob starts a job of its own (two pieces of one span in a job
 * would leave the second without content: FrameDecoder.split) — unless the
 * blob is empty: its paths are opened and closed at once, with nothing to
 * decode, so its pieces share a job (30,000 empty files cost 938 decodes of
 * their frame otherwise).
 */
export function splitJob(job: StageJob): StageJob[] {
  let paths = 0;
  for (const b of job.blobs) paths += b.outs.length;
  if (paths <= JOB_PATHS && job.blobs.every((b) => b.outs.length <= OPEN_PATHS)) return [job];
  const out: StageJob[] = [];
  let blobs: StageBlob[] = [];
  let taken = 0;
  const cut = (): void => {
    if (blobs.length) out.push({ file: job.file, frame: job.frame, blobs });
    blobs = [];
    taken = 0;
  };
  for (const b of [...job.blobs].sort((x, y) => x.offset - y.offset || x.size - y.size)) {
    for (let k = 0; k < b.outs.length; k += OPEN_PATHS) {
      const piece = b.outs.length <= OPEN_PATHS ? b : { ...b, outs: b.outs.slice(k, k + OPEN_PATHS) };
      if ((k > 0 && b.size > 0) || taken + piece.outs.length > JOB_PATHS) cut();
      blobs.push(piece);
      taken += piece.outs.length;
    }
  }
  cut();
  return out;
}

/** Jobs, one per stored frame (or several: splitJob), in file order; each blob of the frame with every path that takes it. */
function jobsOf(files: readonly PutOp[], plan: ContentPlan, staged: Staged): Jobs {
  const byDigest = new Map<string, PutOp[]>();
  for (const op of files) {
    const d = (op.action as { digest: string }).digest;
    const list = byDigest.get(d);
    if (list) list.push(op);
    else byDigest.set(d, [op]);
    staged.dests.add(op.dest);
  }
  const frames = new Map<string, StageJob>();
  for (const [digest, list] of byDigest) {
    const a = list[0]!.action as { digest: Digest; size: number; path: string };
    const src = plan.sources.get(a.digest);
    if (!src) throw blobMissing(a.digest, a.path, list[0]!.package);
    const key = `${src.file}\0${src.frame.offset}`;
    let job = frames.get(key);
    if (!job) frames.set(key, (job = { file: src.file, frame: src.frame, blobs: [] }));
    job.blobs.push({ digest, offset: src.offset, size: a.size, outs: list.map((op) => ({ dest: op.dest, mode: op.mode, uid: op.uid, gid: op.gid })) });
  }
  const jobs = [...frames.values()].sort((x, y) => (x.file < y.file ? -1 : x.file > y.file ? 1 : x.frame.offset - y.frame.offset)).flatMap(splitJob);
  return { jobs, ops: byDigest, sizes: jobs.map((j) => j.blobs.reduce((n, b) => n + b.size * b.outs.length, 0)) };
}

/**
 * Runs per stager, at least: a run is handed out whole, so with few large
 * runs one stager could be left with the last of them while the others
 * wait (a 9 MB package made 3 runs of 4 MB for 2 stagers).
 */
const RUNS_PER_STAGER = 8;
/** A run is never cut smaller than this much stored data: each costs a message and a hand-off. */
const MIN_BATCH_BYTES = 256 << 10;

/**
 * Contiguous runs of jobs: each runner reads its part of a pack
 * sequentially. Up to BATCH_BYTES of stored data per run, less when that
 * would leave fewer than RUNS_PER_STAGER runs per stager; never more than
 * JOB_PATHS paths (a run is one message to a worker, held there whole).
 */
export function batches(jobs: readonly StageJob[], stagers = 1): number[][] {
  const stored = jobs.reduce((n, j) => n + j.frame.length, 0);
  const limit = Math.min(BATCH_BYTES, Math.max(MIN_BATCH_BYTES, Math.ceil(stored / (stagers * RUNS_PER_STAGER))));
  const out: number[][] = [];
  let cur: number[] = [];
  let bytes = 0;
  let paths = 0;
  jobs.forEach((job, i) => {
    const n = job.blobs.reduce((k, b) => k + b.outs.length, 0);
    if (cur.length && paths + n > JOB_PATHS) {
      out.push(cur);
      cur = [];
      bytes = 0;
      paths = 0;
    }
    cur.push(i);
    bytes += job.frame.length;
    paths += n;
    if (cur.length >= BATCH_JOBS || bytes >= limit) {
      out.push(cur);
      cur = [];
      bytes = 0;
      paths = 0;
    }
  });
  if (cur.length) out.push(cur);
  return out;
}

/** What staging asks of packs still downloading (arrivals.ts). */
export type Arriving = Pick<Arrivals, 'has' | 'changed' | 'ended' | 'failure' | 'done' | 'stop'>;

/**
 * Runs the jobs (inline for a few paths, else on every core); returns the
 * first failure with its job. The main thread is one of the stagers: it
 * would otherwise sit idle waiting for answers, and each worker thread is a
 * whole V8 isolate (about 16 MB resident), so on n cores n−1 workers run
 * beside it. Runs are handed out one at a time to whoever is free, so a
 * slow stager (the main thread drawing progress) takes fewer.
 *
 * With packs still `arriving`, a run is handed out once every byte of its
 * frames is written, and the main thread — which receives the downloads —
 * stages only after they have ended (unless it is the only stager): a run
 * staged on it would hold up the bytes still coming. A failed download ends
 * the hand-outs (the caller reports it); a failed run stops the downloads.
 */
export async function runJobs(
  all: Pick<Jobs, 'jobs'>,
  paths: number,
  at: { root: string; txid: string; trees: string[]; chown: boolean },
  onJob: (job: number) => void,
  pool: Pick<WorkerPool<StageBatch, StageAnswer>, 'run' | 'size'> | undefined,
  /** Stages a run on this thread (tests watch the order of hand-outs through it). */
  stageHere: (batch: StageBatch) => StageAnswer = stageBatch,
  arriving?: Arriving,
): Promise<{ job: number; failure: StageFailure } | undefined> {
  if (paths < INLINE_LIMIT) {
    // A few paths: not worth staging in pieces.
    if (arriving && (await arriving.done)) return undefined;
    const r = stageHere({ jobs: all.jobs, ...at });
    for (let i = 0; i < r.done; i++) onJob(i);
    return r.failure ? { job: r.failure.job, failure: r.failure } : undefined;
  }
  const runs = batches(all.jobs, 1 + (pool?.size ?? 0));
  // The pool was started before the jobs were planned (stagers): with one run, the main thread takes it alone.
  const workers = runs.length > 1 && pool ? pool.size : 0;
  let failed: { job: number; failure: StageFailure } | undefined;
  const waiting = runs.slice();
  const arrived = (run: number[]): boolean => !arriving || run.every((i) => arriving.has(all.jobs[i]!.file, all.jobs[i]!.frame.offset + all.jobs[i]!.frame.length));
  /** The first run whose bytes are all here; none once a stager or a download failed, or when every run is out. */
  const take = async (): Promise<number[] | undefined> => {
    for (;;) {
      if (failed || arriving?.failure || waiting.length === 0) return undefined;
      const k = waiting.findIndex(arrived);
      if (k >= 0) return waiting.splice(k, 1)[0];
      await arriving!.changed();
    }
  };
  const done = (run: number[], r: StageAnswer): void => {
    for (let k = 0; k < r.done; k++) onJob(run[k]!);
    if (r.failure) {
      failed ??= { job: run[r.failure.job]!, failure: r.failure };
      // Nothing more of a transaction that failed is downloaded (and the main thread stops waiting for it).
      arriving?.stop();
    }
  };
  const batchOf = (run: number[]): StageBatch => ({ jobs: run.map((i) => all.jobs[i]!), ...at });
  const onWorker = async (): Promise<void> => {
    for (let run = await take(); run; run = await take()) done(run, await pool!.run(batchOf(run)));
  };
  const onMain = async (): Promise<void> => {
    if (arriving && workers > 0) await arriving.done;
    for (let run = await take(); run; run = await take()) {
      done(run, stageHere(batchOf(run)));
      // Let the workers' answers, the downloads and the progress display through between runs.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };
  // DEPTH loops per worker: each worker has its next run posted before it answers the last (fs/workers.ts).
  // They start first, so their runs are posted before this thread stages one of its own synchronously: the other
  // way round, a booted worker sat idle for the whole of the main thread's first run.
  const onWorkers = Array.from({ length: workers * DEPTH }, onWorker);
  await Promise.all([...onWorkers, onMain()]);
  return failed;
}

/**
 * The stage workers, started as staging begins — before the directories are
 * made and the jobs planned — so they boot (~0.1 s each) meanwhile: on n
 * cores n−1 of them, the main thread being the last stager; none for a
 * change of a few files. The caller closes the pool.
 */
function stagers(files: number): WorkerPool<StageBatch, StageAnswer> | undefined {
  const workers = Math.max(0, threadBudget() - 1);
  return files >= INLINE_LIMIT && workers ? new WorkerPool<StageBatch, StageAnswer>(workerUrl(import.meta.url, 'stage-worker'), workers, STAGE_WORKER_LIMITS) : undefined;
}

function failureError(all: Jobs, at: { job: number; failure: StageFailure }, root: string): Error {
  const job = all.jobs[at.job]!;
  const blob = job.blobs.find((b) => b.digest === at.failure.digest) ?? job.blobs[0]!;
  const op = all.ops.get(blob.digest)![0]!;
  const a = op.action as { digest: string; size: number; path: string };
  const f = at.failure;
  switch (f.kind) {
    case 'missing':
      return blobMissing(a.digest, a.path, op.package);
    case 'corrupt':
      // Whatever the bad bytes came from lies in the content cache: it goes, and is fetched again next time.
      rmSync(job.file, { force: true });
      return new ZpkgError('E_DIGEST_MISMATCH', `blob ${a.digest} for \`${a.path}\` (${op.package}) is corrupt: ${f.reason ?? `it decompresses to content hashing to ${f.actual}`}`, {
        hint: 'the repository is damaged; nothing was changed. Check it with `zpkg repo verify`',
        details: { digest: a.digest },
      });
    case 'io':
      if (f.code === 'ENOSPC') return noSpace(`while writing \`${a.path}\``);
      return new ZpkgError('E_IO', `staging \`${a.path}\` (${op.package}) under ${root}: ${f.message}`);
  }
}

/** Renames the packs fetch left under tmp/ into the cache: every blob staged from them was checked. */
export function promoteContent(plan: ContentPlan): void {
  for (const p of plan.promote) {
    mkdirSync(dirname(p.to), { recursive: true });
    try {
      renameSync(p.from, p.to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

export async function stage(root: string, cs: Changeset, options: StageOptions): Promise<Staged> {
  const trees = [...(options.trees ?? [])];
  const names = new StagingNames(options.txid, trees);
  const staged: Staged = { root, txid: options.txid, names, trees, dests: new Set(), createdDirs: [], bytes: 0 };
  const files = cs.put.filter((p) => p.action.type === 'file');
  const arriving = cs.content?.arriving;
  const pool = stagers(files.length);
  try {
    // Synchronous: a few syscalls per directory, where a promise each cost a thread-pool round trip.
    for (const d of [...cs.dirs].filter((d) => d.create).sort((x, y) => x.path.split('/').length - y.path.split('/').length)) {
      // Inside a new tree, under the tree's hidden name (side-names.ts).
      const abs = hostPath(root, names.dir(d.path));
      try {
        mkdirSync(abs, { mode: d.mode });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
      staged.createdDirs.push(abs);
      if (options.chown) chownSync(abs, d.uid, d.gid);
      chmodSync(abs, d.mode);
    }
    const plan = planOf(cs);
    const all = jobsOf(files, plan, staged);
    const failed = await runJobs(
      all,
      files.length,
      { root, txid: options.txid, trees, chown: options.chown },
      (i) => {
        for (const b of all.jobs[i]!.blobs) {
          for (let k = 0; k < b.outs.length; k++) {
            crashPoint('stage');
            options.onFile?.(b.size);
          }
        }
        staged.bytes += all.sizes[i]!;
      },
      pool,
      stageBatch,
      arriving,
    );
    await pool?.close();
    if (failed) {
      // The downloads end before a bad blob's pack is deleted.
      arriving?.stop();
      await arriving?.done;
      throw failureError(all, failed, root);
    }
    const failure = await arriving?.done;
    if (failure) throw failure;
    for (const op of cs.put) {
      if (op.action.type === 'file') continue;
      const tmp = stagedPath(staged, op.dest);
      if (op.action.type === 'link') {
        await symlink(op.action.target, tmp);
        staged.dests.add(op.dest);
        if (options.chown && (op.uid !== 0 || op.gid !== 0)) await lchown(tmp, op.uid, op.gid);
      } else {
        await link(hardlinkSource(root, op, staged), tmp);
        staged.dests.add(op.dest);
      }
      options.onFile?.(0);
    }
    promoteContent(plan);
  } catch (err) {
    await pool?.close();
    // Nothing downloads on once staging has failed.
    arriving?.stop();
    await arriving?.done;
    await unstage(staged);
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw noSpace(`while writing \`${(err as NodeJS.ErrnoException).path ?? root}\``);
    throw err;
  }
  return staged;
}

/**
 * What a hardlink is linked to: its target as this transaction stages it at
 * its own path, else the target as it stands in the image — a config file
 * kept because an administrator changed it (its new version staged as
 * `.zpkg-new`), or an intact file a repair does not rewrite. Only a regular
 * file is ever linked.
 */
function hardlinkSource(root: string, op: PutOp, staged: Staged): string {
  const target = (op.action as { target: string }).target;
  if (staged.dests.has(target)) return stagedPath(staged, target);
  const abs = join(root, target);
  let st;
  try {
    st = lstatSync(abs);
  } catch {
    st = undefined;
  }
  if (st?.isFile()) return abs;
  throw new ZpkgError('E_FILE_CONFLICT', `hardlink \`${op.action.path}\` (${op.package}): its target \`${target}\` is ${st ? 'not a regular file' : 'missing'} in the image and not delivered by this transaction`, {
    hint: `run \`zpkg fix ${op.package}\` to write the package's files again`,
  });
}

/** Removes staged temporaries and directories this transaction created. */
export async function unstage(staged: Staged): Promise<void> {
  await Promise.all([...staged.dests].map((d) => rm(stagedPath(staged, d), { force: true })));
  for (const dir of [...staged.createdDirs].reverse()) await rmdir(dir).catch(() => undefined);
}
