/**
 * zinit for the tests: the model of scripts/zinit-model.mjs (written from
 * zinit v0.2.14's source) run as a process of its own, as a real zinit runs
 * beside zpkg, on a test image that looks like a zos initramfs: a static
 * busybox for /bin/sh and the few programs services use, `dev/` and `proc/`
 * mount points, `etc/zinit/`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { zinitRequest, type ZinitReply, type ZinitStatus } from '../../src/hooks/services/zinit.js';
import { REPO_ROOT } from './zpkg.js';
import { until } from './process.js';

export const MODEL = join(REPO_ROOT, 'scripts/zinit-model.mjs');
/** busybox-static (Debian): one static binary, so the image needs no libc. */
export const BUSYBOX = '/usr/bin/busybox';
/** The applets a test image links to busybox. */
export const APPLETS = ['sh', 'sleep', 'true', 'false', 'echo', 'cat', 'ls', 'rm', 'touch', 'mkdir', 'grep', 'kill', 'mountpoint', 'test', 'date', 'env', 'id'];

/** Makes `root` look like a fresh zos initramfs: busybox and its applets, dev/, proc/, tmp/, run/, etc/zinit/. */
export function makeInitramfs(root: string): void {
  for (const d of ['bin', 'dev', 'proc', 'tmp', 'run', 'etc/zinit']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync(BUSYBOX, join(root, 'bin/busybox'));
  for (const a of APPLETS) if (!existsSync(join(root, 'bin', a))) symlinkSync('busybox', join(root, 'bin', a));
}

/** A daemon for a test image: records `VERSION PID` in /tmp/NAME.version, `stop NAME VERSION` in /tmp/events on TERM (or ignores TERM); `crash` exits at once. */
export function daemon(name: string, version: string, opts: { ignoreTerm?: boolean; crash?: boolean } = {}): { content: string; mode: number } {
  if (opts.crash) return { content: `#!/bin/sh\n# ${name} ${version}\necho "${name} ${version} cannot start" >&2\nexit 1\n`, mode: 0o755 };
  const trap = opts.ignoreTerm ? "trap '' TERM" : `trap 'echo "stop ${name} ${version}" >> /tmp/events; exit 0' TERM`;
  return { content: `#!/bin/sh\n# ${name} ${version}\necho "${version} $$" > /tmp/${name}.version\n${trap}\nwhile :; do sleep 0.1; done\n`, mode: 0o755 };
}

export class ZinitProcess {
  readonly lines: string[] = [];
  private constructor(
    readonly socket: string,
    readonly trace: string,
    private readonly child: ChildProcess,
  ) {}

  /** Starts the model on `root` (its etc/zinit is zinit's config directory) and waits until it listens. */
  static async start(root: string, work: string, name = 'zinit'): Promise<ZinitProcess> {
    const socket = join(work, `${name}.sock`);
    const trace = join(work, `${name}.trace`);
    rmSync(trace, { force: true });
    const child = spawn(process.execPath, [MODEL, '--socket', socket, '--config', join(root, 'etc/zinit'), '--root', root, '--trace', trace], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`zinit-model exited ${code} before it was ready`)));
    });
    return new ZinitProcess(socket, trace, child);
  }

  /** Every command line the model received so far. */
  commands(): string[] {
    try {
      return readFileSync(this.trace, 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  /** Commands other than status and list, from `from` on. */
  actions(from = 0): string[] {
    return this.commands().slice(from).filter((l) => !/^(status|list)\b/.test(l));
  }

  request(line: string): Promise<ZinitReply> {
    return zinitRequest(this.socket, line);
  }

  async status(name: string): Promise<ZinitStatus | undefined> {
    const r = await this.request(`status ${name}`);
    return r.state === 'ok' ? (r.body as ZinitStatus) : undefined;
  }

  /** Waits until `name` is in `state` (a prefix: `Error` matches `Error(…)`). */
  async until(name: string, state: string): Promise<ZinitStatus> {
    return until(`${name} to be ${state}`, async () => {
      const s = await this.status(name);
      return s && s.state.startsWith(state) ? s : undefined;
    });
  }

  /** Shuts the model down as zinit would (services stopped in order), then makes sure it is gone. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const gone = new Promise((r) => this.child.on('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 60_000);
    await gone;
    clearTimeout(timer);
  }
}
