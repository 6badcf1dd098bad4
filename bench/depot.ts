/**
 * Suite `depot` (issue 7): a load test of `zpkg serve` on loopback — autocannon,
 * 64 connections for 20 s (5 s with --quick), GETs of root metadata, a
 * manifest and blobs — reporting requests/s, latency and errors, with nginx
 * serving the same directory as the peer; then a concurrent publish: 8
 * processes publishing at once through the depot, all of which must land.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort, startNginx } from './nginx.js';
import { mustRun, run } from './proc.js';
import type { BenchContext, BenchSuite, SuiteResult } from './suite.js';
import { fmtSeconds, formatTable, round } from './table.js';

const TOKEN = 'bench-token';

async function startDepot(bin: string, dir: string): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const child = spawn(process.execPath, [bin, '--json', 'serve', dir, '--listen', `127.0.0.1:${port}`, '--token', TOKEN], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`zpkg serve exited ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

function srcPackage(dir: string, name: string, files: number): string {
  mkdirSync(join(dir, 'root/usr/share', name), { recursive: true });
  writeFileSync(join(dir, 'zpkg.yaml'), `name: ${name}\nversion: "1.0"\nsummary: bench\nowner: root\ngroup: root\nroot: root\n`);
  for (let f = 0; f < files; f++) writeFileSync(join(dir, 'root/usr/share', name, `f${f}`), `${name} file ${f} `.repeat(200 + f * 50));
  return dir;
}

export const depotSuite: BenchSuite = {
  name: 'depot',
  description: 'load test of `zpkg serve` (autocannon, 64 connections) against nginx; 8 concurrent publishes',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const bin = join(ctx.repoRoot, 'bin/zpkg.js');
    const zpkg = (args: string[]) => mustRun(process.execPath, [bin, ...args]);
    const repo = join(ctx.workDir, 'repo');
    await zpkg(['repo', 'create', repo]);
    await zpkg(['build', srcPackage(join(ctx.workDir, 'seed'), 'seed', 20), '--repo', repo]);
    const records = readdirSync(join(repo, 'manifests'), { recursive: true }).map(String).filter((p) => p.endsWith('.zst'));
    const packs = readdirSync(join(repo, 'packs'), { recursive: true }).map(String).filter((p) => p.endsWith('.pack'));
    // What a client asks: the root metadata, a package record, its pack whole (a fresh install) and by ranges (an update).
    const pack = `/packs/${packs[0]}`;
    const ranges = ['bytes=8-4095', 'bytes=8-1023,4096-8191', 'bytes=-24'];
    const requests = [{ method: 'GET', path: '/root.json' }, { method: 'GET', path: `/manifests/${records[0]}` }, { method: 'GET', path: pack }, ...ranges.map((range) => ({ method: 'GET', path: pack, headers: { range } }))];
    const duration = ctx.quick ? 5 : 20;
    const connections = 64;
    const rows: string[][] = [];
    const data: Record<string, unknown> = { duration, connections };
    const depot = await startDepot(bin, repo);
    const nginx = await startNginx(ctx.workDir, { accessLog: false });
    let depotRps = 0;
    let depotErrors = 0;
    try {
      for (const [server, url, prefix] of [['zpkg serve', depot.url, ''], ['nginx', nginx.url, '/repo']] as const) {
        ctx.log(`load test of ${server}: ${connections} connections, ${duration} s`);
        const r = await autocannon({ url, connections, duration, requests: requests.map((q) => ({ ...q, path: prefix + q.path })) });
        const errors = r.errors + r.timeouts + r.non2xx;
        rows.push([server, String(Math.round(r.requests.average)), `${r.latency.p50} / ${r.latency.p99}`, `${(r.throughput.average / 1e6).toFixed(1)}`, String(r.requests.total), String(errors)]);
        data[server === 'nginx' ? 'nginx' : 'depot'] = { requestsPerSecond: round(r.requests.average, 0), p50ms: r.latency.p50, p99ms: r.latency.p99, total: r.requests.total, errors };
        if (server !== 'nginx') {
          depotRps = r.requests.average;
          depotErrors = errors;
        }
      }
      console.log(formatTable(['server', 'requests/s', 'latency p50 / p99 ms', 'MB/s', 'requests', 'errors'], rows, ['left', 'right', 'right', 'right', 'right', 'right']));

      const N = 8;
      const srcs = Array.from({ length: N }, (_, i) => srcPackage(join(ctx.workDir, `c${i}`), `concurrent${i}`, 10));
      ctx.log(`${N} concurrent publishes`);
      const t0 = performance.now();
      const results = await Promise.all(srcs.map((s) => run(process.execPath, [bin, 'build', s, '--repo', depot.url, '--token', TOKEN])));
      const seconds = (performance.now() - t0) / 1000;
      const failed = results.filter((r) => r.code !== 0).length;
      const list = JSON.parse((await zpkg(['--json', 'repo', 'list', depot.url])).stdout) as { version: number; packages: unknown[] };
      console.log(formatTable(['concurrent publish', 'seconds', 'failed', 'repository version', 'packages'], [[`${N} processes`, fmtSeconds(seconds), String(failed), String(list.version), String(list.packages.length)]]));
      data.concurrentPublish = { processes: N, seconds: round(seconds), failed, version: list.version, packages: list.packages.length };
      return {
        summary: `zpkg serve ${Math.round(depotRps)} req/s, ${depotErrors} errors; ${N} concurrent publishes in ${fmtSeconds(seconds)} s, ${failed} failed`,
        goals: [
          { goal: 'load test: zero errors', status: depotErrors === 0 ? 'met' : 'not met', detail: `${depotErrors} errors in ${duration} s at ${connections} connections` },
          { goal: 'concurrent publishes all land, serialized', status: failed === 0 && list.packages.length === N + 1 ? 'met' : 'not met', detail: `${failed} failed, ${list.packages.length} packages at version ${list.version}` },
        ],
        data,
      };
    } finally {
      depot.stop();
      await nginx.stop();
    }
  },
};
