/**
 * Suite `update` (issue 4): what an update costs in bytes when 5 % of the files of
 * 100 packages changed, against the compressed size of what changed and of the
 * whole packages (goal: fetched ≤ 1.05 × changed); and the time of a no-op `sync`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { compress } from '../src/repo/compress.js';
import { startNginx } from './nginx.js';
import { bytesUnder, Leftovers, machineBusySeconds, mustRun, median } from './proc.js';
import { startShapedLink } from './shaped-link.js';
import type { BenchContext, BenchSuite, SuiteResult } from './suite.js';
import { formatTable } from './table.js';

function content(pkg: number, file: number, version: number): Buffer {
  // Deterministic, partly compressible content of 2–64 KiB.
  const size = 2048 + ((pkg * 7919 + file * 104729) % (62 * 1024));
  const seed = createHash('sha256').update(`${pkg}/${file}/${version}`).digest();
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = i % 3 === 0 ? seed[i % 32]! ^ (i & 0xff) : 97 + (i % 26);
  return out;
}

export const updateSuite: BenchSuite = {
  name: 'update',
  description: 'bytes fetched by an update where 5 % of the files of 100 packages changed; time of a no-op sync',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const zpkg = (args: string[]) => mustRun(process.execPath, [join(ctx.repoRoot, 'bin/zpkg.js'), ...args]);
    const packages = ctx.quick ? 20 : 100;
    const filesPer = 20;
    const repo = join(ctx.workDir, 'repo');
    await zpkg(['repo', 'create', repo]);
    const changed = new Map<string, Buffer>();
    for (const version of [1, 2]) {
      const srcs: string[] = [];
      for (let p = 0; p < packages; p++) {
        const src = join(ctx.workDir, `src-${version}`, `p${p}`);
        mkdirSync(join(src, 'root/usr/share', `p${p}`), { recursive: true });
        writeFileSync(join(src, 'zpkg.yaml'), `name: p${p}\nversion: "${version}.0"\nsummary: bench\nowner: root\ngroup: root\nroot: root\n`);
        for (let f = 0; f < filesPer; f++) {
          // Version 2 changes exactly one file in twenty of every package: 5 %.
          const v = version === 2 && f === p % filesPer ? 2 : 1;
          if (v === 2) changed.set(createHash('sha256').update(content(p, f, 2)).digest('hex'), content(p, f, 2));
          writeFileSync(join(src, 'root/usr/share', `p${p}`, `f${f}`), content(p, f, v));
        }
        srcs.push(src);
      }
      ctx.log(`building ${packages} packages, version ${version}`);
      await zpkg(['build', ...srcs, '--repo', repo]);
    }
    // Each changed file compressed on its own, as the previous format stored it and as a `.deb` of only what changed would carry it.
    const changedBytes = [...changed.values()].reduce((n, c) => n + compress(c).length, 0);
    const repoBytes = bytesUnder(repo);
    const list = JSON.parse((await zpkg(['--json', 'repo', 'list', repo])).stdout) as { packages: { version: string; size: number }[] };
    const totalV2 = list.packages.filter((p) => p.version === '2.0').reduce((n, p) => n + p.size, 0);

    const root = join(ctx.workDir, 'image');
    await zpkg(['--root', root, 'remote', 'add', 'bench', repo, '--insecure']);
    await zpkg(['--root', root, 'install', '--unsafe-io', ...Array.from({ length: packages }, (_, p) => `p${p}=1.0`)]);
    ctx.log('updating');
    const upd = JSON.parse((await zpkg(['--root', root, '--json', 'update', '--unsafe-io'])).stdout) as { fetched: { blobs: number; fetched: number; bytes: number; manifestBytes: number }; upgrade: unknown[] };
    const fetched = upd.fetched.bytes;
    const withManifests = fetched + upd.fetched.manifestBytes;

    const setFile = join(ctx.workDir, 'set.txt');
    writeFileSync(setFile, Array.from({ length: packages }, (_, p) => `p${p} 2.0`).join('\n'));
    const noop: number[] = [];
    for (let i = 0; i < Math.max(3, ctx.reps); i++) {
      const r = await zpkg(['--root', root, '--json', 'sync', setFile]);
      noop.push(r.seconds);
    }
    const noopMedian = median(noop);

    // The same update through the shaped link (50 ms RTT, 100 Mbit/s), against fetching the 100 new .debs with
    // one curl (one connection, kept alive) and `dpkg -i` of them all into a fresh root (no upgrade: cheaper for dpkg).
    ctx.log(`building ${packages} .debs of version 2`);
    const debs = join(ctx.workDir, 'debs');
    mkdirSync(debs, { recursive: true });
    for (let p = 0; p < packages; p++) {
      const d = join(ctx.workDir, 'debroot', `p${p}`);
      mkdirSync(join(d, 'DEBIAN'), { recursive: true });
      writeFileSync(join(d, 'DEBIAN/control'), `Package: p${p}\nVersion: 2.0\nArchitecture: all\nMaintainer: bench <bench@example.org>\nDescription: bench\n`);
      mkdirSync(join(d, 'usr/share', `p${p}`), { recursive: true });
      for (let f = 0; f < filesPer; f++) writeFileSync(join(d, 'usr/share', `p${p}`, `f${f}`), content(p, f, f === p % filesPer ? 2 : 1));
      await mustRun('dpkg-deb', ['-Zzstd', '--build', d, join(debs, `p${p}.deb`)]);
    }
    const nginx = await startNginx(ctx.workDir);
    const link = await startShapedLink(nginx.port, { rttMs: 50, bitsPerSecond: 100e6 });
    const linkTimes: { deb: number[]; zpkg: number[] } = { deb: [], zpkg: [] };
    let linkBytes = 0;
    let linkRequests = 0;
    const busy0 = machineBusySeconds();
    const t0 = Date.now();
    // Removed after the last run, not between runs (proc.ts: Leftovers).
    const spent = new Leftovers();
    try {
      for (let rep = 0; rep < ctx.reps; rep++) {
        const target = join(ctx.workDir, `dpkg-${rep}`);
        for (const d of ['updates', 'info']) mkdirSync(join(target, 'var/lib/dpkg', d), { recursive: true });
        writeFileSync(join(target, 'var/lib/dpkg/status'), '');
        const dl = join(ctx.workDir, `dl-${rep}`);
        mkdirSync(dl);
        ctx.log(`curl + dpkg -i of ${packages} .debs through the link (${rep + 1}/${ctx.reps})`);
        const d0 = performance.now();
        await mustRun('curl', ['-sSf', ...Array.from({ length: packages }, (_, p) => ['-o', join(dl, `p${p}.deb`), `${link.url}/debs/p${p}.deb`]).flat()]);
        await mustRun('dpkg', [`--root=${target}`, '--force-script-chrootless', '--no-force-unsafe-io', '--log=/dev/null', '-i', ...Array.from({ length: packages }, (_, p) => join(dl, `p${p}.deb`))]);
        linkTimes.deb.push((performance.now() - d0) / 1000);
        spent.add(target, dl);

        const image = join(ctx.workDir, `image-link-${rep}`);
        await zpkg(['--root', image, 'remote', 'add', 'bench', `${link.url}/repo`, '--insecure']);
        await zpkg(['--root', image, 'install', '--unsafe-io', ...Array.from({ length: packages }, (_, p) => `p${p}=1.0`)]);
        await zpkg(['--root', image, 'refresh']);
        const before = readFileSync(nginx.accessLog, 'utf8').split('\n').filter(Boolean).length;
        const down = link.bytesDown();
        ctx.log(`zpkg update through the link (${rep + 1}/${ctx.reps})`);
        const r = await zpkg(['--root', image, 'update']);
        linkTimes.zpkg.push(r.seconds);
        linkBytes = link.bytesDown() - down;
        linkRequests = readFileSync(nginx.accessLog, 'utf8').split('\n').filter(Boolean).length - before;
        spent.add(image);
      }
    } finally {
      await link.stop();
      await nginx.stop();
      spent.removeAll();
    }
    const busy = busy0 === null ? null : ((machineBusySeconds() ?? busy0) - busy0) / ((Date.now() - t0) / 1000);
    const debS = median(linkTimes.deb);
    const zS = median(linkTimes.zpkg);

    const ratio = fetched / changedBytes;
    const rows = [
      ['packages upgraded', String(upd.upgrade.length)],
      ['files changed', `${changed.size} of ${packages * filesPer} (5 %)`],
      ['compressed size of the changed files', `${(changedBytes / 1024).toFixed(1)} KiB`],
      ['compressed size of the new versions', `${(totalV2 / 1024).toFixed(1)} KiB`],
      ['bytes fetched by the update', `${(fetched / 1024).toFixed(1)} KiB (${upd.fetched.fetched} of ${upd.fetched.blobs} blobs)`],
      ['fetched / changed (file contents)', `${ratio.toFixed(3)}×`],
      ['manifests fetched (records or record deltas, zstd)', `${(upd.fetched.manifestBytes / 1024).toFixed(1)} KiB`],
      ['repository bytes (both versions)', `${(repoBytes / 1024).toFixed(1)} KiB`],
      ['fetched with manifests / changed', `${(withManifests / changedBytes).toFixed(3)}×`],
      ['fetched / whole packages', `${(fetched / totalV2).toFixed(3)}×`],
      ['no-op sync (median wall, whole command)', `${noopMedian.toFixed(3)} s`],
      [`through 50 ms / 100 Mbit/s: curl of the ${packages} new .debs + dpkg -i (median of ${ctx.reps})`, `${debS.toFixed(2)} s`],
      [`through the same link: zpkg update (default durability)`, `${zS.toFixed(2)} s (${(zS / debS).toFixed(2)}×), ${linkRequests} requests, ${(linkBytes / 1024).toFixed(1)} KiB on the wire with HTTP headers`],
      ['machine busy during the link runs', busy === null ? '?' : `${busy.toFixed(2)} of 2 cores`],
    ];
    console.log(formatTable(['update of 5 % of files', 'value'], rows));
    return {
      summary: `update fetched ${(fetched / 1024).toFixed(0)} KiB for ${(changedBytes / 1024).toFixed(0)} KiB changed (${ratio.toFixed(3)}×); no-op sync ${noopMedian.toFixed(2)} s`,
      goals: [
        { goal: 'update fetches ≤ 1.05× the changed bytes (file contents)', status: ratio <= 1.05 ? 'met' : 'not met', detail: `${ratio.toFixed(3)}×` },
        { goal: 'the same, counting the new manifests', status: withManifests / changedBytes <= 1.05 ? 'met' : 'not met', detail: `${(withManifests / changedBytes).toFixed(3)}×` },
        { goal: 'update through the link ≤ 0.2× fetching and installing the new .debs', status: zS / debS <= 0.2 ? 'met' : 'not met', detail: `${zS.toFixed(2)} s vs ${debS.toFixed(2)} s: ${(zS / debS).toFixed(2)}×` },
      ],
      data: { repoBytes, linkDebSeconds: linkTimes.deb, linkZpkgSeconds: linkTimes.zpkg, linkBytes, linkRequests, busyCores: busy, packages, files: packages * filesPer, changedFiles: changed.size, changedBytes, totalV2, fetched, manifestBytes: upd.fetched.manifestBytes, fetchedBlobs: upd.fetched.fetched, noopSyncSeconds: noop },
    };
  },
};
