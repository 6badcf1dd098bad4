/** The numbers the report of `solver` prints: medians over the process runs, per job, and issue 3's goals. */
import { median } from '../proc.js';
import type { GoalResult } from '../suite.js';
import { fmtRatio, fmtSeconds } from '../table.js';
import { difference } from './peers.js';
import { mb, peakKiB } from './runs.js';
import { JOBS, type Bench, type Measured, type Prepared, type Side, type Verified } from './types.js';

const MEMORY_GOAL_BYTES = 300e6;

export interface JobSide {
  first: number;
  median: number;
  chosen: number | null;
  unneeded: string[] | null;
  ok: boolean;
  problems: string[];
}

export interface JobFigure {
  job: string;
  libsolv: JobSide;
  zpkg: JobSide;
  /** libsolv load + median solve; zpkg load + first solve; zpkg load + median solve. */
  totalL: number;
  totalZFirst: number;
  totalZMed: number;
}

export interface LoadParts {
  parse: number;
  index: number;
}

export interface Figures {
  load: Record<Side, number>;
  parts: Record<Side, LoadParts>;
  rss: Record<Side, number | null>;
  /** zpkg's catalog decoded with every check. */
  zChecked: number;
  zimp: { parse: number; index: number; total: number; entries: number; rssTable: number };
  installWall: number;
  installRss: number | null;
  icWall: number;
  cliWall: number;
  inprocCheck: number;
  inprocLoad: number;
  jobs: JobFigure[];
  /** Jobs where zpkg's load + first (median) solve is slower than libsolv's load + solve. */
  slowerFirst: number;
  slowerMedian: number;
}

export function figures(b: Bench, m: Measured): Figures {
  const sideOut = (side: Side) => m.sides[side].out;
  const load = (side: Side): number => median(sideOut(side).map((o) => o.load.total_s));
  const parts = (side: Side): LoadParts => ({ parse: median(sideOut(side).map((o) => o.load.parse_s)), index: median(sideOut(side).map((o) => o.load.index_s)) });
  const jobSide = (side: 'libsolv' | 'zpkg', job: string): JobSide => {
    const js = sideOut(side).map((o) => o.jobs.find((j) => j.name === job)!);
    return {
      first: median(js.map((j) => j.first_s)),
      median: median(js.map((j) => j.median_s)),
      chosen: js[0]?.chosen ?? null,
      unneeded: js[0]?.unneeded ?? null,
      ok: js.every((j) => j.ok),
      problems: js[0]?.problems ?? [],
    };
  };
  const f = {
    load: { libsolv: load('libsolv'), libsolvSolv: load('libsolvSolv'), zpkg: load('zpkg') },
    parts: { libsolv: parts('libsolv'), libsolvSolv: parts('libsolvSolv'), zpkg: parts('zpkg') },
    rss: { libsolv: peakKiB(m.sides.libsolv.runs), libsolvSolv: peakKiB(m.sides.libsolvSolv.runs), zpkg: peakKiB(m.sides.zpkg.runs) },
    zChecked: median(sideOut('zpkg').map((o) => o.load.decode_checked_s ?? Number.NaN)),
    zimp: {
      parse: median(m.imports.map((o) => o.load.parse_s)),
      index: median(m.imports.map((o) => o.load.index_s)),
      total: median(m.imports.map((o) => o.load.total_s)),
      entries: median(m.imports.map((o) => o.entries_s)),
      rssTable: Math.max(...m.imports.map((o) => o.max_rss_kib_table)),
    },
    installWall: median(m.installRuns.wall),
    installRss: peakKiB(m.installRuns),
    icWall: median(m.checks.installcheck.wall),
    cliWall: median(m.checks.cli.wall),
    inprocCheck: median(m.inproc.map((o) => o.check_s)),
    inprocLoad: median(m.inproc.map((o) => o.load.total_s)),
    jobs: [] as JobFigure[],
    slowerFirst: 0,
    slowerMedian: 0,
  };
  for (const job of JOBS) {
    const l = jobSide('libsolv', job);
    const z = jobSide('zpkg', job);
    if (!z.ok) b.problems.push(`zpkg could not solve ${job}: ${z.problems.join(' / ')}`);
    if (!l.ok) b.problems.push(`libsolv could not solve ${job}: ${l.problems.join(' / ')}`);
    if (z.unneeded?.length) {
      b.problems.push(
        `zpkg's plan for ${job} installs ${z.unneeded.length} packages that no dependency of the request reaches: ${z.unneeded.slice(0, 12).join(', ')}${z.unneeded.length > 12 ? ', …' : ''}`,
      );
    }
    const figure = { job, libsolv: l, zpkg: z, totalL: f.load.libsolv + l.median, totalZFirst: f.load.zpkg + z.first, totalZMed: f.load.zpkg + z.median };
    if (figure.totalZFirst > figure.totalL) f.slowerFirst++;
    if (figure.totalZMed > figure.totalL) f.slowerMedian++;
    f.jobs.push(figure);
  }
  return f;
}

/** Issue 3's goals, stated honestly. */
export function goals(p: Prepared, m: Measured, v: Verified, f: Figures): GoalResult[] {
  const out: GoalResult[] = [];
  const { libsolv: lLoad, zpkg: zLoad } = f.load;
  out.push({
    goal: 'load + solve no slower than libsolv',
    status: f.slowerFirst === 0 && f.slowerMedian === 0 ? 'met' : 'not met',
    detail:
      `load zpkg ${fmtSeconds(zLoad)} s vs libsolv ${fmtSeconds(lLoad)} s (${fmtRatio(zLoad / lLoad)}); ` +
      `zpkg load + first solve slower than libsolv load + solve on ${f.slowerFirst} of ${JOBS.length} jobs, load + median solve on ${f.slowerMedian} of ${JOBS.length}`,
  });
  out.push({
    goal: 'repo check no slower than installcheck',
    status: f.cliWall <= f.icWall ? 'met' : 'not met',
    detail: `zpkg repo check ${fmtSeconds(f.cliWall)} s vs installcheck ${fmtSeconds(f.icWall)} s (${fmtRatio(f.cliWall / f.icWall)}); checkInstallable alone ${fmtSeconds(f.inprocCheck)} s`,
  });
  const zpkgPeaks: [string, number | null][] = [
    ['solve process', f.rss.zpkg],
    ['zpkg repo check', peakKiB(m.checks.cli)],
    ['check process', peakKiB(m.checks.inproc)],
    ['zpkg repo import-index', p.importRun.maxRssKiB],
    ['install -n', f.installRss],
  ];
  const measuredPeaks = zpkgPeaks.filter((x): x is [string, number] => x[1] != null);
  out.push(
    measuredPeaks.length === 0
      ? { goal: 'peak memory under 300 MB', status: 'not measured', detail: '/usr/bin/time is missing' }
      : {
          goal: 'peak memory under 300 MB',
          status: measuredPeaks.every(([, k]) => k * 1024 < MEMORY_GOAL_BYTES) ? 'met' : 'not met',
          detail: measuredPeaks.map(([what, k]) => `${what} ${mb(k)} MB`).join(', '),
        },
  );
  const ic = v.installcheck.packages;
  out.push({
    goal: 'same uninstallable set as installcheck',
    status: v.onlyZpkg.length === 0 && v.onlyInstallcheck.length === 0 ? 'met' : 'not met',
    detail:
      `installcheck ${ic.length}, zpkg ${v.zpkgCli.length}` +
      (v.dose ? `, dose-distcheck ${v.dose.length}` : '') +
      `; only zpkg: ${v.onlyZpkg.length}, only installcheck: ${v.onlyInstallcheck.length}` +
      (v.dose ? `; dose vs installcheck: ${difference(v.dose, ic).length + difference(ic, v.dose).length} differ` : ''),
  });
  return out;
}
