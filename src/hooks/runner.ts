/**
 * Running one hook: an executable from the hook store, chrooted into the
 * image (`chroot`) or run on the host with the image root as its working
 * directory (`host`), with a clean environment (see README "Writing hooks"),
 * stdin from /dev/null, stdout and stderr captured together and passed on
 * line by line, and a timeout after which its whole process group gets
 * SIGTERM and, 5 s later, SIGKILL.
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
import { helperProgram } from '../fs/helpers.js';
import { resolveInRoot } from '../fs/in-root.js';

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
    let output = '';
    let total = 0;
    let partial = '';
    let timedOut = false;
    const take = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      if (output.length < OUTPUT_LIMIT) output += text.slice(0, OUTPUT_LIMIT - output.length);
      total += text.length;
      if (!run.onLine) return;
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const line of lines) run.onLine(line);
    };
    const child = spawn(file, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const killGroup = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    let grace: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      grace = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
    }, run.timeoutMs);
    const finish = (outcome: Omit<HookOutcome, 'output' | 'seconds'>): void => {
      clearTimeout(timer);
      cleanUp();
      if (grace) clearTimeout(grace);
      if (partial && run.onLine) run.onLine(partial);
      if (total > output.length) output += `\n[zpkg: output beyond ${OUTPUT_LIMIT} bytes dropped]\n`;
      resolve({ ...outcome, output, seconds: seconds() });
    };
    child.on('error', (err) => finish({ status: 'failed', detail: `cannot run: ${err.message}` }));
    child.on('close', (code, signal) => {
      if (timedOut) finish({ status: 'timeout', detail: `killed after ${run.timeoutMs / 1000} s (timeout)` });
      else if (code === 0) finish({ status: 'ok', detail: 'exit 0' });
      else if (signal) finish({ status: 'failed', detail: `killed by ${signal}` });
      // chroot(8) says 125/126/127 itself when the hook cannot be run inside the image.
      else finish({ status: 'failed', detail: `exit ${code}` });
    });
  });
}
