/**
 * Suite `remote` (issue 7): installing over HTTP from nginx against installing
 * from a local directory (the same repository, both with --unsafe-io), and
 * `refresh` of a 60,000-package catalog (the Debian bookworm main index,
 * imported) served by nginx over loopback: fresh (no cached catalog; goal
 * < 2 s) and unchanged (one conditional request; goal < 100 ms). Refresh is
 * timed in-process (the library call, what a node daemon pays) and as a whole
 * CLI process (which adds Node's start-up).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openImage } from '../src/image/image.js';
import { listRemotes, refreshRemote } from '../src/image/remotes.js';
import { startNginx } from './nginx.js';
import { median, mustRun } from './proc.js';
import { findPackagesIndex } from '#debian-index';
import type { BenchContext, BenchSuite, GoalResult, SuiteResult } from './suite.js';
import { fmtSeconds, formatTable, round } from './table.js';

function content(pkg: number, file: number): Buffer {
  const size = 2048 + ((pkg * 7919 + file * 104729) % (62 * 1024));
  const seed = createHash('sha256').update(`${pkg}/${file}`).digest();
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = i % 3 === 0 ? seed[i % 32]! ^ (i & 0xff) : 97 + (i % 26);
  return out;
}

export const remoteSuite: BenchSuite = {
  name: 'remote',
  description: 'install from nginx vs from a directory; refresh of a 60k-package catalog over loopback, fresh and unchanged',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const bin = join(ctx.repoRoot, 'bin/zpkg.js');
    const zpkg = (args: string[]) => mustRun(process.execPath, [bin, ...args]);
    const packages = ctx.quick ? 20 : 100;
    const filesPer = 20;
    const repo = join(ctx.workDir, 'repo');
    await zpkg(['repo', 'create', repo]);
    const srcs: string[] = [];
    for (let p = 0; p < packages; p++) {
      const src = join(ctx.workDir, 'src', `p${p}`);
      mkdirSync(join(src, 'root/usr/share', `p${p}`), { recursive: true });
      writeFileSync(join(src, 'zpkg.yaml'), `name: p${p}\nversion: "1.0"\nsummary: bench\nowner: root\ngroup: root\nroot: root\n`);
      for (let f = 0; f < filesPer; f++) writeFileSync(join(src, 'root/usr/share', `p${p}`, `f${f}`), content(p, f));
      srcs.push(src);
    }
    ctx.log(`building ${packages} packages of ${filesPer} files`);
    await zpkg(['build', ...srcs, '--repo', repo]);
    const nginx = await startNginx(ctx.workDir, { accessLog: false });
    const rows: string[][] = [];
    const data: Record<string, unknown> = { packages, files: packages * filesPer };
    const goals: GoalResult[] = [];
    try {
      const names = Array.from({ length: packages }, (_, p) => `p${p}`);
      const installTimes: Record<string, number[]> = { dir: [], nginx: [] };
      let bytes = 0;
      for (let rep = 0; rep < ctx.reps; rep++) {
        for (const [source, url] of [['dir', repo], ['nginx', `${nginx.url}/repo`]] as const) {
          const root = join(ctx.workDir, `image-${source}-${rep}`);
          await zpkg(['--root', root, 'remote', 'add', 'bench', url, '--insecure']);
          await zpkg(['--root', root, 'refresh']);
          ctx.log(`install from ${source} (${rep + 1}/${ctx.reps})`);
          const r = await zpkg(['--root', root, '--json', 'install', '--unsafe-io', ...names]);
          installTimes[source]!.push(r.seconds);
          bytes = (JSON.parse(r.stdout) as { fetched: { bytes: number } }).fetched.bytes;
          if (!ctx.keep) rmSync(root, { recursive: true, force: true });
        }
      }
      const dirS = median(installTimes.dir!);
      const httpS = median(installTimes.nginx!);
      rows.push([`install ${packages} packages (${packages * filesPer} files, ${(bytes / 1e6).toFixed(1)} MB) from a directory`, fmtSeconds(dirS), '']);
      rows.push([`install the same from nginx over loopback`, fmtSeconds(httpS), `${(httpS / dirS).toFixed(2)} × directory`]);
      Object.assign(data, { installDirSeconds: round(dirS), installNginxSeconds: round(httpS), installBytes: bytes });

      const index = findPackagesIndex();
      if (!index) {
        goals.push({ goal: 'refresh of a 60k catalog, fresh < 2 s', status: 'not measured', detail: 'no Debian Packages index under /var/lib/apt/lists' });
        goals.push({ goal: 'refresh unchanged < 100 ms', status: 'not measured', detail: 'no Debian Packages index' });
      } else {
        const catalogRepo = join(ctx.workDir, 'catalog');
        ctx.log(`importing ${index}`);
        const imported = JSON.parse((await zpkg(['--json', 'repo', 'import-index', index, '--repo', catalogRepo])).stdout) as { packages?: number };
        const root = join(ctx.workDir, 'image-refresh');
        await zpkg(['--root', root, 'remote', 'add', 'debian', `${nginx.url}/catalog`, '--insecure']);
        const cache = join(root, 'var/lib/zpkg/repos/debian');
        const forget = (): void => {
          for (const f of ['catalog.zst', 'root.json', 'root.validator']) rmSync(join(cache, f), { force: true });
        };
        const cli = { fresh: [] as number[], unchanged: [] as number[] };
        for (let rep = 0; rep < ctx.reps; rep++) {
          forget();
          cli.fresh.push((await zpkg(['--root', root, 'refresh'])).seconds);
          cli.unchanged.push((await zpkg(['--root', root, 'refresh'])).seconds);
        }
        const lib = { fresh: [] as number[], unchanged: [] as number[] };
        const image = openImage(root);
        let catalogBytes = 0;
        try {
          const remote = listRemotes(image)[0]!;
          for (let rep = 0; rep < Math.max(ctx.reps, 5); rep++) {
            forget();
            let t = performance.now();
            const fresh = await refreshRemote(image, remote);
            lib.fresh.push((performance.now() - t) / 1000);
            catalogBytes = fresh.bytes;
            t = performance.now();
            const same = await refreshRemote(image, remote);
            lib.unchanged.push((performance.now() - t) / 1000);
            if (same.status !== 'unchanged') throw new Error(`second refresh was ${same.status}`);
          }
        } finally {
          image.close();
        }
        const pk = imported.packages ?? 0;
        const f = median(lib.fresh);
        const u = median(lib.unchanged);
        rows.push([`refresh ${pk} packages, fresh (${(catalogBytes / 1e6).toFixed(1)} MB catalog): library call`, fmtSeconds(f), 'goal < 2 s']);
        rows.push([`refresh, fresh: whole CLI process`, fmtSeconds(median(cli.fresh)), '']);
        rows.push([`refresh, unchanged (one conditional GET → 304): library call`, `${(u * 1000).toFixed(1)} ms`, 'goal < 100 ms']);
        rows.push([`refresh, unchanged: whole CLI process (Node start-up included)`, fmtSeconds(median(cli.unchanged)), '']);
        Object.assign(data, { refreshPackages: pk, catalogBytes, refreshFreshSeconds: round(f), refreshUnchangedSeconds: round(u, 4), refreshFreshCliSeconds: round(median(cli.fresh)), refreshUnchangedCliSeconds: round(median(cli.unchanged)) });
        goals.push({ goal: `refresh of a ${pk}-package catalog, fresh < 2 s`, status: f < 2 ? 'met' : 'not met', detail: `${fmtSeconds(f)} s in-process, ${fmtSeconds(median(cli.fresh))} s as a CLI process` });
        goals.push({ goal: 'refresh unchanged < 100 ms', status: u < 0.1 ? 'met' : 'not met', detail: `${(u * 1000).toFixed(1)} ms in-process, ${fmtSeconds(median(cli.unchanged))} s as a CLI process` });
      }
    } finally {
      await nginx.stop();
    }
    console.log(formatTable(['measurement', 'seconds (median)', 'note'], rows, ['left', 'right', 'left']));
    return { summary: rows.map((r) => `${r[0]}: ${r[1]}`).slice(0, 2).join('; '), goals, data };
  },
};
