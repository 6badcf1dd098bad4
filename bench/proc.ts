/** Running children for the benchmarks: plain runs, timed runs (wall, peak RSS, CPU), sync, cache drop. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface RunResult {
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time of the child, measured around the spawn. */
  seconds: number;
}

export interface TimedResult extends RunResult {
  /** Peak resident set size in KiB, as `/usr/bin/time` reports it (`%M`), or null when unavailable. */
  maxRssKiB: number | null;
  userSeconds: number | null;
  systemSeconds: number | null;
}

/** Output kept per stream: enough for error messages, bounded for chatty tools. */
const KEEP_OUTPUT = 256 * 1024;

export function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map(quote).join(' ');
}

function keepTail(chunks: Buffer[], size: number): string {
  const all = Buffer.concat(chunks).toString('utf8');
  return size > KEEP_OUTPUT ? `…${all.slice(-KEEP_OUTPUT)}` : all;
}

/** Runs a command to completion; never throws for a non-zero exit (look at `code`). */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outSize = 0;
    let errSize = 0;
    const collect = (list: Buffer[], chunk: Buffer, size: number): number => {
      list.push(chunk);
      size += chunk.length;
      // Bound memory: drop the oldest chunks once well past the limit.
      while (list.length > 1 && size - (list[0]?.length ?? 0) > KEEP_OUTPUT) size -= list.shift()!.length;
      return size;
    };
    child.stdout.on('data', (c: Buffer) => (outSize = collect(out, c, outSize)));
    child.stderr.on('data', (c: Buffer) => (errSize = collect(err, c, errSize)));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({
        command: commandLine(cmd, args),
        code,
        signal,
        stdout: keepTail(out, outSize),
        stderr: keepTail(err, errSize),
        seconds,
      });
    });
  });
}

/** Runs a command and throws with its output when it does not exit 0. */
export async function mustRun(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new CommandError(r);
  return r;
}

export class CommandError extends Error {
  constructor(readonly result: RunResult) {
    super(`command failed (${describeExit(result)}): ${result.command}\n${tailLines(result.stderr || result.stdout, 20)}`);
    this.name = 'CommandError';
  }
}

export function describeExit(r: { code: number | null; signal: string | null }): string {
  return r.signal ? `signal ${r.signal}` : `exit ${r.code}`;
}

export function tailLines(text: string, n: number): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-n).join('\n');
}

export const TIME_BIN = '/usr/bin/time';
export const haveGnuTime = existsSync(TIME_BIN);

let scratch: string | undefined;
function scratchDir(): string {
  scratch ??= mkdtempSync(join(tmpdir(), 'zpkg-bench-'));
  return scratch;
}
process.on('exit', () => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/**
 * Runs a command under GNU time: wall time from our own clock around the spawn,
 * peak RSS and CPU from `/usr/bin/time -f '%M %U %S'` (the peak RSS is that of the
 * largest process in the child's tree, not a sum).
 */
export async function timed(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<TimedResult> {
  if (!haveGnuTime) {
    const r = await run(cmd, args, opts);
    return { ...r, maxRssKiB: null, userSeconds: null, systemSeconds: null };
  }
  const report = join(scratchDir(), 'time.out');
  rmSync(report, { force: true });
  const r = await run(TIME_BIN, ['-f', '%M %U %S', '-o', report, cmd, ...args], opts);
  let maxRssKiB: number | null = null;
  let userSeconds: number | null = null;
  let systemSeconds: number | null = null;
  if (existsSync(report)) {
    // GNU time writes "Command exited with non-zero status N" before the format line.
    const last = readFileSync(report, 'utf8').trim().split('\n').pop() ?? '';
    const m = /^(\d+) ([\d.]+) ([\d.]+)$/.exec(last.trim());
    if (m) {
      maxRssKiB = Number(m[1]);
      userSeconds = Number(m[2]);
      systemSeconds = Number(m[3]);
    }
  }
  return { ...r, command: commandLine(cmd, args), maxRssKiB, userSeconds, systemSeconds };
}

/** `sync(1)`; returns how long it took (the writeback an earlier run left behind). */
export function syncNow(): number {
  const started = process.hrtime.bigint();
  spawnSync('sync', [], { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Drops the page cache (needs root); false when not permitted. */
export function dropCaches(): boolean {
  syncNow();
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

export function which(program: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${quote(program)}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Bytes of the regular files under `dir` (links not followed). */
export function bytesUnder(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) n += lstatSync(join(e.parentPath, e.name)).size;
  return n;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Clock ticks per second of /proc/stat (USER_HZ: 100 on Linux for every architecture in use). */
const USER_HZ = 100;

/** CPU-seconds the whole machine has spent busy since boot (all CPUs, from /proc/stat), or null off Linux. */
export function machineBusySeconds(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal …
    const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0);
    return busy / USER_HZ;
  } catch {
    return null;
  }
}

/**
 * Trees a suite's runs made, removed once its timed runs are over, never
 * between them. On a filesystem without a journal (this machine's root is
 * ext4 with none: /sys/fs/ext4/<dev>/journal_task reads `<none>`), ext4 will
 * not reuse an inode freed less than 60 s ago — 6 min while its inode-table
 * block is dirty — and on every create scans past each such inode in the
 * group (fs/ext4/ialloc.c: find_inode_bit, recently_deleted). A run that made
 * files right after the previous run's tree was removed paid for that on
 * every file: 2,000 creates took 0.2–0.4 ms each instead of 10–30 µs, and
 * `perf` put 18 % of such an install in recently_deleted. Dropping the page
 * cache hides it (the inode-table blocks leave the cache), so it struck the
 * warm runs and the runs without a cache drop, each by whatever the run
 * before it had left.
 */
export class Leftovers {
  private readonly paths: string[] = [];

  add(...paths: string[]): void {
    this.paths.push(...paths);
  }

  removeAll(): void {
    for (const p of this.paths.splice(0)) rmSync(p, { recursive: true, force: true });
  }
}
