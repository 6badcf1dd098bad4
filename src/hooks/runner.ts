/**
 * Running one hook: an executable from the hook store, chrooted into the
 * image (`chroot`) or run on the host with the image root as its working
 * directory (`host`), with a clean environment (see README "Writing hooks"),
 * stdin from /dev/null, stdout and stderr captured together and passed on
 * line by line, and a timeout after which its whole process group gets
 * SIGTERM and, 5 s later, SIGKILL.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { helperProgram } from '../fs/helpers.js';

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

export function runHook(run: HookRun): Promise<HookOutcome> {
  const started = performance.now();
  const seconds = (): number => Math.round(performance.now() - started) / 1000;
  const env = { PATH: HOOK_PATH, HOME: '/', LC_ALL: 'C', ...run.env };
  const [file, args, cwd] = run.mode === 'chroot' ? [helperProgram('chroot'), [run.root, `/${run.file}`], '/'] : [join(run.root, run.file), [], run.root];
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
