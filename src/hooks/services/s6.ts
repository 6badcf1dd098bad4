/**
 * s6: the service directory is `<scandir>/<name>` (the directory s6-svscan
 * watches; often /run/service).
 *
 *   status  `s6-svstat -o up,pid DIR`        → "true 123" | "false -1"
 *   stop    `s6-svc -d DIR`, then `s6-svwait -D -t MS DIR`
 *   start   `s6-svc -u DIR`, then `s6-svwait -U -t MS DIR` (up and ready) when the service
 *           declares readiness (a `notification-fd` file), else `s6-svwait -u` (up: s6 never
 *           marks such a service ready), then a settle check
 *   reload  `s6-svc -h DIR`
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkServiceName, confirmRunning, DEFAULT_SETTLE_MS, runTool, serviceError } from './common.js';
import type { ServiceManager, ServiceStatus, WaitOptions } from './types.js';

export interface S6Options {
  /** The scan directory s6-svscan watches. Default /run/service. */
  scandir?: string;
  /** Where s6-svc, s6-svstat, s6-svwait live. Default: on PATH. */
  binDir?: string;
  settleMs?: number;
}

export function parseSvstat(output: string): ServiceStatus {
  const [up, pid] = output.trim().split(/\s+/);
  if (up === 'true') {
    const n = Number(pid);
    return { state: 'running', pid: Number.isInteger(n) && n > 0 ? n : undefined, detail: 'up' };
  }
  if (up === 'false') return { state: 'stopped', detail: 'down' };
  return { state: 'unknown', detail: output.trim() || 'no output from s6-svstat' };
}

export class S6Manager implements ServiceManager {
  readonly kind = 's6' as const;
  readonly scandir: string;
  private readonly binDir: string | undefined;
  private readonly settleMs: number;

  constructor(options: S6Options = {}) {
    this.scandir = options.scandir ?? '/run/service';
    this.binDir = options.binDir;
    this.settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  }

  private tool(name: string): string {
    return this.binDir ? join(this.binDir, name) : name;
  }

  private dir(name: string): string {
    checkServiceName('s6', name);
    return join(this.scandir, name);
  }

  async status(name: string): Promise<ServiceStatus> {
    const r = await runTool('s6', this.tool('s6-svstat'), ['-o', 'up,pid', this.dir(name)]);
    if (r.code !== 0) {
      // e.g. "s6-svstat: fatal: unable to read status for DIR: s6-supervise not running"
      const why = r.stderr.trim().replace(/^s6-svstat: fatal: /, '');
      return { state: 'unknown', detail: why || `s6-svstat exited ${r.code}` };
    }
    return parseSvstat(r.stdout);
  }

  async stop(name: string, { timeoutMs }: WaitOptions): Promise<void> {
    const dir = this.dir(name);
    await this.control(name, '-d');
    const w = await runTool('s6', this.tool('s6-svwait'), ['-D', '-t', String(timeoutMs), dir], {
      timeoutMs: timeoutMs + 10_000,
    });
    const last = await this.status(name);
    if (last.state === 'stopped') return;
    throw serviceError('s6', name, w.code === 99 ? `did not stop within ${timeoutMs} ms` : 'could not be stopped', last);
  }

  async start(name: string, { timeoutMs }: WaitOptions): Promise<void> {
    const dir = this.dir(name);
    await this.control(name, '-u');
    const ready = existsSync(join(dir, 'notification-fd')) ? '-U' : '-u';
    await runTool('s6', this.tool('s6-svwait'), [ready, '-t', String(timeoutMs), dir], { timeoutMs: timeoutMs + 10_000 });
    await confirmRunning(this, name, this.settleMs, timeoutMs);
  }

  async reload(name: string): Promise<void> {
    await this.control(name, '-h');
  }

  private async control(name: string, flag: string): Promise<void> {
    const r = await runTool('s6', this.tool('s6-svc'), [flag, this.dir(name)]);
    if (r.code !== 0) {
      const last = await this.status(name);
      throw serviceError('s6', name, `s6-svc ${flag} failed: ${r.stderr.trim()}`, last, `is s6-svscan running on ${this.scandir}?`);
    }
  }
}
