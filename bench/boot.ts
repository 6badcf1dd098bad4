/**
 * Suite `boot` (issue 13 §4): a diskless zos node boots a fresh root and
 * `zpkg sync --boot --set RELEASE` installs the release into it, its state and
 * content cache on a persistent disk. Measured side by side in one run, from
 * a directory repository and from nginx over loopback: with the cache warm
 * (the usual boot: nothing fetched) and empty (the first boot, or a wiped
 * disk: everything fetched). A release of 32 packages and 3,200 files plus
 * its set package; the root is a directory on this machine's disk (a node's
 * is a RAM filesystem), so the runs pass --unsafe-io, as a RAM root needs no
 * sync. Median of the repetitions; each run rebuilds the root first. The CPU
 * column is zpkg's own (user + system, GNU time): on a shared machine the wall
 * time grows with the load, the CPU time hardly does; the load average is
 * printed with the table.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNginx } from './nginx.js';
import { loadavg } from 'node:os';
import { median, mustRun, timed, type TimedResult } from './proc.js';
import type { BenchContext, BenchSuite, GoalResult, SuiteResult } from './suite.js';
import { fmtInt, fmtMB, fmtRatio, fmtSeconds, formatTable, round } from './table.js';

function content(pkg: number, file: number): Buffer {
  const size = 512 + ((pkg * 7919 + file * 104729) % (12 * 1024));
  const seed = createHash('sha256').update(`boot/${pkg}/${file}`).digest();
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = i % 3 === 0 ? seed[i % 32]! ^ (i & 0xff) : 97 + (i % 26);
  return out;
}

interface Boot {
  seconds: number;
  /** CPU of the zpkg process (user + system), which the machine's load does not inflate. */
  cpu: number | null;
  fetched: number;
  blobs: number;
  bytes: number;
  installed: number;
}

async function mustTime(args: string[]): Promise<TimedResult> {
  const r = await timed(process.execPath, args);
  if (r.code !== 0) throw new Error(`${r.command} exited ${r.code}: ${r.stderr.slice(-2000)}`);
  return r;
}

const cpuOf = (r: TimedResult): number | null => (r.userSeconds === null || r.systemSeconds === null ? null : r.userSeconds + r.systemSeconds);

export const bootSuite: BenchSuite = {
  name: 'boot',
  description: 'sync --boot of a 32-package / 3,200-file release into a fresh root: warm cache vs empty, from a directory and from nginx',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const bin = join(ctx.repoRoot, 'bin/zpkg.js');
    const zpkg = (args: string[]) => mustRun(process.execPath, [bin, ...args]);
    const packages = ctx.quick ? 8 : 32;
    const filesPer = 100;
    const repo = join(ctx.workDir, 'repo');
    await zpkg(['repo', 'create', repo]);
    const srcs: string[] = [];
    for (let p = 0; p < packages; p++) {
      const src = join(ctx.workDir, 'src', `svc${p}`);
      mkdirSync(join(src, 'root/usr/lib', `svc${p}`), { recursive: true });
      writeFileSync(join(src, 'zpkg.yaml'), `name: svc${p}\nversion: "1.0-1"\nsummary: bench\nowner: root\ngroup: root\nroot: root\n`);
      for (let f = 0; f < filesPer; f++) writeFileSync(join(src, 'root/usr/lib', `svc${p}`, `f${f}`), content(p, f));
      srcs.push(src);
    }
    const rel = join(ctx.workDir, 'src', 'release');
    mkdirSync(rel, { recursive: true });
    writeFileSync(join(rel, 'zpkg.yaml'), `name: release\nversion: "1"\nsummary: the release set\nowner: root\ngroup: root\nbuild: "true"\ndepends:\n${Array.from({ length: packages }, (_, p) => `  - "svc${p} (= 1.0-1)"`).join('\n')}\n`);
    srcs.push(rel);
    ctx.log(`building ${packages} packages of ${filesPer} files and the release set`);
    await zpkg(['build', ...srcs, '--repo', repo]);
    const nginx = await startNginx(ctx.workDir, { accessLog: false });
    const rows: string[][] = [];
    const data: Record<string, unknown> = { packages, files: packages * filesPer };
    const goals: GoalResult[] = [];
    try {
      const results: Record<string, Record<'empty' | 'warm', Boot[]>> = {};
      for (const [source, url] of [['directory', repo], ['nginx', `${nginx.url}/repo`]] as const) {
        const disk = join(ctx.workDir, `disk-${source}`);
        const root = join(ctx.workDir, `root-${source}`);
        const node = (args: string[]) => zpkg(['--root', root, '--state-dir', join(disk, 'state'), '--cache-dir', join(disk, 'cache'), ...args]);
        const freshRoot = (): void => {
          rmSync(root, { recursive: true, force: true });
          mkdirSync(root, { recursive: true });
        };
        freshRoot();
        await node(['remote', 'add', 'main', url, '--insecure']);
        await node(['refresh']);
        const boot = async (): Promise<Boot> => {
          freshRoot();
          const r = await mustTime([bin, '--root', root, '--state-dir', join(disk, 'state'), '--cache-dir', join(disk, 'cache'), '--json', 'sync', '--boot', '--unsafe-io', '--set', 'release']);
          const j = JSON.parse(r.stdout) as { install: unknown[]; fetched: { fetched: number; blobs: number; bytes: number } };
          return { seconds: r.seconds, cpu: cpuOf(r), fetched: j.fetched.fetched, blobs: j.fetched.blobs, bytes: j.fetched.bytes, installed: j.install.length };
        };
        results[source] = { empty: [], warm: [] };
        for (let rep = 0; rep < ctx.reps; rep++) {
          ctx.log(`${source}: boot with an empty cache (${rep + 1}/${ctx.reps})`);
          rmSync(join(disk, 'cache'), { recursive: true, force: true });
          results[source]!.empty.push(await boot());
          ctx.log(`${source}: boot with the cache warm (${rep + 1}/${ctx.reps})`);
          results[source]!.warm.push(await boot());
        }
        if (!ctx.keep) rmSync(root, { recursive: true, force: true });
      }
      const med = (list: Boot[]): Boot => ({ ...list[0]!, seconds: median(list.map((b) => b.seconds)), cpu: list.some((b) => b.cpu === null) ? null : median(list.map((b) => b.cpu!)) });
      for (const source of ['directory', 'nginx'] as const) {
        const e = med(results[source]!.empty);
        const w = med(results[source]!.warm);
        rows.push([`${source}, empty cache`, fmtSeconds(e.seconds), fmtSeconds(e.cpu), `${fmtInt(e.fetched)} of ${fmtInt(e.blobs)}`, fmtMB(e.bytes), String(e.installed)]);
        rows.push([`${source}, warm cache`, fmtSeconds(w.seconds), fmtSeconds(w.cpu), `${fmtInt(w.fetched)} of ${fmtInt(w.blobs)}`, fmtMB(w.bytes), String(w.installed)]);
        data[source] = { emptySeconds: round(e.seconds), warmSeconds: round(w.seconds), emptyCpu: round(e.cpu), warmCpu: round(w.cpu), emptyFetched: e.fetched, emptyBytes: e.bytes, warmFetched: w.fetched, blobs: w.blobs };
        goals.push({ goal: `${source}: a warm-cache boot fetches nothing`, status: w.fetched === 0 ? 'met' : 'not met', detail: `${w.fetched} of ${w.blobs} blobs fetched; ${fmtSeconds(w.seconds)} s vs ${fmtSeconds(e.seconds)} s empty (${fmtRatio(w.seconds / e.seconds)})` });
      }
      // The warm boot needs no repository at all.
      await nginx.stop();
      const disk = join(ctx.workDir, 'disk-nginx');
      const root = join(ctx.workDir, 'root-offline');
      rmSync(root, { recursive: true, force: true });
      mkdirSync(root, { recursive: true });
      const off = await mustTime([bin, '--root', root, '--state-dir', join(disk, 'state'), '--cache-dir', join(disk, 'cache'), '--json', 'sync', '--boot', '--unsafe-io', '--set', 'release']);
      const fetched = (JSON.parse(off.stdout) as { fetched: { fetched: number } }).fetched.fetched;
      rows.push(['nginx stopped, warm cache (offline)', fmtSeconds(off.seconds), fmtSeconds(cpuOf(off)), `${fetched} of ${fmtInt(packages * filesPer)}`, '0.0', String(packages + 1)]);
      data.offlineSeconds = round(off.seconds);
      goals.push({ goal: 'a warm-cache boot works with the repository unreachable', status: 'met', detail: `${fmtSeconds(off.seconds)} s, nothing fetched` });
    } finally {
      await nginx.stop().catch(() => undefined);
    }
    data.loadAverage = loadavg().map((l) => round(l, 2));
    console.log(formatTable(['sync --boot into a fresh root', 'seconds (median)', 'CPU usr+sys', 'blobs fetched', 'MB fetched', 'packages'], rows, ['left', 'right', 'right', 'right', 'right', 'right']));
    console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (2 cores)`);
    return { summary: rows.map((r) => `${r[0]}: ${r[1]} s`).join('; '), goals, data };
  },
};
