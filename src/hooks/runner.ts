/**
 * Running one hook: an executable from the hook store, chrooted into the
 * image (`chroot`) or run on the host with the image root as its working
 * directory (`host`), with a clean environment (see README "Writing hooks"),
 * stdin from /dev/null, stdout and stderr captured together (the last
 * 256 KiB kept) and passed on line by line, and a timeout after which every
 * process it started — its session, its group, their descendants — gets
 * SIGTERM and, 5 s later, SIGKILL. The hook has ended when its process has
 * exited: a process it left behind holding stdout open neither delays zpkg
 * nor turns a success into a timeout.
 *
 * A chrooted hook sees a /dev and a /proc: when the image has no device
 * nodes (`dev/null` is not one) or no mounted proc (`proc/self` missing), the
 * hook runs in a private mount namespace of its own (`unshare --mount`) where
 * the host's /dev is bind-mounted on `<image>/dev` and a proc on
 * `<image>/proc` — gone with the namespace when the hook and what it started
 * end; nothing is mounted on the host. A mount point the image lacks is made
 * for the hook and removed after it (when still empty). Without the
 * privilege to make a mount namespace the hook runs without them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ZpkgError } from '../core/errors.js';
import { MAX_TIMEOUT_MS } from '../core/timeout.js';
import { helperProgram } from '../fs/helpers.js';
import { resolveInRoot } from '../fs/in-root.js';
import { OutputTail } from './output-tail.js';
import { processTree, signalAll } from './process-tree.js';

export interface HookRun {
  root: string;
  mode: 'chroot' | 'host';
  /** The hook's path relative to the image root. */
  file: string;
  env: Record<string, string>;
  timeoutMs: number;
  onLine?: (line: string) => void;
}

export interface HookOutcome {
  status: 'ok' | 'failed' | 'timeout';
  /** `exit 0`, `exit 3`, `killed by SIGKILL`, `cannot run: …`. */
  detail: string;
  output: string;
  seconds: number;
}

export const HOOK_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Output kept in history per hook; the tail beyond it is dropped (and said so). */
const OUTPUT_LIMIT = 256 * 1024;
const KILL_GRACE_MS = 5000;
/** How long output is still read after the hook exited while a process it left holds the pipe. */
const DRAIN_MS = 200;

let namespaces: boolean | undefined;

/** Whether this process may make a private mount namespace (root with CAP_SYS_ADMIN), asked once. */
function canUnshare(): boolean {
  namespaces ??= spawnSync(helperProgram('unshare'), ['--mount', '--propagation', 'private', helperProgram('sh'), '-c', 'true'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
  return namespaces;
}

function isCharDevice(path: string): boolean {
  try {
    return statSync(path).isCharacterDevice();
  } catch {
    return false;
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Mounts /dev and /proc for the hook inside a mount namespace of its own, then chroots. */
const WITH_MOUNTS = 'm=$1; c=$2; r=$3; d=$4; p=$5; shift 5; [ "$d" = 1 ] && "$m" -o rbind /dev "$r/dev"; [ "$p" = 1 ] && "$m" -t proc proc "$r/proc"; exec "$c" "$r" "$@"';

/** The command that runs a chrooted hook, and the mount points made for it (removed after). */
function chrootCommand(root: string, file: string): { file: string; args: string[]; made: string[] } {
  // A mount point that is a link would be followed by mount(8) to wherever it points: no mount there.
  const dev = !isLink(join(root, 'dev')) && !isCharDevice(join(root, 'dev/null'));
  const proc = !isLink(join(root, 'proc')) && !existsSync(join(root, 'proc/self'));
  if ((!dev && !proc) || !canUnshare()) return { file: helperProgram('chroot'), args: [root, `/${file}`], made: [] };
  const made: string[] = [];
  for (const [need, dir] of [[dev, 'dev'], [proc, 'proc']] as const) {
    const abs = join(root, dir);
    if (need && !existsSync(abs)) {
      mkdirSync(abs, { mode: dir === 'proc' ? 0o555 : 0o755 });
      made.push(abs);
    }
  }
  return { file: helperProgram('unshare'), args: ['--mount', '--propagation', 'private', '--', helperProgram('sh'), '-c', WITH_MOUNTS, 'zpkg-hook', helperProgram('mount'), helperProgram('chroot'), root, dev ? '1' : '0', proc ? '1' : '0', `/${file}`], made };
}

export function runHook(run: HookRun): Promise<HookOutcome> {
  if (!Number.isSafeInteger(run.timeoutMs) || run.timeoutMs <= 0 || run.timeoutMs > MAX_TIMEOUT_MS) {
    return Promise.reject(new ZpkgError('E_INPUT_INVALID', `hook ${run.file}: timeout ${run.timeoutMs} ms is not a whole number of milliseconds between 1 and ${MAX_TIMEOUT_MS}`));
  }
  const started = performance.now();
  const seconds = (): number => Math.round(performance.now() - started) / 1000;
  const env = { PATH: HOOK_PATH, HOME: '/', LC_ALL: 'C', ...run.env };
  const chrooted = run.mode === 'chroot' ? chrootCommand(run.root, run.file) : undefined;
  // On the host, the hook's path is resolved in the image as chroot would (a link `var` → `/x` means the image's x).
  const [file, args, cwd] = chrooted ? [chrooted.file, chrooted.args, '/'] : [resolveInRoot(run.root, run.file, { what: `hook ${run.file}` }).path, [], run.root];
  const cleanUp = (): void => {
    for (const dir of chrooted?.made ?? []) {
      try {
        rmdirSync(dir);
      } catch {
        // the hook left something in it: it stays
      }
    }
  };
  return new Promise((resolve) => {
    const tail = new OutputTail(OUTPUT_LIMIT, run.onLine);
    let timedOut = false;
    let done = false;
    // detached: the hook leads a session and process group of its own, so what it starts can be found and killed.
    const child = spawn(file, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => tail.write(chunk));
    child.stderr.on('data', (chunk: Buffer) => tail.write(chunk));
    let killed = new Set<number>();
    const killTree = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      // Scanned while the hook still lives: its descendants are found by parentage, setsid'd ones included.
      killed = new Set([...killed, ...processTree(child.pid)]);
      signalAll(child.pid, killed, signal);
    };
    let grace: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killTree('SIGTERM');
      // Runs even after the hook is gone: what it started and ignored SIGTERM gets SIGKILL.
      grace = setTimeout(() => killTree('SIGKILL'), KILL_GRACE_MS);
    }, run.timeoutMs);
    const finish = (outcome: Omit<HookOutcome, 'output' | 'seconds'>): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (!timedOut && grace) clearTimeout(grace);
      // The hook is gone; a process it left behind may hold its stdout open: zpkg stops reading, it does not wait.
      child.stdout.destroy();
      child.stderr.destroy();
      cleanUp();
      resolve({ ...outcome, output: tail.end(), seconds: seconds() });
    };
    child.on('error', (err) => finish({ status: 'failed', detail: `cannot run: ${err.message}` }));
    // 'exit', not 'close': the hook's end is its process's end, not the end of every copy of its stdout.
    child.on('exit', (code, signal) => {
      const outcome: Omit<HookOutcome, 'output' | 'seconds'> = timedOut
        ? { status: 'timeout', detail: `killed after ${run.timeoutMs / 1000} s (timeout)` }
        : code === 0
          ? { status: 'ok', detail: 'exit 0' }
          : signal
            ? { status: 'failed', detail: `killed by ${signal}` }
            : // chroot(8) says 125/126/127 itself when the hook cannot be run inside the image.
              { status: 'failed', detail: `exit ${code}` };
      // What the hook wrote just before it exited may still be in the pipe: read until the pipes close, or briefly when something else holds them.
      let open = 2;
      const closed = (): void => {
        if (--open === 0) finish(outcome);
      };
      child.stdout.once('close', closed);
      child.stderr.once('close', closed);
      setTimeout(() => finish(outcome), DRAIN_MS).unref();
    });
  });
}
