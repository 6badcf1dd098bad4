/**
 * zinit (v0.2.x, as on zos nodes), through its unix socket, driven the way
 * zos's own client drives it (threefoldtech/zos `pkg/zinit/commands.go`
 * before the zosbase split, 7921ea26^; zinit's `src/app/api.rs` and
 * `src/zinit/mod.rs` at v0.2.14).
 *
 * Protocol: connect, write one command line ending in "\n", read the reply
 * `{"state":"ok"|"error","body":…}` until the server closes (api.rs:59-95).
 * `status NAME` answers `{name, pid, state, target, after}` with state one of
 * Unknown, Blocked, Spawned, Running, Success, Error(…), TestFailure, Failure
 * and target Up or Down (mod.rs:122-149, api.rs:202-227). Every command
 * returns at once; waits poll `status`.
 *
 * - stop: `stop NAME` sets the target Down and signals the process group
 *   (mod.rs:351-377) — on any monitored service, running or not, because
 *   `forget` refuses a service whose target is Up (mod.rs:408). Then wait
 *   until no process runs; past the timeout `kill NAME SIGKILL`, as zos's
 *   `StopWait` does (commands.go:367-401), and the outcome says so.
 * - start: `start NAME`, then wait until the service is Running — for a
 *   oneshot, until it is Success — as zos's `StartWait` accepts Running or
 *   Success (commands.go:354); a daemon must also keep its pid through a
 *   short settle time. A name zinit does not know (forgotten) is monitored.
 * - monitor: `monitor NAME` loads `<config>/NAME.yaml` and starts it (zinit
 *   runs it: never `start` it again, which would run a oneshot twice,
 *   mod.rs:544-558); `already monitored` gets a `start`, as zos's
 *   `ensureRestarted` does (upgrade.go:543-559). Then the same wait.
 * - forget: `forget NAME`; an unknown name is already forgotten.
 * Whether a service is a oneshot, and what it comes `after:`, is read from
 * its service file in the image's config directory.
 */
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { parseYaml } from '../../fs/yaml.js';
import { ZpkgError } from '../../core/errors.js';
import { own, v } from '../../core/shape.js';
import { readBounded } from '../../fs/in-root.js';
import { checkServiceName, DEFAULT_SETTLE_MS, serviceError, sleep } from './common.js';
import type { ServiceManager, ServiceStatus, StopOutcome, WaitOptions } from './types.js';

/** A reply of zinit's socket: {"state": "ok" | "error", "body": …} (own keys only). */
const ZINIT_REPLY = own(v.object({ state: v.picklist(['ok', 'error']), body: v.unknown() }));

export const ZINIT_SOCKET = '/var/run/zinit.sock';
/** zinit's service files on a node (main.rs:33 default `--config`). */
export const ZINIT_CONFIG_DIR = '/etc/zinit';

export interface ZinitOptions {
  socket?: string;
  /** Where the service files are, on this host (the image's etc/zinit). Default /etc/zinit. */
  configDir?: string;
  /** Limit for one request/reply exchange. */
  requestTimeoutMs?: number;
  /** Interval between `status` polls while waiting. */
  pollMs?: number;
  settleMs?: number;
  /** How long to wait for a killed service's process to be gone before giving up. */
  killWaitMs?: number;
}

export interface ZinitReply {
  state: 'ok' | 'error';
  body: unknown;
}

/** zinit's `status` body (api.rs:28-35). */
export interface ZinitStatus {
  name: string;
  pid: number;
  state: string;
  target: string;
  after: Record<string, string>;
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
      const reply = v.safeParse(ZINIT_REPLY, value);
      if (!reply.success) {
        finish(new ZpkgError('E_SERVICE', `zinit: reply to "${line}" is not {"state","body"}: ${text.slice(0, 200)}`));
        return;
      }
      finish(undefined, { state: reply.output.state, body: reply.output.body });
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

/** `running` while a process of the service runs (pid > 0); `wanted` is zinit's target Up. */
export function mapZinitState(body: Pick<ZinitStatus, 'state' | 'pid'> & { target?: string }): ServiceStatus {
  const pid = body.pid > 0 ? body.pid : undefined;
  return { state: pid ? 'running' : 'stopped', pid, detail: body.state, ...(body.target ? { wanted: body.target === 'Up' } : {}) };
}

/** zinit's texts for a name it does not know (mod.rs:34), as zos matches them (zinit.go:15). */
function isUnknownService(body: unknown): boolean {
  return typeof body === 'string' && /^service name ".*" unknown$/.test(body);
}

export class ZinitManager implements ServiceManager {
  readonly kind = 'zinit' as const;
  readonly stopsIdle = true;
  readonly socket: string;
  readonly configDir: string;
  private readonly requestTimeoutMs: number;
  private readonly pollMs: number;
  private readonly settleMs: number;
  private readonly killWaitMs: number;

  constructor(options: ZinitOptions = {}) {
    this.socket = options.socket ?? ZINIT_SOCKET;
    this.configDir = options.configDir ?? ZINIT_CONFIG_DIR;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.pollMs = options.pollMs ?? 100;
    this.settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
    this.killWaitMs = options.killWaitMs ?? 10_000;
  }

  private async command(cmd: string, name: string, extra = ''): Promise<ZinitReply> {
    checkServiceName('zinit', name);
    return zinitRequest(this.socket, `${cmd} ${name}${extra}`, this.requestTimeoutMs);
  }

  private async ok(cmd: string, name: string): Promise<void> {
    const reply = await this.command(cmd, name);
    if (reply.state === 'error') throw serviceError('zinit', name, `refused "${cmd}": ${String(reply.body)}`, undefined);
  }

  /** The raw `status` body, or undefined for a service zinit does not know. */
  async zinitStatus(name: string): Promise<ZinitStatus | undefined> {
    const reply = await this.command('status', name);
    if (reply.state === 'error') {
      if (isUnknownService(reply.body)) return undefined;
      throw serviceError('zinit', name, `refused "status": ${String(reply.body)}`, undefined);
    }
    const b = (reply.body ?? {}) as Partial<ZinitStatus>;
    return {
      name: typeof b.name === 'string' ? b.name : name,
      pid: typeof b.pid === 'number' ? b.pid : 0,
      state: typeof b.state === 'string' ? b.state : 'Unknown',
      target: typeof b.target === 'string' ? b.target : 'Up',
      after: b.after && typeof b.after === 'object' ? b.after : {},
    };
  }

  async status(name: string): Promise<ServiceStatus> {
    const s = await this.zinitStatus(name);
    if (!s) return { state: 'unknown', detail: `service name "${name}" unknown` };
    return mapZinitState(s);
  }

  /** The service file's `oneshot`, `after` and `shutdown_timeout`, from the config directory (missing or unreadable: not known). */
  private serviceFile(name: string): { oneshot?: boolean; after: string[]; shutdownTimeout?: number } {
    try {
      // A service file is read only when it is a regular file, of at most 1 MiB (a FIFO there must not hang zpkg).
      const raw = parseYaml(readBounded(join(this.configDir, `${name}.yaml`), { maxBytes: 1024 * 1024 })?.toString('utf8') ?? '') as { oneshot?: unknown; after?: unknown; shutdown_timeout?: unknown } | null;
      const after = Array.isArray(raw?.after) ? raw.after.map(String) : [];
      const t = raw?.shutdown_timeout;
      return { oneshot: typeof raw?.oneshot === 'boolean' ? raw.oneshot : false, after, ...(typeof t === 'number' && t >= 0 ? { shutdownTimeout: t } : {}) };
    } catch {
      return { after: [] };
    }
  }

  after(name: string): string[] {
    return this.serviceFile(name).after;
  }

  /**
   * StopWait: `stop`, wait until no process runs, `kill NAME SIGKILL` past the
   * timeout — the service file's own `shutdown_timeout` when it declares one
   * (how long its author says a stop takes, config.rs:48), else the caller's.
   */
  async stop(name: string, options: WaitOptions): Promise<StopOutcome> {
    const declared = this.serviceFile(name).shutdownTimeout;
    const timeoutMs = declared !== undefined ? declared * 1000 : options.timeoutMs;
    const reply = await this.command('stop', name);
    if (reply.state === 'error') {
      if (isUnknownService(reply.body)) return {};
      throw serviceError('zinit', name, `refused "stop": ${String(reply.body)}`, undefined);
    }
    const down = (s: ZinitStatus | undefined): boolean => !s || s.pid === 0;
    let last = await this.waitFor(name, down, timeoutMs);
    if (down(last.status)) return {};
    if (last.status?.target === 'Up') throw serviceError('zinit', name, 'was set up again by someone else while zpkg stopped it', mapZinitState(last.status));
    const kill = await this.command('kill', name, ' SIGKILL');
    // `service "x" is down`: it exited between the last status and the kill.
    if (kill.state === 'error' && !/ is down$/.test(String(kill.body)) && !isUnknownService(kill.body)) {
      throw serviceError('zinit', name, `did not stop within ${timeoutMs} ms and refused "kill SIGKILL": ${String(kill.body)}`, last.status ? mapZinitState(last.status) : undefined);
    }
    last = await this.waitFor(name, down, this.killWaitMs);
    if (!down(last.status)) throw serviceError('zinit', name, `did not stop within ${timeoutMs} ms, nor within ${this.killWaitMs} ms of SIGKILL`, mapZinitState(last.status!));
    return { killed: true, afterMs: timeoutMs };
  }

  /** StartWait after `start` (a forgotten name is monitored instead). */
  async start(name: string, { timeoutMs }: WaitOptions): Promise<void> {
    const reply = await this.command('start', name);
    if (reply.state === 'error') {
      if (!isUnknownService(reply.body)) throw serviceError('zinit', name, `refused "start": ${String(reply.body)}`, undefined);
      await this.ok('monitor', name);
    }
    await this.waitUp(name, timeoutMs);
  }

  /** `monitor` (zinit starts it), `start` when already monitored; then StartWait. */
  async monitor(name: string, { timeoutMs }: WaitOptions): Promise<void> {
    const reply = await this.command('monitor', name);
    if (reply.state === 'error') {
      if (!/already monitored/.test(String(reply.body))) {
        throw serviceError('zinit', name, `refused "monitor": ${String(reply.body)}`, undefined, `zinit reads ${join(this.configDir, `${name}.yaml`)}; is it there and valid?`);
      }
      await this.ok('start', name);
    }
    await this.waitUp(name, timeoutMs);
  }

  /** Unregisters a stopped service. Not monitored: nothing to do. Its target still Up or a process still running: an error. */
  async forget(name: string): Promise<void> {
    const reply = await this.command('forget', name);
    if (reply.state === 'ok' || isUnknownService(reply.body)) return;
    throw serviceError('zinit', name, `refused "forget": ${String(reply.body)}`, await this.status(name), 'stop the service before forgetting it');
  }

  /** Sends a signal to the service's process group (`kill NAME SIGNAL`). */
  async kill(name: string, signal: string): Promise<void> {
    if (!/^SIG[A-Z0-9]+$/.test(signal)) throw new ZpkgError('E_SERVICE', `zinit: not a signal name: ${signal}`);
    const reply = await this.command('kill', name, ` ${signal}`);
    if (reply.state === 'error') throw serviceError('zinit', name, `refused "kill ${signal}": ${String(reply.body)}`, undefined);
  }

  private async waitFor(name: string, done: (s: ZinitStatus | undefined) => boolean, timeoutMs: number): Promise<{ status: ZinitStatus | undefined }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.zinitStatus(name);
      if (done(status) || Date.now() >= deadline) return { status };
      await sleep(Math.min(this.pollMs, Math.max(1, deadline - Date.now())));
    }
  }

  /**
   * Up: a oneshot in Success; a daemon Running and still Running with the
   * same pid `settleMs` later. Fails at once when zinit cannot spawn it
   * (Failure), when a oneshot ended in Error (never retried), or when its
   * target went Down (commands.go:347-352); else at the timeout.
   */
  private async waitUp(name: string, timeoutMs: number): Promise<void> {
    const { oneshot } = this.serviceFile(name);
    const deadline = Date.now() + timeoutMs;
    let last: ZinitStatus | undefined;
    let lastRunning: ZinitStatus | undefined;
    const fail = (what: string, hint = 'look at `zinit log` for the service'): never => {
      throw serviceError('zinit', name, what, last ? mapZinitState(last) : undefined, hint);
    };
    for (;;) {
      last = await this.zinitStatus(name);
      if (!last) fail('is not monitored by zinit');
      const s = last!;
      if (s.target === 'Down') fail('was set down by someone else while zpkg started it');
      if (s.state === 'Success' && oneshot !== false) return;
      if (s.state === 'Running' && oneshot !== true) {
        if (this.settleMs <= 0) return;
        await sleep(this.settleMs);
        const again = await this.zinitStatus(name);
        if (again && again.state === 'Running' && again.pid === s.pid) return;
        lastRunning = s;
        last = again;
      } else if (s.state === 'Failure') fail('could not be spawned by zinit (Failure: a missing executable, a bad command line or working directory)');
      else if (oneshot === true && s.state.startsWith('Error')) fail(`ran and failed (${s.state})`);
      if (Date.now() >= deadline) {
        if (lastRunning) fail(`came up but did not stay up (pid ${lastRunning.pid} exited within ${this.settleMs} ms)`);
        fail(oneshot ? `did not finish within ${timeoutMs} ms` : `did not come up within ${timeoutMs} ms`);
      }
      await sleep(Math.min(this.pollMs, Math.max(1, deadline - Date.now())));
    }
  }
}
