/** Real servers on loopback for backend tests: nginx, s3rver, a misbehaving static server, the depot. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../bench/nginx.js';
import { BIN, REPO_ROOT, ok, tempDir, TRUST } from './zpkg.js';

export { freePort, startNginx } from '../../bench/nginx.js';

export interface Server {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** The server's process. */
  pid?: number;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
}

/** Spawns a child that prints one JSON line once ready (`{"port": N}` or the depot's `{"listening": URL}`), and waits for it. */
async function spawnReady(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcess; ready: any }> {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const ready = await new Promise<any>((resolve, reject) => {
    // Bounds a hang only (a busy machine starts a server slowly, never this slowly).
    const timer = setTimeout(() => reject(new Error(`${cmd} ${args.join(' ')} did not start within a minute: ${err}`)), 60_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(JSON.parse(out.slice(0, nl)));
      }
    });
    child.once('exit', (code) => reject(new Error(`${cmd} exited ${code}: ${err}`)));
  });
  return { child, ready };
}

export const S3_ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };

/** s3rver on loopback with a bucket `zpkg`; `url(prefix)` is the s3:// URL of a repository under it. */
export async function startS3(): Promise<Server & { repoUrl(prefix: string): string }> {
  const { child, ready } = await spawnReady(process.execPath, [join(REPO_ROOT, 'test/servers/s3rver.mjs'), tempDir('zpkg-s3-')]);
  const port = ready.port as number;
  const endpoint = `http://127.0.0.1:${port}`;
  return { url: endpoint, port, stop: stopper(child), repoUrl: (prefix) => `s3://zpkg/${prefix}?endpoint=${encodeURIComponent(endpoint)}&path-style=1&region=us-east-1` };
}

/** Namespaces of the zdb model: a password, and whether a client without it may read. */
export interface ZdbNamespaces {
  [name: string]: { password?: string; public?: boolean };
}

/** The 0-db model (test/servers/zdb.mjs) on loopback; `log` gets one JSON line per command it executes. */
export async function startZdb(namespaces: ZdbNamespaces, log?: string): Promise<Server> {
  const { child, ready } = await spawnReady(process.execPath, [join(REPO_ROOT, 'test/servers/zdb.mjs'), JSON.stringify({ namespaces, log })]);
  return { url: `127.0.0.1:${ready.port}`, port: ready.port, stop: stopper(child) };
}

/** The misbehaving static server (test/servers/flaky.mjs). */
export async function startFlaky(dir: string, env: { FAIL_FIRST?: number; CUT?: number; LOG?: string; IGNORE_RANGE?: number; DELAY_MS?: number; PACE_MS?: number; ENDLESS?: string; HUGE?: string; ENDLESS_PART?: string } = {}): Promise<Server> {
  const e = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
  const { child, ready } = await spawnReady(process.execPath, [join(REPO_ROOT, 'test/servers/flaky.mjs'), dir], e);
  return { url: `http://127.0.0.1:${ready.port}`, port: ready.port, stop: stopper(child) };
}

/** `zpkg serve DIR` as a child process with the given publish tokens. */
export async function startDepot(dir: string, tokens: string[]): Promise<Server> {
  const port = await freePort();
  const { child, ready } = await spawnReady(process.execPath, [BIN, '--json', 'serve', dir, '--listen', `127.0.0.1:${port}`, ...tokens.flatMap((t) => ['--token', t])]);
  return { url: ready.listening as string, port, stop: stopper(child), pid: child.pid! };
}

/**
 * The one way these tests add a remote, so that one place changes when
 * remotes need a trusted key (`--key`) or `--insecure`.
 */
export function addRemote(root: string, name: string, url: string, extra: string[] = []): void {
  ok(remoteAddArgs(root, name, url, extra));
}

/** The argv of `remote add`, for tests that expect it to fail. */
export function remoteAddArgs(root: string, name: string, url: string, extra: string[] = []): string[] {
  return ['--root', root, '--json', 'remote', 'add', name, url, ...TRUST, ...extra];
}
