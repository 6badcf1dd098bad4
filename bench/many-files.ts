/**
 * Suite `many-files` (issue 12): one package of 300,000 tiny files (30,000
 * with --quick) — the shape of a distribution's flist, a Python tree full of
 * empty `__init__.py`, a node_modules — built, installed, verified and
 * updated (5 % of the files changed), beside `tar` and `dpkg` on the same
 * tree. Small files are where per-file costs show: a frame of the pack holds
 * tens of thousands of blobs, one blob is taken by thousands of paths, and
 * the manifest and its record run to tens of megabytes. Before stage.ts cut
 * jobs, this install failed (the stage worker out of its heap; EMFILE under
 * `ulimit -n 1024`), and publishing the second version took 49 s in its
 * record delta alone.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesUnder, Leftovers, median, mustRun, timed, type TimedResult } from './proc.js';
import type { BenchContext, BenchSuite, GoalResult, SuiteResult } from './suite.js';
import { fmtInt, fmtMB, fmtRatio, fmtSeconds, formatTable, round } from './table.js';

const PKG = 'manyfiles';

/** The tree's shape: `dirs` directories of 100 files; one file in ten is empty (the same blob). */
function shape(quick: boolean): { dirs: number; perDir: number } {
  return { dirs: quick ? 300 : 3000, perDir: 100 };
}

/** A file's content in a version: version 2 changes one file in twenty (5 %); empty files never change. */
function content(d: number, f: number, version: number): string {
  if (f % 10 === 9) return '';
  const v = version === 2 && (d * 100 + f) % 20 === 0 ? 2 : 1;
  return `${PKG} ${d}/${f} v${v}\n${'x'.repeat((d * 31 + f * 17) % 200)}\n`;
}

function writeTree(root: string, version: number, quick: boolean): { files: number; bytes: number; changed: number } {
  const { dirs, perDir } = shape(quick);
  let bytes = 0;
  let changed = 0;
  for (let d = 0; d < dirs; d++) {
    const dir = join(root, 'usr/share', PKG, `g${d % 30}`, `d${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < perDir; f++) {
      const c = content(d, f, version);
      if (version === 2 && c !== content(d, f, 1)) changed++;
      writeFileSync(join(dir, f % 10 === 9 ? `__init__${f}.py` : `f${f}.txt`), c);
      bytes += Buffer.byteLength(c);
    }
  }
  return { files: dirs * perDir, bytes, changed };
}

function debControl(version: number): string {
  return `Package: ${PKG}\nVersion: ${version}.0\nArchitecture: all\nMaintainer: zpkg bench <bench@zpkg.invalid>\nDescription: many tiny files\n`;
}

const seconds = (runs: readonly TimedResult[]): number => median(runs.map((r) => r.seconds));
/** The highest peak RSS of `runs`, in bytes. */
const rss = (runs: readonly TimedResult[]): number | null => {
  const kib = runs.map((r) => r.maxRssKiB).filter((x): x is number => x !== null);
  return kib.length ? Math.max(...kib) * 1024 : null;
};

async function mustTime(cmd: string, args: string[]): Promise<TimedResult> {
  const r = await timed(cmd, args);
  if (r.code !== 0) throw new Error(`${r.command} failed: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  return r;
}

export const manyFilesSuite: BenchSuite = {
  name: 'many-files',
  description: 'one package of 300,000 tiny files: build, install, verify and a 5 % update, beside tar and dpkg',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const w = ctx.workDir;
    // 300,000 files take minutes per tool and per run: the full size runs once whatever --reps says.
    const reps = ctx.quick ? ctx.reps : 1;
    const zpkgBin = join(ctx.repoRoot, 'bin/zpkg.js');
    const zpkg = (...args: string[]): [string, string[]] => [process.execPath, [zpkgBin, ...args]];
    const spent = new Leftovers();
    const repo = join(w, 'repo');
    await mustRun(...zpkg('repo', 'create', repo));

    // Both versions, as a zpkg recipe, a .deb root and a tar.
    const trees: { files: number; bytes: number; changed: number }[] = [];
    const builds = { zpkg: [] as TimedResult[], deb: [] as TimedResult[], tar: [] as TimedResult[] };
    for (const version of [1, 2]) {
      const src = join(w, `src-${version}`);
      ctx.log(`version ${version}: writing the tree`);
      trees.push(writeTree(join(src, 'root'), version, ctx.quick));
      // One tree for all three: the recipe leaves out the .deb's DEBIAN/.
      writeFileSync(join(src, 'zpkg.yaml'), `name: ${PKG}\nversion: "${version}.0"\nsummary: many tiny files\nowner: root\ngroup: root\nroot: root\nfiles:\n  include: ["usr/**"]\n`);
      mkdirSync(join(src, 'root/DEBIAN'));
      writeFileSync(join(src, 'root/DEBIAN/control'), debControl(version));
      ctx.log(`version ${version}: zpkg build, dpkg-deb --build, tar -cf`);
      builds.zpkg.push(await mustTime(...zpkg('build', src, '--repo', repo)));
      builds.deb.push(await mustTime('dpkg-deb', ['-Zzstd', '--build', join(src, 'root'), join(w, `v${version}.deb`)]));
      builds.tar.push(await mustTime('tar', ['-cf', join(w, `v${version}.tar`), '-C', join(src, 'root'), 'usr']));
    }
    const list = JSON.parse((await mustRun(...zpkg('--json', 'repo', 'list', repo))).stdout) as { packages: { version: string; size: number }[] };
    const deltaDir = join(repo, 'deltas');
    const deltaBytes = bytesUnder(deltaDir);
    const recordBytes = bytesUnder(join(repo, 'manifests'));

    const runs = { zpkg: [] as TimedResult[], tar: [] as TimedResult[], dpkg: [] as TimedResult[], verify: [] as TimedResult[], dpkgVerify: [] as TimedResult[] };
    const updates = { zpkg: [] as TimedResult[], tar: [] as TimedResult[], dpkg: [] as TimedResult[] };
    let fetched: { bytes: number; manifestBytes: number } | undefined;
    let verifyClean = true;
    const dpkgRoot = (t: string): void => {
      mkdirSync(join(t, 'var/lib/dpkg/updates'), { recursive: true });
      mkdirSync(join(t, 'var/lib/dpkg/info'), { recursive: true });
      writeFileSync(join(t, 'var/lib/dpkg/status'), '');
    };
    const dpkgI = (t: string, deb: string): [string, string[]] => ['dpkg', [`--root=${t}`, '--force-script-chrootless', '--force-unsafe-io', '--log=/dev/null', '-i', deb]];
    try {
      for (let rep = 0; rep < reps; rep++) {
        ctx.log(`run ${rep + 1}/${reps}: install version 1 (zpkg, tar -x, dpkg -i), verify, update to version 2`);
        const img = join(w, `zpkg-${rep}`);
        await mustRun(...zpkg('--root', img, 'remote', 'add', 'bench', repo, '--insecure'));
        runs.zpkg.push(await mustTime(...zpkg('--root', img, 'install', '--unsafe-io', `${PKG}=1.0`)));
        const v = await timed(...zpkg('--root', img, '--json', 'verify'));
        runs.verify.push(v);
        verifyClean &&= v.code === 0 && (JSON.parse(v.stdout) as { problems: unknown[] }).problems.length === 0;
        const up = await mustTime(...zpkg('--root', img, '--json', 'update', '--unsafe-io'));
        updates.zpkg.push(up);
        fetched = (JSON.parse(up.stdout) as { fetched: { bytes: number; manifestBytes: number } }).fetched;

        const tarT = join(w, `tar-${rep}`);
        mkdirSync(tarT);
        runs.tar.push(await mustTime('tar', ['-xf', join(w, 'v1.tar'), '-C', tarT]));
        updates.tar.push(await mustTime('tar', ['-xf', join(w, 'v2.tar'), '-C', tarT]));

        const dpkgT = join(w, `dpkg-${rep}`);
        dpkgRoot(dpkgT);
        runs.dpkg.push(await mustTime(...dpkgI(dpkgT, join(w, 'v1.deb'))));
        runs.dpkgVerify.push(await mustTime('dpkg', [`--root=${dpkgT}`, '--verify', PKG]));
        updates.dpkg.push(await mustTime(...dpkgI(dpkgT, join(w, 'v2.deb'))));
        if (!ctx.keep) spent.add(img, tarT, dpkgT);
      }
    } finally {
      spent.removeAll();
    }
    if (!ctx.keep) for (const v of [1, 2]) rmSync(join(w, `src-${v}`), { recursive: true, force: true });

    const t1 = trees[0]!;
    const t2 = trees[1]!;
    const z = seconds(runs.zpkg);
    const tarS = seconds(runs.tar);
    const dpkgS = seconds(runs.dpkg);
    const zu = seconds(updates.zpkg);
    const n = reps === 1 ? 'one run' : `median of ${reps}`;
    const rows = [
      ['build version 1: zpkg build / dpkg-deb -Zzstd --build / tar -cf', `${fmtSeconds(builds.zpkg[0]!.seconds)} / ${fmtSeconds(builds.deb[0]!.seconds)} / ${fmtSeconds(builds.tar[0]!.seconds)}`, `zpkg peak RSS ${fmtMB(rss(builds.zpkg.slice(0, 1)))} MB`],
      ['build version 2 (record delta against version 1)', `${fmtSeconds(builds.zpkg[1]!.seconds)} / ${fmtSeconds(builds.deb[1]!.seconds)} / ${fmtSeconds(builds.tar[1]!.seconds)}`, `delta ${fmtInt(deltaBytes)} B; records ${fmtInt(recordBytes)} B`],
      [`install version 1 (${n})`, `zpkg ${fmtSeconds(z)} / tar -x ${fmtSeconds(tarS)} / dpkg -i ${fmtSeconds(dpkgS)}`, `zpkg/tar ${fmtRatio(z / tarS)}, zpkg/dpkg ${fmtRatio(z / dpkgS)}; peak RSS zpkg ${fmtMB(rss(runs.zpkg))} MB, dpkg ${fmtMB(rss(runs.dpkg))} MB`],
      [`verify (${n})`, `zpkg ${fmtSeconds(seconds(runs.verify))} / dpkg --verify ${fmtSeconds(seconds(runs.dpkgVerify))}`, `${fmtRatio(seconds(runs.verify) / seconds(runs.dpkgVerify))}; ${verifyClean ? 'clean' : 'PROBLEMS'}`],
      [`update to version 2 (${n})`, `zpkg ${fmtSeconds(zu)} / tar -x ${fmtSeconds(seconds(updates.tar))} / dpkg -i ${fmtSeconds(seconds(updates.dpkg))}`, `zpkg/dpkg ${fmtRatio(zu / seconds(updates.dpkg))}; fetched ${fmtInt(fetched?.bytes ?? 0)} B contents + ${fmtInt(fetched?.manifestBytes ?? 0)} B record or delta`],
    ];
    console.log(`\n${fmtInt(t1.files)} files (${fmtInt(t1.bytes)} bytes, one file in ten empty); version 2 changes ${fmtInt(t2.changed)}. Installs and updates with --unsafe-io and dpkg --force-unsafe-io (no fsync either).`);
    console.log(formatTable(['work', 'seconds', 'detail'], rows));
    const goals: GoalResult[] = [
      {
        goal: 'a package of tiny files installs, verifies and updates (no worker out of memory, no EMFILE)',
        status: verifyClean ? 'met' : 'not met',
        detail: `${fmtInt(t1.files)} files installed, verified ${verifyClean ? 'clean' : 'with problems'}, updated in every run`,
      },
    ];
    return {
      summary: `${fmtInt(t1.files)} files: install zpkg ${fmtSeconds(z)} s, tar ${fmtSeconds(tarS)} s, dpkg ${fmtSeconds(dpkgS)} s; update ${fmtSeconds(zu)} s`,
      goals,
      data: {
        files: t1.files,
        bytes: t1.bytes,
        changed: t2.changed,
        build: { zpkg: builds.zpkg.map((r) => round(r.seconds)), deb: builds.deb.map((r) => round(r.seconds)), tar: builds.tar.map((r) => round(r.seconds)), zpkg_rss_mb: builds.zpkg.map((r) => round(rss([r]) === null ? null : rss([r])! / 1e6)) },
        repo: { packages: list.packages.length, record_bytes: recordBytes, delta_bytes: deltaBytes },
        install: { zpkg_s: round(z), tar_s: round(tarS), dpkg_s: round(dpkgS), zpkg_rss_mb: round((rss(runs.zpkg) ?? NaN) / 1e6), dpkg_rss_mb: round((rss(runs.dpkg) ?? NaN) / 1e6) },
        verify: { zpkg_s: round(seconds(runs.verify)), dpkg_s: round(seconds(runs.dpkgVerify)), clean: verifyClean },
        update: { zpkg_s: round(zu), tar_s: round(seconds(updates.tar)), dpkg_s: round(seconds(updates.dpkg)), zpkg_rss_mb: round((rss(updates.zpkg) ?? NaN) / 1e6), fetched },
        reps,
      },
    };
  },
};

