/**
 * Suite `link` (issue 12): a fresh install of one package (2,000 files, about
 * 21 MB) from nginx through a shaped link (50 ms round trip, 100 Mbit/s:
 * bench/shaped-link.ts), against downloading the same package's `.deb` with
 * one `curl` through the same link and `dpkg -i` of it (dpkg's default
 * durability; zpkg's default too). Requests per package are counted in
 * nginx's access log (root metadata, catalog and file index not counted).
 * Goals: zpkg ≤ 1.0× curl + dpkg -i; ≤ 3 requests per package.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNginx } from './nginx.js';
import { Leftovers, machineBusySeconds, median, mustRun } from './proc.js';
import { startShapedLink } from './shaped-link.js';
import type { BenchContext, BenchSuite, GoalResult, SuiteResult } from './suite.js';
import { fmtSeconds, formatTable, round } from './table.js';

const SHAPE = { rttMs: 50, bitsPerSecond: 100e6 };
const PKG = 'onepkg';

function content(file: number): Buffer {
  // Deterministic, partly compressible content of 1–20 KiB: 2,000 files ≈ 21 MB.
  const size = 1024 + ((file * 104729) % (19 * 1024));
  const seed = createHash('sha256').update(`one/${file}`).digest();
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = i % 3 === 0 ? seed[i % 32]! ^ (i & 0xff) : 97 + (i % 26);
  return out;
}

export const linkSuite: BenchSuite = {
  name: 'link',
  description: 'fresh install of one package (2,000 files) from nginx through a 50 ms / 100 Mbit/s link: zpkg vs curl + dpkg -i',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const bin = join(ctx.repoRoot, 'bin/zpkg.js');
    const zpkg = (args: string[]) => mustRun(process.execPath, [bin, ...args]);
    const files = ctx.quick ? 400 : 2000;
    const w = ctx.workDir;
    const src = join(w, 'src');
    const debRoot = join(w, 'debroot');
    let bytes = 0;
    for (let f = 0; f < files; f++) {
      const rel = `usr/share/${PKG}/d${f % 20}/f${f}`;
      const c = content(f);
      bytes += c.length;
      for (const base of [join(src, 'root'), debRoot]) {
        mkdirSync(join(base, rel, '..'), { recursive: true });
        writeFileSync(join(base, rel), c);
      }
    }
    writeFileSync(join(src, 'zpkg.yaml'), `name: ${PKG}\nversion: "1.0"\nsummary: bench\nowner: root\ngroup: root\nroot: root\n`);
    mkdirSync(join(debRoot, 'DEBIAN'));
    writeFileSync(join(debRoot, 'DEBIAN/control'), `Package: ${PKG}\nVersion: 1.0\nArchitecture: all\nMaintainer: bench <bench@example.org>\nDescription: bench\n`);
    ctx.log(`building ${files} files (${(bytes / 1e6).toFixed(1)} MB) as a .deb and as a zpkg package`);
    await mustRun('dpkg-deb', ['-Zzstd', '--build', debRoot, join(w, `${PKG}.deb`)]);
    const repo = join(w, 'repo');
    await zpkg(['repo', 'create', repo]);
    await zpkg(['build', src, '--repo', repo]);
    const debBytes = statSync(join(w, `${PKG}.deb`)).size;

    const nginx = await startNginx(w);
    const link = await startShapedLink(nginx.port, SHAPE);
    const busy0 = machineBusySeconds();
    const t0 = Date.now();
    const times: Record<'deb' | 'zpkg', number[]> = { deb: [], zpkg: [] };
    const requests: number[] = [];
    const paths: string[][] = [];
    // Removed after the last run, not between runs (proc.ts: Leftovers).
    const spent = new Leftovers();
    try {
      for (let rep = 0; rep < ctx.reps; rep++) {
        const target = join(w, `dpkg-${rep}`);
        mkdirSync(join(target, 'var/lib/dpkg/updates'), { recursive: true });
        mkdirSync(join(target, 'var/lib/dpkg/info'), { recursive: true });
        writeFileSync(join(target, 'var/lib/dpkg/status'), '');
        ctx.log(`curl + dpkg -i through the link (${rep + 1}/${ctx.reps})`);
        const d0 = performance.now();
        await mustRun('curl', ['-sSf', '-o', join(w, `dl-${rep}.deb`), `${link.url}/${PKG}.deb`]);
        await mustRun('dpkg', [`--root=${target}`, '--force-script-chrootless', '--no-force-unsafe-io', '--log=/dev/null', '-i', join(w, `dl-${rep}.deb`)]);
        times.deb.push((performance.now() - d0) / 1000);

        const image = join(w, `image-${rep}`);
        await zpkg(['--root', image, 'remote', 'add', 'bench', `${link.url}/repo`, '--insecure']);
        await zpkg(['--root', image, 'refresh']);
        const before = readFileSync(nginx.accessLog, 'utf8').split('\n').filter(Boolean).length;
        ctx.log(`zpkg install through the link (${rep + 1}/${ctx.reps})`);
        const r = await zpkg(['--root', image, 'install', PKG]);
        times.zpkg.push(r.seconds);
        const lines = readFileSync(nginx.accessLog, 'utf8').split('\n').filter(Boolean).slice(before);
        const counted = lines.filter((l) => !/^\S+ \/repo\/(root\.json|catalog\/|files\/|keys\/)/.test(l));
        requests.push(counted.length);
        paths.push(counted);
        if (!ctx.keep) spent.add(target, image, join(w, `dl-${rep}.deb`));
      }
    } finally {
      await link.stop();
      await nginx.stop();
      spent.removeAll();
    }
    const busy = busy0 === null ? null : ((machineBusySeconds() ?? busy0) - busy0) / ((Date.now() - t0) / 1000);
    const deb = median(times.deb);
    const z = median(times.zpkg);
    const ratio = z / deb;
    const transfer = (debBytes * 8) / SHAPE.bitsPerSecond;
    const rows = [
      [`curl of the .deb (${(debBytes / 1e6).toFixed(1)} MB) + dpkg -i`, fmtSeconds(deb), '1 request', ''],
      [`zpkg install (default durability)`, fmtSeconds(z), `${Math.max(...requests)} requests (${paths[0]!.map((l) => l.split(' ')[1]!.split('/')[2]).join(', ')})`, `${ratio.toFixed(2)}×`],
      ['the .deb’s bytes at 100 Mbit/s alone', fmtSeconds(transfer), '', ''],
    ];
    console.log(formatTable([`fresh install, ${files} files, 50 ms RTT, 100 Mbit/s (median of ${ctx.reps})`, 'seconds', 'requests', 'zpkg / deb'], rows));
    if (busy !== null) console.log(`machine busy during the runs: ${busy.toFixed(2)} of 2 cores (these runs and every other process)`);
    const goals: GoalResult[] = [
      { goal: 'fresh install through the link ≤ 1.0× (curl of the .deb + dpkg -i)', status: ratio <= 1 ? 'met' : 'not met', detail: `${fmtSeconds(z)} s vs ${fmtSeconds(deb)} s: ${ratio.toFixed(2)}×` },
      { goal: 'HTTP requests per package ≤ 3 (root metadata and catalog not counted)', status: Math.max(...requests) <= 3 ? 'met' : 'not met', detail: `${Math.max(...requests)}: ${paths[0]!.join(' | ')}` },
    ];
    return {
      summary: `one package through 50 ms / 100 Mbit/s: zpkg ${fmtSeconds(z)} s vs curl+dpkg ${fmtSeconds(deb)} s (${ratio.toFixed(2)}×), ${Math.max(...requests)} requests`,
      goals,
      data: { files, bytes, debBytes, zpkgSeconds: times.zpkg.map(round), debSeconds: times.deb.map(round), requests, busyCores: busy },
    };
  },
};
