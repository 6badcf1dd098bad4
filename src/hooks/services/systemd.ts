/**
 * systemd: `systemctl` (`start`/`stop` block until the job is done).
 *
 *   status  `systemctl is-active NAME` + `systemctl show -p MainPID --value NAME`
 *   stop    `systemctl stop NAME`, then is-active must not be active
 *   start   `systemctl start NAME`, then a settle check
 *   reload  `systemctl reload NAME`
 *
 * Not tested against a real systemd: the test machine's PID 1 is not systemd.
 */
import { checkServiceName, confirmRunning, DEFAULT_SETTLE_MS, runTool, serviceError } from './common.js';
import type { ServiceManager, ServiceStatus, WaitOptions } from './types.js';

export interface SystemdOptions {
  systemctl?: string;
  settleMs?: number;
}

export class SystemdManager implements ServiceManager {
  readonly kind = 'systemd' as const;
  private readonly systemctl: string;
  private readonly settleMs: number;

  constructor(options: SystemdOptions = {}) {
    this.systemctl = options.systemctl ?? 'systemctl';
    this.settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  }

  private run(args: string[], timeoutMs?: number) {
    return runTool('systemd', this.systemctl, args, { timeoutMs });
  }

  async status(name: string): Promise<ServiceStatus> {
    checkServiceName('systemd', name);
    const active = (await this.run(['is-active', name])).stdout.trim();
    if (active === 'active' || active === 'reloading') {
      const pid = Number((await this.run(['show', '-p', 'MainPID', '--value', name])).stdout.trim());
      return { state: 'running', pid: Number.isInteger(pid) && pid > 0 ? pid : undefined, detail: active };
    }
    if (active === 'inactive' || active === 'failed') return { state: 'stopped', detail: active };
    return { state: 'unknown', detail: active || 'no answer from systemctl' };
  }

  async stop(name: string, { timeoutMs }: WaitOptions): Promise<void> {
    checkServiceName('systemd', name);
    const r = await this.run(['stop', name], timeoutMs);
    const last = await this.status(name);
    if (last.state === 'stopped') return;
    throw serviceError('systemd', name, `could not be stopped: ${r.stderr.trim()}`, last);
  }

  async start(name: string, { timeoutMs }: WaitOptions): Promise<void> {
    checkServiceName('systemd', name);
    const r = await this.run(['start', name], timeoutMs);
    if (r.code !== 0) {
      throw serviceError('systemd', name, `could not be started: ${r.stderr.trim()}`, await this.status(name), `look at \`journalctl -u ${name}\``);
    }
    await confirmRunning(this, name, this.settleMs, timeoutMs);
  }

  async reload(name: string): Promise<void> {
    checkServiceName('systemd', name);
    const r = await this.run(['reload', name]);
    if (r.code !== 0) throw serviceError('systemd', name, `could not be reloaded: ${r.stderr.trim()}`, await this.status(name));
  }
}
