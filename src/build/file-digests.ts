/**
 * The sha256 and first bytes of the files a build reads, computed once per
 * process and on every core (hash-worker.ts): the input digest of a recipe,
 * packing its tree and scanning for ELF objects and scripts all ask for the
 * same files. A file is known by what identifies its content on disk —
 * device, inode, size, change and modification times — so a file changed in
 * between is read again.
 */
import { lstatSync, readdirSync } from 'node:fs';
import type { Digest } from '../core/digest.js';
import { hostPath } from '../core/paths.js';
import { HEAD, isElfHead, isScriptHead } from '../fs/head.js';
import { PathStat, type StatLike } from '../fs/path-stat.js';
import { hashFile, hashWorkerUrl, type HashAnswer, type HashTask } from '../fs/hash-worker.js';
import { threadBudget } from '../fs/threads.js';
import { WorkerPool } from '../fs/workers.js';
import type { PackBuilder } from '../repo/pack-build.js';
import type { FileSelection } from './recipe.js';
import { selector, type Verdict } from './select.js';

/**
 * A tree about to be packed, whose files go to `pack` to be hashed and
 * compressed in the same read (PackBuilder.speculate) instead of being read
 * once here and again when packed.
 */
export interface Speculation {
  /** The tree: the files under it that `files` keeps are speculated, others only hashed. */
  under: string;
  pack: PackBuilder;
  /**
   * The recipe's selection (select.ts), judged here exactly as packing will
   * judge it: a file it leaves out would cost the pack a blob no package
   * holds, and publishing would then pack again from scratch. Default: all.
   */
  files?: FileSelection;
  /** What is built, for messages. */
  what?: string;
}

export interface FileFacts {
  digest: Digest;
  size: number;
  /**
   * The first bytes (at most HEAD) of an ELF object or a `#!` script, the
   * only files whose heads anyone reads (deps/scan.ts); empty for any other.
   */
  head: Buffer;
}

/** A file's facts and the state they hold for: device, inode, size, change and modification times. */
interface Known {
  st: StatLike;
  facts: FileFacts;
}

const memo = new Map<string, Known>();
/** The tree as the last `hashTree` walked it: packing and the input digest walk it again without a syscall per path. */
const walked = new Map<string, PathStat>();

/** Each directory's entries as the last `hashTree` walk listed them, sorted: packing and the input digest list them again without a syscall. */
const listed = new Map<string, string[]>();

/**
 * Forgets every file this process has read. A build run starts with it, as a
 * fresh process would: a tree whose digests were known from an earlier run
 * was added to the pack after it was packed, with its hooks, instead of being
 * read into it, and the same recipes made another pack. Within a run, a tree
 * two recipes pack is still read once.
 */
export function forgetFiles(): void {
  memo.clear();
  walked.clear();
  listed.clear();
}

/** The sorted entries of a directory `hashTree` just walked (what it saw), else of the directory now. */
export function readdirWalked(dir: string): string[] {
  return listed.get(dir) ?? readdirSync(dir).sort();
}

/** `lstat` of a path under a tree `hashTree` just walked (what it saw), else of the file now. */
export function lstatWalked(abs: string): StatLike {
  return walked.get(abs) ?? lstatSync(abs);
}

function sameState(a: StatLike, b: StatLike): boolean {
  return a === b || (a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs);
}

const NO_HEAD = Buffer.alloc(0);

/**
 * What of a file's first bytes is kept: a copy for an ELF object or a script,
 * nothing for the rest — a build of 300,000 small files would otherwise hold
 * 256 bytes of each, and every frame's whole answer of heads with them.
 */
function keptHead(head: Buffer): Buffer {
  return isElfHead(head) || isScriptHead(head) ? Buffer.from(head) : NO_HEAD;
}

function remember(abs: string, st: StatLike, digest: string, size: number, head: Buffer): void {
  memo.set(abs, { st, facts: { digest: digest as Digest, size, head: keptHead(head) } });
}

/** What is known of a file in this state, without reading it. */
export function knownFacts(abs: string, st: StatLike): FileFacts | undefined {
  const k = memo.get(abs);
  return k && sameState(k.st, st) ? k.facts : undefined;
}

/** The facts of a regular file: known, or read now. */
export function factsOf(abs: string, st: StatLike): FileFacts {
  const known = knownFacts(abs, st);
  if (known) return known;
  const head = Buffer.alloc(HEAD);
  const r = hashFile(abs, head);
  remember(abs, st, r.digest, r.size, head.subarray(0, Math.min(HEAD, r.size)));
  return memo.get(abs)!.facts;
}

/** Below this many files, threads cost more than they save. */
const POOL_MIN = 64;
/** Files per hash task. */
const BATCH = 128;

/**
 * Reads every regular file under `dir` (symlinks not followed) on every core,
 * so later asks cost nothing. Files go to the workers in batches as the walk
 * finds them, and the walk yields after each directory, so the workers hash
 * while it goes on. Files under `speculation.under` go to its pack instead.
 */
export async function hashTree(dir: string, speculation?: Speculation): Promise<void> {
  for (const k of walked.keys()) if (k.startsWith(`${dir}/`)) walked.delete(k);
  for (const k of listed.keys()) if (k === dir || k.startsWith(`${dir}/`)) listed.delete(k);
  let todo: { abs: string; st: PathStat }[] = [];
  let pool: WorkerPool<HashTask, HashAnswer> | undefined;
  const tasks: Promise<void>[] = [];
  const send = (batch: { abs: string; st: PathStat }[]): void => {
    pool ??= new WorkerPool<HashTask, HashAnswer>(hashWorkerUrl(), threadBudget());
    const task = pool.run({ paths: batch.map((b) => b.abs) }).then((r) => {
      batch.forEach((b, i) => {
        const d = r.digests[i]!;
        // A file that cannot be read here is read again when asked for, and fails there with its own error.
        if (d.startsWith('!')) return;
        remember(b.abs, b.st, d, r.sizes[i]!, Buffer.from(r.heads, i * HEAD, Math.min(HEAD, r.sizes[i]!)));
      });
    });
    task.catch(() => undefined); // awaited below
    tasks.push(task);
  };
  // Speculated files answer by callback, not a promise each: a tree of 100,000 files made 100,000 promises.
  let speculating = 0;
  let speculationFailed: { err: unknown } | undefined;
  let allAnswered: (() => void) | undefined;
  const answered = (): void => {
    if (--speculating === 0) allAnswered?.();
  };
  const select = speculation && selector(speculation.files ?? { include: [], exclude: [] });
  /**
   * Where a directory stands for the speculation: outside its tree, or inside
   * with the verdict packing gives it (the tree itself is a `candidate`, as
   * pack.ts walks it); an excluded directory's subtree is excluded whole.
   */
  type Place = 'outside' | Verdict;
  const placeOf = (abs: string, parent: Place): Place => {
    if (!select) return 'outside';
    if (parent === 'outside') return abs === speculation!.under ? 'candidate' : 'outside';
    if (parent === 'excluded') return 'excluded';
    return select.entry(abs.slice(speculation!.under.length + 1), parent === 'included');
  };
  const walk = async (d: string, place: Place): Promise<void> => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    listed.set(d, names);
    const subdirs: { abs: string; place: Place }[] = [];
    for (const name of names) {
      const abs = hostPath(d, name);
      const st = new PathStat(lstatSync(abs));
      walked.set(abs, st);
      if (st.isDirectory()) subdirs.push({ abs, place: placeOf(abs, place) });
      else if (st.isFile()) {
        if (knownFacts(abs, st)) continue;
        if (place !== 'outside' && place !== 'excluded' && placeOf(abs, place) === 'included') {
          speculating += 1;
          speculation!.pack.speculateEach(
            abs,
            st.size,
            (f) => {
              // A file that cannot be read as walked is read again when asked for, and fails there with its own error.
              if (!f.digest.startsWith('!')) remember(abs, st, f.digest, f.size, f.head);
              answered();
            },
            (err) => {
              speculationFailed ??= { err };
              answered();
            },
            speculation!.what,
          );
          continue;
        }
        todo.push({ abs, st });
        if (todo.length >= BATCH && (pool || todo.length >= POOL_MIN)) {
          send(todo);
          todo = [];
        }
      }
    }
    // Let answers in and queued batches out to the workers.
    if (pool || speculation) await new Promise((resolve) => setImmediate(resolve));
    for (const sub of subdirs) await walk(sub.abs, sub.place);
  };
  try {
    await walk(dir, placeOf(dir, 'outside'));
    speculation?.pack.endSpeculation();
    if (todo.length && (pool || todo.length >= POOL_MIN)) send(todo);
    if (speculating > 0) await new Promise<void>((resolve) => (allAnswered = resolve));
    if (speculationFailed) throw speculationFailed.err;
    const failed = (await Promise.allSettled(tasks)).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    await pool?.close();
  }
}
