/**
 * Proxies (issue 17): `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` and `proxy:` in the
 * image's zpkg.yaml, through undici's ProxyAgent. A real proxy from Debian
 * (tinyproxy) on loopback in front of real nginx: an http remote as a forward
 * request, an https remote (nginx with a self-signed certificate the zpkg
 * process trusts through NODE_EXTRA_CA_CERTS) through a CONNECT tunnel. The
 * proxy's own log proves each request went through it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishLifecycle, writeImageConfig } from './helpers/lifecycle.js';
import { freePort, startNginx, type Nginx } from './helpers/servers.js';
import { ok, tempDir, TRUST, zpkg } from './helpers/zpkg.js';

const work = tempDir('zpkg-proxy-');
const repo = join(work, 'repo');
const cert = join(work, 'cert.pem');
const key = join(work, 'key.pem');
let serial = 0;
let http: Nginx;
let https: { url: string; stop(): Promise<void> };
let proxy: { url: string; log: string; stop(): Promise<void> };
/** A tinyproxy that asks for `zpkg:s3cret` (BasicAuth). */
let authProxy: { url: string; log: string; stop(): Promise<void> };
/** A port nothing listens on: a proxy there refuses every connection. */
let deadProxy: string;

/** Every proxy variable cleared, then `extra`: what the test's own environment holds does not leak in. */
function env(extra: Record<string, string> = {}): Record<string, string> {
  const clear = Object.fromEntries(['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY'].map((k) => [k, '']));
  return { ...clear, NODE_EXTRA_CA_CERTS: cert, ...extra };
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
}

async function waitForPort(port: number, child: ChildProcess, what: string): Promise<void> {
  const { connect } = await import('node:net');
  // Bounds a hang only.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) return;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${what} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** nginx with TLS on loopback, serving `dir` (a certificate for IP 127.0.0.1). */
async function startHttpsNginx(dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const prefix = join(work, 'nginx-tls');
  for (const t of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(prefix, t), { recursive: true });
  const port = await freePort();
  const user = process.getuid?.() === 0 ? 'user root root;\n' : '';
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `${user}worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log;
events { worker_connections 256; }
http {
  access_log ${prefix}/access.log;
  client_body_temp_path ${prefix}/body; proxy_temp_path ${prefix}/proxy; fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi; scgi_temp_path ${prefix}/scgi;
  default_type application/octet-stream;
  server { listen 127.0.0.1:${port} ssl; ssl_certificate ${cert}; ssl_certificate_key ${key}; root ${dir}; location / { } }
}
`,
  );
  const child = spawn('nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
  await waitForPort(port, child, 'nginx (TLS)');
  return { url: `https://127.0.0.1:${port}`, stop: stopper(child) };
}

/** tinyproxy (Debian) on loopback, logging every request it serves; `extra` config lines (BasicAuth). */
async function startTinyproxy(name = 'tinyproxy', extra = ''): Promise<{ url: string; log: string; stop(): Promise<void> }> {
  const port = await freePort();
  const log = join(work, `${name}.log`);
  const conf = join(work, `${name}.conf`);
  // No Allow and no ConnectPort lines: every client and every CONNECT port (tinyproxy.conf(5)); loopback only.
  writeFileSync(conf, `Port ${port}\nListen 127.0.0.1\nTimeout 600\nLogFile "${log}"\nLogLevel Info\nMaxClients 100\n${extra}`);
  const child = spawn('tinyproxy', ['-d', '-c', conf], { stdio: 'ignore' });
  await waitForPort(port, child, 'tinyproxy');
  return { url: `http://127.0.0.1:${port}`, log, stop: stopper(child) };
}

const proxyLog = (): string => readFileSync(proxy.log, 'utf8');

function freshImage(url: string, config = ''): string {
  const root = join(work, `image-${++serial}`);
  writeImageConfig(root, `hooks:\n  mode: host\n${config}`);
  ok(['--root', root, 'remote', 'add', 'main', url, ...TRUST]);
  return root;
}

beforeAll(async () => {
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);
  await publishLifecycle(repo, work, [{ name: 'app', version: '1', files: { 'usr/bin/app': 'app one' } }]);
  http = await startNginx(repo);
  https = await startHttpsNginx(repo);
  proxy = await startTinyproxy();
  authProxy = await startTinyproxy('tinyproxy-auth', 'BasicAuth zpkg s3cret\n');
  deadProxy = `http://127.0.0.1:${await freePort()}`;
}, 600_000);

afterAll(async () => {
  await Promise.all([http?.stop(), https?.stop(), proxy?.stop(), authProxy?.stop()]);
});

describe('proxies', () => {
  it('HTTP_PROXY: an http remote is read through the proxy as forward requests', () => {
    const root = freshImage(http.url);
    const r = zpkg(['--root', root, 'install', 'app', '--json'], { env: env({ HTTP_PROXY: proxy.url }) });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(join(root, 'usr/bin/app'), 'utf8')).toBe('app one');
    expect(proxyLog()).toContain(`GET ${http.url}/root.json`);
    expect(proxyLog()).toMatch(new RegExp(`GET ${http.url}/packs/`));
  });

  it('HTTPS_PROXY: an https remote is read through a CONNECT tunnel (TLS end to end)', () => {
    const root = freshImage(https.url);
    const before = proxyLog().split(`CONNECT ${https.url.slice('https://'.length)}`).length;
    const r = zpkg(['--root', root, 'install', 'app', '--json'], { env: env({ HTTPS_PROXY: proxy.url }) });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(join(root, 'usr/bin/app'), 'utf8')).toBe('app one');
    expect(proxyLog().split(`CONNECT ${https.url.slice('https://'.length)}`).length).toBeGreaterThan(before);
  });

  it('`proxy:` in zpkg.yaml is used without any variable; a variable overrides it', () => {
    const root = freshImage(https.url, `proxy: ${proxy.url}\n`);
    const before = proxyLog().length;
    const r = zpkg(['--root', root, 'refresh', '--json'], { env: env() });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(proxyLog().slice(before)).toContain(`CONNECT ${https.url.slice('https://'.length)}`);
    // The file names a dead proxy; HTTPS_PROXY for this command wins.
    const other = freshImage(https.url, `proxy:\n  http: ${deadProxy}\n  https: ${deadProxy}\n`);
    expect(zpkg(['--root', other, 'refresh'], { env: env({ HTTPS_PROXY: proxy.url }) }).status).toBe(0);
  });

  it('a dead proxy fails with E_REMOTE_UNREACHABLE naming the proxy; NO_PROXY (env or file) reaches the host directly', () => {
    const root = freshImage(http.url);
    const dead = zpkg(['--root', root, 'refresh', '--json'], { env: env({ HTTP_PROXY: deadProxy }) });
    expect(dead.status).toBe(1);
    expect(dead.json.error.code).toBe('E_REMOTE_UNREACHABLE');
    expect(dead.json.error.message).toContain(`through the proxy ${deadProxy}`);
    expect(zpkg(['--root', root, 'refresh'], { env: env({ HTTP_PROXY: deadProxy, NO_PROXY: '127.0.0.1' }) }).status).toBe(0);
    const viaFile = freshImage(http.url, `proxy:\n  http: ${deadProxy}\n  no-proxy: [localhost, 127.0.0.1]\n`);
    expect(zpkg(['--root', viaFile, 'refresh'], { env: env() }).status).toBe(0);
  });

  it('a proxy that asks for credentials: E_AUTH without them (forward and CONNECT), through with them in the URL', () => {
    const withCreds = authProxy.url.replace('http://', 'http://zpkg:s3cret@');
    for (const remote of [http.url, https.url]) {
      const root = freshImage(remote);
      const vars = (p: string) => env(remote.startsWith('https') ? { HTTPS_PROXY: p } : { HTTP_PROXY: p });
      const refused = zpkg(['--root', root, 'refresh', '--json'], { env: vars(authProxy.url) });
      expect(refused.status).toBe(1);
      expect(refused.json.error.code).toBe('E_AUTH');
      expect(refused.json.error.message).toContain('407');
      expect(refused.json.error.message).not.toContain('s3cret');
      const r = zpkg(['--root', root, 'install', 'app', '--json'], { env: vars(withCreds) });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout + r.stderr).not.toContain('s3cret');
    }
  });

  it('a bad `proxy:` is E_CONFIG_INVALID naming the key, and nothing is read', () => {
    for (const [config, what] of [
      ['proxy: ftp://proxy.lan:21\n', '`proxy`'],
      ['proxy:\n  https: not a url\n', '`proxy.https`'],
      ['proxy:\n  socks: http://x:1\n', 'proxy.socks'],
    ] as const) {
      const root = freshImage(http.url, config);
      const r = zpkg(['--root', root, 'refresh', '--json'], { env: env() });
      expect(r.status).toBe(1);
      expect(r.json.error.code).toBe('E_CONFIG_INVALID');
      expect(r.json.error.message).toContain(what);
    }
  });
});
