/**
 * The sha256 and first bytes of the files a build reads, computed once per
 * process and on every core (hash-worker.ts): the input digest of a recipe,
 * packing its tree and scanning for ELF objects and scripts all ask for the
 * same files. A file is known by what identifies its content on disk —
 * device, inode, size, change and modification times — so a file changed in
 * between is read again.
 */
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { Digest } from '../core/digest.js';
import { HEAD } from '../fs/head.js';
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
  /** The first bytes (at most HEAD). */
  head: Buffer;
}

const memo = new Map<string, FileFacts>();
/** The tree as the last `hashTree` walked it: packing and the input digest walk it again without a syscall per path. */
const walked = new Map<string, Stats>();

/** `lstat` of a path under a tree `hashTree` just walked (what it saw), else of the file now. */
export function lstatWalked(abs: string): Stats {
  return walked.get(abs) ?? lstatSync(abs);
}

function keyOf(abs: string, st: Stats): string {
  return `${abs}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

/** What is known of a file in this state, without reading it. */
export function knownFacts(abs: string, st: Stats): FileFacts | undefined {
  return memo.get(keyOf(abs, st));
}

/** The facts of a regular file: known, or read now. */
export function factsOf(abs: string, st: Stats): FileFacts {
  const key = keyOf(abs, st);
  let f = memo.get(key);
  if (!f) {
    const head = Buffer.alloc(HEAD);
    const r = hashFile(abs, head);
    f = { digest: r.digest as Digest, size: r.size, head: head.subarray(0, Math.min(HEAD, r.size)) };
    memo.set(key, f);
  }
  return f;
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
  let todo: { abs: string; key: string }[] = [];
  let pool: WorkerPool<HashTask, HashAnswer> | undefined;
  const tasks: Promise<void>[] = [];
  const send = (batch: { abs: string; key: string }[]): void => {
    pool ??= new WorkerPool<HashTask, HashAnswer>(hashWorkerUrl(), threadBudget());
    const task = pool.run({ paths: batch.map((b) => b.abs) }).then((r) => {
      batch.forEach((b, i) => {
        const d = r.digests[i]!;
        // A file that cannot be read here is read again when asked for, and fails there with its own error.
        if (d.startsWith('!')) return;
        memo.set(b.key, { digest: d as Digest, size: r.sizes[i]!, head: Buffer.from(r.heads, i * HEAD, Math.min(HEAD, r.sizes[i]!)) });
      });
    });
    task.catch(() => undefined); // awaited below
    tasks.push(task);
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
      names = readdirSync(d);
    } catch {
      return;
    }
    const subdirs: { abs: string; place: Place }[] = [];
    for (const name of names) {
      const abs = join(d, name);
      const st = lstatSync(abs);
      walked.set(abs, st);
      if (st.isDirectory()) subdirs.push({ abs, place: placeOf(abs, place) });
      else if (st.isFile()) {
        const key = keyOf(abs, st);
        if (memo.has(key)) continue;
        if (place !== 'outside' && place !== 'excluded' && placeOf(abs, place) === 'included') {
          const task = speculation!.pack.speculate(abs, st.size, speculation!.what).then((f) => {
            // A file that cannot be read as walked is read again when asked for, and fails there with its own error.
            if (!f.digest.startsWith('!')) memo.set(key, { digest: f.digest as Digest, size: f.size, head: f.head });
          });
          task.catch(() => undefined); // awaited below
          tasks.push(task);
          continue;
        }
        todo.push({ abs, key });
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
    const failed = (await Promise.allSettled(tasks)).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    await pool?.close();
  }
}
