/**
 * zinit (v0.2.x, as on zos nodes), through its unix socket.
 *
 * Protocol (zinit's docs/protocol.md): connect, write one command line ending
 * in "\n", read the reply, the server closes the connection. The reply is
 * `{"state":"ok"|"error","body":…}`; on error `body` is the message. Commands
 * used here: `status NAME` (body `{name, pid, state, target, after}`, state one
 * of Unknown, Blocked, Spawned, Running, Success, Error(…), TestFailure,
 * Failure; pid 0 when no process), `start NAME`, `stop NAME`, `monitor NAME`
 * (load /etc/zinit/NAME.yaml and start it), `forget NAME` (drop a stopped
 * service). v0.2 has no `restart`: use stop, wait, start (restartService).
 * `stop`/`start` return at once; this adapter polls `status` until the wanted
 * state or the timeout.
 */
import { createConnection } from 'node:net';
import { ZpkgError } from '../../core/errors.js';
import { checkServiceName, confirmRunning, DEFAULT_SETTLE_MS, pollStatus, serviceError } from './common.js';
import type { ServiceManager, ServiceStatus, WaitOptions } from './types.js';

export const ZINIT_SOCKET = '/var/run/zinit.sock';

export interface ZinitOptions {
  socket?: string;
  /** Limit for one request/reply exchange. */
  requestTimeoutMs?: number;
  /** Interval between `status` polls while waiting. */
  pollMs?: number;
  settleMs?: number;
}

export interface ZinitReply {
  state: 'ok' | 'error';
  body: unknown;
}

/** One exchange: one command line, one JSON reply. */
export function zinitRequest(socket: string, line: string, timeoutMs = 10_000): Promise<ZinitReply> {
  if (/[\r\n]/.test(line)) throw new ZpkgError('E_SERVICE', `zinit: a command is one line: ${JSON.stringify(line)}`);
  return new Promise((resolve, reject) => {
    const conn = createConnection(socket);
    let data = '';
    let settled = false;
    const finish = (err: Error | undefined, reply?: ZinitReply) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      conn.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(
      () => finish(new ZpkgError('E_SERVICE', `zinit: no reply to "${line}" from ${socket} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const tryParse = (final: boolean) => {
      const text = data.trim();
      if (!text) {
        if (final) finish(new ZpkgError('E_SERVICE', `zinit: empty reply to "${line}" from ${socket}`));
        return;
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        if (final) finish(new ZpkgError('E_SERVICE', `zinit: reply to "${line}" is not JSON: ${text.slice(0, 200)}`));
        return;
      }
      const v = value as Partial<ZinitReply> | null;
      if (!v || typeof v !== 'object' || (v.state !== 'ok' && v.state !== 'error') || !('body' in v)) {
        finish(new ZpkgError('E_SERVICE', `zinit: reply to "${line}" is not {"state","body"}: ${text.slice(0, 200)}`));
        return;
      }
      finish(undefined, { state: v.state, body: v.body });
    };
    conn.setEncoding('utf8');
    conn.on('connect', () => conn.write(`${line}\n`));
    conn.on('data', (chunk: string) => {
      data += chunk;
      // zinit closes after replying; a reply ending in a newline is complete too.
      if (data.endsWith('\n')) tryParse(false);
    });
    conn.on('end', () => tryParse(true));
    conn.on('error', (err: NodeJS.ErrnoException) => {
      const unreachable = err.code === 'ENOENT' || err.code === 'ECONNREFUSED';
      finish(
        new ZpkgError('E_SERVICE', `zinit: cannot talk to ${socket}: ${err.code ?? err.message}`, {
          hint: unreachable ? 'is zinit running? set the socket path in the service configuration' : undefined,
          cause: err,
        }),
      );
    });
  });
}

/** zinit's state words mapped to ours; `Spawned` (test not passed yet) is neither. */
export function mapZinitState(state: string, pid: number): ServiceStatus {
  const detail = state;
  if (state === 'Running') return { state: 'running', pid: pid > 0 ? pid : undefined, detail };
  if (state === 'Spawned' || state === 'Unknown') return { state: 'unknown', pid: pid > 0 ? pid : undefined, detail };
  // Blocked (waiting for `after`), Success, Error(…), TestFailure, Failure: no process of the service runs.
  return { state: pid > 0 ? 'unknown' : 'stopped', pid: pid > 0 ? pid : undefined, detail };
}

function isUnknownService(body: unknown): boolean {
  return typeof body === 'string' && /unknown|not found/i.test(body);
}

export class ZinitManager implements ServiceManager {
  readonly kind = 'zinit' as const;
  readonly socket: string;
  private readonly requestTimeoutMs: number;
  private readonly pollMs: number;
  private readonly settleMs: number;

  constructor(options: ZinitOptions = {}) {
    this.socket = options.socket ?? ZINIT_SOCKET;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.pollMs = options.pollMs ?? 100;
    this.settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  }

  private async command(cmd: string, name: string): Promise<ZinitReply> {
    checkServiceName('zinit', name);
    return zinitRequest(this.socket, `${cmd} ${name}`, this.requestTimeoutMs);
  }

  private async ok(cmd: string, name: string): Promise<void> {
    const reply = await this.command(cmd, name);
    if (reply.state === 'error') {
      throw serviceError('zinit', name, `refused "${cmd}": ${String(reply.body)}`, undefined);
    }
  }

  async status(name: string): Promise<ServiceStatus> {
    const reply = await this.command('status', name);
    if (reply.state === 'error') return { state: 'unknown', detail: String(reply.body) };
    const body = reply.body as { state?: unknown; pid?: unknown } | null;
    const state = typeof body?.state === 'string' ? body.state : 'Unknown';
    const pid = typeof body?.pid === 'number' ? body.pid : 0;
    return mapZinitState(state, pid);
  }

  async stop(name: string, { timeoutMs }: WaitOptions): Promise<void> {
    await this.ok('stop', name);
    const { ok, last } = await pollStatus(() => this.status(name), (s) => s.state === 'stopped', timeoutMs, this.pollMs);
    if (!ok) throw serviceError('zinit', name, `did not stop within ${timeoutMs} ms`, last);
  }

  async start(name: string, { timeoutMs }: WaitOptions): Promise<void> {
    await this.ok('start', name);
    const { ok, last } = await pollStatus(() => this.status(name), (s) => s.state === 'running', timeoutMs, this.pollMs);
    if (!ok) {
      throw serviceError('zinit', name, `did not come up within ${timeoutMs} ms`, last, 'look at `zinit log` for the service');
    }
    await confirmRunning(this, name, this.settleMs, timeoutMs);
  }

  /** Registers `<name>.yaml` from zinit's config directory (zinit then starts it). Already monitored: nothing to do. */
  async monitor(name: string): Promise<void> {
    const reply = await this.command('status', name);
    if (reply.state === 'ok') return;
    await this.ok('monitor', name);
  }

  /** Unregisters a stopped service. Not monitored: nothing to do. Still running: an error (stop it first). */
  async forget(name: string): Promise<void> {
    const reply = await this.command('forget', name);
    if (reply.state === 'ok' || isUnknownService(reply.body)) return;
    throw serviceError('zinit', name, `refused "forget": ${String(reply.body)}`, await this.status(name), 'stop the service before forgetting it');
  }
}
