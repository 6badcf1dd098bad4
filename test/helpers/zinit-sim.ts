/**
 * A server speaking zinit v0.2's socket protocol (docs/protocol.md): one
 * command line in, one JSON reply {"state":"ok"|"error","body":…}, then the
 * server closes the connection. Services are simulated: their processes are
 * pids the simulator hands out, and `monitor NAME` loads NAME.yaml from the
 * simulator's config directory (zinit's /etc/zinit) or its table of configs.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';

export type Behaviour = 'ok' | 'crash' | 'slow';

export interface SimService {
  name: string;
  pid: number;
  state: string;
  target: 'Up' | 'Down';
  behaviour: Behaviour;
}

export class ZinitSim {
  /** Every command line received, in order. */
  readonly lines: string[] = [];
  readonly services = new Map<string, SimService>();
  /** Service files known without a config directory. */
  readonly configs = new Map<string, Behaviour>();
  private server: Server | undefined;
  private nextPid = 1000;

  constructor(
    readonly socket: string,
    private readonly configDir?: string,
  ) {}

  start(): Promise<void> {
    this.server = createServer((conn) => {
      let buf = '';
      conn.setEncoding('utf8');
      conn.on('data', (chunk: string) => {
        buf += chunk;
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        const line = buf.slice(0, nl);
        this.lines.push(line);
        conn.end(JSON.stringify(this.reply(line)));
      });
      conn.on('error', () => {});
    });
    return new Promise((resolve) => this.server!.listen(this.socket, resolve));
  }

  close(): void {
    this.server?.close();
  }

  /** Adds a service already monitored, stopped. */
  add(name: string, behaviour: Behaviour): SimService {
    const s: SimService = { name, pid: 0, state: 'Success', target: 'Down', behaviour };
    this.services.set(name, s);
    return s;
  }

  spawn(s: SimService): void {
    s.target = 'Up';
    s.pid = this.nextPid++;
    s.state = 'Spawned';
    const pid = s.pid;
    setTimeout(() => {
      if (s.pid !== pid || s.target !== 'Up') return;
      if (s.behaviour === 'ok') s.state = 'Running';
      else if (s.behaviour === 'crash') {
        s.state = `Error(Exited(Pid(${pid}), 1))`;
        s.pid = 0;
      }
      // 'slow': stays Spawned (its test never passes)
    }, 100);
  }

  private behaviourOf(name: string): Behaviour | undefined {
    if (this.configDir && existsSync(join(this.configDir, `${name}.yaml`))) return 'ok';
    return this.configs.get(name);
  }

  private reply(line: string): { state: 'ok' | 'error'; body: unknown } {
    const [cmd, name = ''] = line.trim().split(/\s+/);
    const s = this.services.get(name);
    const unknown = { state: 'error' as const, body: `service name "${name}" unknown` };
    switch (cmd) {
      case 'status':
        if (!s) return unknown;
        return { state: 'ok', body: { after: {}, name: s.name, pid: s.pid, state: s.state, target: s.target } };
      case 'start':
        if (!s) return unknown;
        if (s.pid === 0) this.spawn(s);
        else s.target = 'Up';
        return { state: 'ok', body: null };
      case 'stop':
        if (!s) return unknown;
        s.target = 'Down';
        if (s.pid !== 0) {
          const pid = s.pid;
          setTimeout(() => {
            if (s.pid !== pid) return;
            s.state = `Error(Signaled(Pid(${pid}), SIGTERM, false))`;
            s.pid = 0;
          }, 100);
        }
        return { state: 'ok', body: null };
      case 'monitor': {
        if (s) return { state: 'error', body: `service name "${name}" already monitored` };
        const behaviour = this.behaviourOf(name);
        if (!behaviour) return { state: 'error', body: `open /etc/zinit/${name}.yaml: No such file or directory` };
        const created: SimService = { name, pid: 0, state: 'Unknown', target: 'Up', behaviour };
        this.services.set(name, created);
        this.spawn(created);
        return { state: 'ok', body: null };
      }
      case 'forget':
        if (!s) return unknown;
        if (s.target === 'Up' || s.pid !== 0) return { state: 'error', body: `service "${name}" is up` };
        this.services.delete(name);
        return { state: 'ok', body: null };
      default:
        return { state: 'error', body: `unknown command '${cmd}'` };
    }
  }
}
