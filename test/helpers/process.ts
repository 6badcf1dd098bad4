/** Small helpers for tests that start and watch real processes. */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';

/** Whether a process runs (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Polls `fn` every 50 ms until it returns something, or fails naming `what`.
 * The default limit is a minute: it only bounds a hang, so it is chosen wide
 * enough that a machine busy with other work never reaches it.
 */
export async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function writeExec(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

/** `p`, or a failure saying `what` did not happen within `ms`: it bounds a hang (choose it far above the normal), it does not time. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  const late = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} within ${ms / 1000} s`)), ms).unref());
  return Promise.race([p, late]);
}
