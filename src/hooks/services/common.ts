/** Helpers shared by the adapters: running a supervisor's tool, polling, errors. */
import { execFile } from 'node:child_process';
import { ZpkgError } from '../../core/errors.js';
import type { ServiceKind, ServiceManager, ServiceStatus, WaitOptions } from './types.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a supervisor's command line tool. A non-zero exit is a result, not an
 * exception; a missing tool or a timeout is an E_SERVICE error.
 */
export function runTool(
  kind: ServiceKind,
  file: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { env: options.env ?? process.env, timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err && typeof err.code === 'string') {
          const missing = err.code === 'ENOENT';
          reject(
            new ZpkgError('E_SERVICE', `${kind}: cannot run ${file}: ${missing ? 'not found' : err.message}`, {
              hint: missing ? `install ${kind}'s tools or choose another service manager` : undefined,
              cause: err,
            }),
          );
          return;
        }
        if (err && err.killed) {
          reject(new ZpkgError('E_SERVICE', `${kind}: ${file} ${args.join(' ')} did not finish within ${timeoutMs} ms`));
          return;
        }
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Service names become paths and protocol words: one plain path component, no spaces. */
export function checkServiceName(kind: ServiceKind, name: string): void {
  if (!/^[A-Za-z0-9_@][A-Za-z0-9_.@:+-]*$/.test(name) || name.length > 255) {
    throw new ZpkgError('E_SERVICE', `${kind}: invalid service name ${JSON.stringify(name)}`, {
      hint: 'a service name is one path component of letters, digits and _ . @ : + -',
    });
  }
}

export function describe(status: ServiceStatus): string {
  const parts: string[] = [status.state];
  if (status.detail && status.detail !== status.state) parts.push(`(${status.detail})`);
  if (status.pid !== undefined) parts.push(`pid ${status.pid}`);
  return parts.join(' ');
}

export function serviceError(
  kind: ServiceKind,
  name: string,
  what: string,
  last: ServiceStatus | undefined,
  hint?: string,
): ZpkgError {
  const tail = last ? `; last state: ${describe(last)}` : '';
  return new ZpkgError('E_SERVICE', `${kind}: service ${name} ${what}${tail}`, {
    hint,
    details: { kind, service: name, ...(last ? { state: last.state, pid: last.pid, detail: last.detail } : {}) },
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `status` until `done` holds or the timeout passes; returns the last status and whether it held. */
export async function pollStatus(
  status: () => Promise<ServiceStatus>,
  done: (s: ServiceStatus) => boolean,
  timeoutMs: number,
  intervalMs = 100,
): Promise<{ ok: boolean; last: ServiceStatus }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await status();
    if (done(last)) return { ok: true, last };
    const left = deadline - Date.now();
    if (left <= 0) return { ok: false, last };
    await sleep(Math.min(intervalMs, left));
  }
}

/**
 * A process that exits at once can look "up" for an instant. After the
 * supervisor says running, check it still runs with the same pid `settleMs`
 * later; fails with the service's last state otherwise.
 */
export async function confirmRunning(
  manager: Pick<ServiceManager, 'kind' | 'status'>,
  name: string,
  settleMs: number,
  timeoutMs: number,
): Promise<void> {
  const first = await manager.status(name);
  if (first.state !== 'running') {
    throw serviceError(manager.kind, name, `did not come up within ${timeoutMs} ms`, first, startHint(manager.kind));
  }
  if (settleMs <= 0) return;
  await sleep(settleMs);
  const second = await manager.status(name);
  if (second.state !== 'running' || (first.pid !== undefined && second.pid !== first.pid)) {
    throw serviceError(
      manager.kind,
      name,
      `came up but did not stay up (pid ${first.pid ?? '?'} exited within ${settleMs} ms)`,
      second,
      startHint(manager.kind),
    );
  }
}

function startHint(kind: ServiceKind): string {
  switch (kind) {
    case 'runit':
      return "look at the service's log (its log/ service or runsvdir's output) and run its ./run by hand";
    case 's6':
      return "look at the service's log and run its ./run by hand";
    case 'zinit':
      return 'look at `zinit log` for the service';
    case 'systemd':
      return 'look at `journalctl -u <service>`';
    default:
      return 'look at the service log';
  }
}

export const DEFAULT_SETTLE_MS = 300;

/** The waiting budget of a command line tool in whole seconds (at least 1). */
export function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** Stop, wait, start, wait: the restart every supervisor supports (zinit v0.2 has no `restart`). */
export async function restartService(manager: ServiceManager, name: string, options: WaitOptions): Promise<void> {
  await manager.stop(name, options);
  await manager.start(name, options);
}
