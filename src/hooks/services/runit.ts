/**
 * runit: drives `sv` with SVDIR set to the supervision directory (the one
 * `runsvdir` scans; Debian's default is /etc/service).
 *
 *   status  `sv status NAME`        run: NAME: (pid 123) 5s | down: NAME: 3s, normally up | finish: … | fail: …
 *   stop    `sv -w SECS down NAME`  (TERM then CONT; waits until down)
 *   start   `sv -w SECS up NAME`    (waits until run), then a settle check
 *   reload  `sv hup NAME`
 */
import { checkServiceName, confirmRunning, DEFAULT_SETTLE_MS, runTool, seconds, serviceError } from './common.js';
import type { ServiceManager, ServiceStatus, WaitOptions } from './types.js';

export interface RunitOptions {
  /** The directory runsvdir scans. Default: $SVDIR, else /etc/service. */
  svdir?: string;
  /** The `sv` executable. Default: `sv` on PATH. */
  sv?: string;
  /** How long a started service must keep its pid to count as up. */
  settleMs?: number;
}

export function parseSvStatus(output: string): ServiceStatus {
  const line = (output.split('\n').find((l) => l.trim() !== '') ?? '').trim();
  // The main service's part only; `; run: log: …` describes its logger.
  const main = line.split(';')[0] ?? '';
  const m = /^([a-z]+):/.exec(main);
  const word = m?.[1];
  const pid = /\(pid (\d+)\)/.exec(main);
  if (word === 'run') return { state: 'running', pid: pid ? Number(pid[1]) : undefined, detail: main };
  if (word === 'down' || word === 'finish') return { state: 'stopped', detail: main };
  return { state: 'unknown', detail: main || 'no output from sv' };
}

export class RunitManager implements ServiceManager {
  readonly kind = 'runit' as const;
  readonly svdir: string;
  private readonly sv: string;
  private readonly settleMs: number;

  constructor(options: RunitOptions = {}) {
    this.svdir = options.svdir ?? process.env['SVDIR'] ?? '/etc/service';
    this.sv = options.sv ?? 'sv';
    this.settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  }

  private run(args: string[], timeoutMs = 30_000) {
    return runTool('runit', this.sv, args, { env: { ...process.env, SVDIR: this.svdir }, timeoutMs });
  }

  async status(name: string): Promise<ServiceStatus> {
    checkServiceName('runit', name);
    const r = await this.run(['status', name]);
    return parseSvStatus(r.stdout || r.stderr);
  }

  async stop(name: string, { timeoutMs }: WaitOptions): Promise<void> {
    checkServiceName('runit', name);
    const r = await this.run(['-w', String(seconds(timeoutMs)), 'down', name], timeoutMs + 10_000);
    const last = await this.status(name);
    if (last.state === 'stopped') return;
    const what = r.stdout.startsWith('timeout:') ? `did not stop within ${timeoutMs} ms` : 'could not be stopped';
    throw serviceError('runit', name, what, last, unsupervisedHint(last, this.svdir));
  }

  async start(name: string, { timeoutMs }: WaitOptions): Promise<void> {
    checkServiceName('runit', name);
    await this.run(['-w', String(seconds(timeoutMs)), 'up', name], timeoutMs + 10_000);
    const last = await this.status(name);
    if (last.state === 'unknown') {
      throw serviceError('runit', name, 'could not be started', last, unsupervisedHint(last, this.svdir));
    }
    await confirmRunning(this, name, this.settleMs, timeoutMs);
  }

  async reload(name: string): Promise<void> {
    checkServiceName('runit', name);
    const r = await this.run(['hup', name]);
    if (r.code !== 0) {
      throw serviceError('runit', name, `could not be sent HUP: ${(r.stdout + r.stderr).trim()}`, await this.status(name));
    }
  }
}

function unsupervisedHint(last: ServiceStatus, svdir: string): string | undefined {
  return last.state === 'unknown' ? `is runsvdir running on ${svdir}, and does ${svdir}/<service>/run exist?` : undefined;
}
