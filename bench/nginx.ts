/**
 * nginx (Debian nginx-light) serving a directory on a loopback port, with its
 * own prefix, config and access log: how the benchmarks and the tests stand
 * up "any static web server" in front of a repository.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Nginx {
  url: string;
  port: number;
  /** One line per request: `METHOD URI STATUS RANGE`. */
  accessLog: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface NginxOptions {
  accessLog?: boolean;
  /** Serve with Debian's /etc/nginx/mime.types (web pages need text/html; repository files do not care). */
  mimeTypes?: boolean;
}

export async function startNginx(dir: string, options: NginxOptions = {}): Promise<Nginx> {
  const prefix = mkdtempSync(join(tmpdir(), 'zpkg-nginx-'));
  for (const t of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(prefix, t));
  const port = await freePort();
  const accessLog = join(prefix, 'access.log');
  // As root the workers would drop to `nobody`, who cannot read a private temporary directory.
  const user = process.getuid?.() === 0 ? 'user root root;\n' : '';
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `${user}worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log;
events { worker_connections 1024; }
http {
  log_format zpkg '$request_method $uri $status $http_range';
  access_log ${options.accessLog === false ? 'off' : `${accessLog} zpkg`};
  sendfile on;
  keepalive_requests 100000;
  client_body_temp_path ${prefix}/body; proxy_temp_path ${prefix}/proxy; fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi; scgi_temp_path ${prefix}/scgi;
  default_type application/octet-stream;${options.mimeTypes ? '\n  include /etc/nginx/mime.types; charset utf-8;' : ''}
  server { listen 127.0.0.1:${port}; root ${dir}; location / { } }
}
`,
  );
  const child = spawn('nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  // Bounds a hang only: a machine busy with other work starts nginx slowly, never this slowly.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`nginx did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    accessLog,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
