/**
 * Phase 4 of `solver`: the tables a person reads and the JSON line with every
 * number (names kept stable across versions of the suite: readers compare them).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { keyReason } from '../shared/installcheck.js';
import type { GoalResult, SuiteResult } from '../suite.js';
import { fmtInt, fmtRatio, fmtSeconds, formatTable, round } from '../table.js';
import { figures, goals as judgeGoals, type Figures } from './figures.js';
import { difference, foreignQualifiers } from './peers.js';
import { mb, ms, peakKiB } from './runs.js';
import { JOBS, type Bench, type Measured, type Prepared, type Verified } from './types.js';

/** The issue's figures for libsolv and installcheck on this machine, printed for the reader. */
const ISSUE_FIGURES = 'issue 3 quotes, for this machine: libsolv load 0.30 s, solve 12–19 ms; installcheck 1.75 s';

export function report(b: Bench, p: Prepared, m: Measured, v: Verified): SuiteResult {
  const f = figures(b, m);
  const goals = judgeGoals(p, m, v, f);
  console.log(tables(b, p, m, v, f, goals).join('\n'));
  const summary =
    `load zpkg ${fmtSeconds(f.load.zpkg)} s / libsolv ${fmtSeconds(f.load.libsolv)} s; check zpkg ${fmtSeconds(f.cliWall)} s / installcheck ${fmtSeconds(f.icWall)} s; ` +
    `uninstallable zpkg ${v.zpkgCli.length} / installcheck ${v.installcheck.packages.length}`;
  return { summary, goals, data: jsonData(b, p, m, v, f, goals) };
}

function tables(b: Bench, p: Prepared, m: Measured, v: Verified, f: Figures, goals: GoalResult[]): string[] {
  const { ctx } = b;
  const { imported } = p;
  const lLoad = f.load.libsolv;
  const zLoad = f.load.zpkg;
  const sLoad = f.load.libsolvSolv;
  const { libsolv: lp, zpkg: zp, libsolvSolv: sp } = f.parts;
  const { zimp } = f;
  const out: string[] = [''];
  out.push(
    `solver benchmark — ${p.index} (${fmtInt(p.names.size)} stanzas): ${fmtInt(imported.packages)} packages, ${fmtInt(imported.dependencyClauses)} dependency clauses, ` +
      `${fmtInt(imported.provides)} provides, ${fmtInt(imported.conflicts)} conflicts/breaks, ${imported.skipped.length} stanzas skipped by zpkg`,
  );
  out.push(`${ctx.reps} process runs per side, ${m.solves} solves per job per run; medians; times inside the process; MB = 10^6 bytes; ${ISSUE_FIGURES}`);
  out.push(`machine: ${os.cpus().length} CPUs; other processes used ${m.othersShare == null ? 'n/a' : `${(m.othersShare * 100).toFixed(0)}%`} of its CPU during the runs`);
  if (m.othersShare != null && m.othersShare > 0.15) out.push('WARNING: the machine was busy with other work during the runs; the figures are noisy.');
  out.push('');
  out.push(
    formatTable(
      ['load', 'seconds', 'parse', 'index', 'peak RSS MB', 'vs libsolv text'],
      [
        ['libsolv: Packages text (add_debpackages + createwhatprovides)', fmtSeconds(lLoad), fmtSeconds(lp.parse), fmtSeconds(lp.index), mb(f.rss.libsolv), '1.00×'],
        ['zpkg: own catalog, as install loads it (read + decode + buildPool)', fmtSeconds(zLoad), fmtSeconds(zp.parse), fmtSeconds(zp.index), mb(f.rss.zpkg), fmtRatio(zLoad / lLoad)],
        ['zpkg: own catalog, decoded with every check (refresh, repo check)', fmtSeconds(f.zChecked), fmtSeconds(f.zChecked), '', '', fmtRatio(f.zChecked / lLoad)],
        ['libsolv: .solv (add_solv + createwhatprovides)', fmtSeconds(sLoad), fmtSeconds(sp.parse), fmtSeconds(sp.index), mb(f.rss.libsolvSolv), fmtRatio(sLoad / lLoad)],
        ['zpkg: Debian import (importIndexFileTable + buildPool)', fmtSeconds(zimp.total), fmtSeconds(zimp.parse), fmtSeconds(zimp.index), mb(zimp.rssTable), fmtRatio(zimp.total / lLoad)],
        ['zpkg: importIndexFile (plain entries, parse only)', fmtSeconds(zimp.entries), fmtSeconds(zimp.entries), '', '', fmtRatio(zimp.entries / lp.parse)],
      ],
    ),
  );
  out.push(
    `pairs: zpkg catalog vs libsolv text ${fmtRatio(zLoad / lLoad)} (the goal's pair: what each reads to install); zpkg import vs add_debpackages (parse) ${fmtRatio(zimp.parse / lp.parse)}; ` +
      `zpkg catalog vs libsolv .solv ${fmtRatio(zLoad / sLoad)}. install reads a remote's catalog as refresh cached it, checked against its digest and not checked again; ` +
      `"every check" is timed once per process after the jobs. Peak RSS of the solve rows is the whole process (load and every job); the import's is after import + pool.`,
  );
  out.push(
    `zpkg --root IMG install -n build-essential (whole CLI, Node start-up included, ${m.installRuns.wall.length} runs): ${fmtSeconds(f.installWall)} s wall, peak ${mb(f.installRss)} MB, ` +
      `${Array.isArray(m.installOut?.install) ? m.installOut.install.length : '?'} packages planned`,
  );
  out.push('');
  const jobRows = f.jobs.map(({ job, libsolv: l, zpkg: z, totalL, totalZFirst }) => [
    job,
    ms(l.first),
    ms(l.median),
    l.chosen == null ? 'fails' : fmtInt(l.chosen),
    ms(z.first),
    ms(z.median),
    z.chosen == null ? 'fails' : fmtInt(z.chosen),
    z.unneeded == null ? 'n/a' : fmtInt(z.unneeded.length),
    fmtRatio(z.median / l.median),
    fmtRatio(totalZFirst / totalL),
  ]);
  out.push(
    formatTable(
      ['job (empty system)', 'libsolv first ms', 'libsolv median ms', 'libsolv chosen', 'zpkg first ms', 'zpkg median ms', 'zpkg chosen', 'zpkg unneeded', 'solve zpkg/libsolv', 'load+first solve zpkg/libsolv'],
      jobRows,
    ),
  );
  out.push(
    'peak RSS is the whole process (load and every job); libsolv ignores recommends, zpkg has none to follow; the packages chosen may differ where alternatives allow; ' +
      '"unneeded": chosen packages that no dependency chain from the request reaches (should be 0).',
  );
  out.push('');
  out.push(formatTable(['installability of every package', 'seconds', 'peak RSS MB', 'uninstallable', 'vs installcheck', 'note'], checkRows(b, p, m, v, f), ['left', 'right', 'right', 'right', 'right', 'left']));
  out.push('');
  const ic = v.installcheck.packages;
  if (v.onlyZpkg.length || v.onlyInstallcheck.length) {
    out.push(`zpkg and installcheck disagree on ${v.onlyZpkg.length + v.onlyInstallcheck.length} packages:`);
    for (const x of v.onlyZpkg) out.push(`  only zpkg: ${x} — ${keyReason(v.reasonOf.get(x) ?? [])}`);
    for (const x of v.onlyInstallcheck) out.push(`  only installcheck: ${x}`);
    const foreign = foreignQualifiers(readFileSync(p.plain, 'utf8'));
    if (foreign.length) {
      out.push(
        `packages with relations qualified by another architecture, which match nothing in libsolv's amd64 pool (a usual source of disagreement; ${foreign.length}): ${foreign.join(', ')}`,
      );
    }
  } else {
    out.push(`zpkg and installcheck agree: the same ${ic.length} uninstallable packages.`);
  }
  if (v.dose) {
    const d1 = difference(v.dose, ic);
    const d2 = difference(ic, v.dose);
    out.push(d1.length || d2.length ? `dose-distcheck vs installcheck: only dose ${d1.join(', ') || '-'}; only installcheck ${d2.join(', ') || '-'}` : `dose-distcheck agrees with installcheck (${v.dose.length}).`);
  }
  out.push('');
  out.push(formatTable(['goal (issue 3)', 'status', 'detail'], goals.map((g) => [g.goal, g.status.toUpperCase(), g.detail]), ['left', 'left', 'left']));
  if (b.problems.length) {
    out.push('');
    out.push('problems:');
    for (const x of b.problems) out.push(`  - ${x}`);
  }
  return out;
}

function checkRows(b: Bench, p: Prepared, m: Measured, v: Verified, f: Figures): string[][] {
  const { icWall, cliWall, inprocCheck } = f;
  const cliTiming = m.cliOut?.timing;
  return [
    ['installcheck amd64 main.solv', fmtSeconds(icWall), mb(peakKiB(m.checks.installcheck)), fmtInt(v.installcheck.packages.length), '1.00×', 'reads a prebuilt .solv'],
    [
      'zpkg repo check DIR (whole CLI)',
      fmtSeconds(cliWall),
      mb(peakKiB(m.checks.cli)),
      fmtInt(v.zpkgCli.length),
      fmtRatio(cliWall / icWall),
      cliTiming ? `read catalog ${fmtSeconds(cliTiming['read'])} s, pool ${fmtSeconds(cliTiming['pool'])} s, check ${fmtSeconds(cliTiming['check'])} s` : '',
    ],
    [
      'zpkg checkInstallable (in process)',
      fmtSeconds(inprocCheck),
      mb(peakKiB(m.checks.inproc)),
      fmtInt(v.zpkgInProcess.length),
      fmtRatio(inprocCheck / icWall),
      `after a load of ${fmtSeconds(f.inprocLoad)} s from the catalog; RSS is the whole process`,
    ],
    [
      'dose-distcheck -f --summary deb://PLAIN',
      m.doseRun ? fmtSeconds(m.doseRun.seconds) : 'n/a',
      m.doseRun ? mb(m.doseRun.maxRssKiB) : 'n/a',
      v.dose ? fmtInt(v.dose.length) : 'n/a',
      m.doseRun ? fmtRatio(m.doseRun.seconds / icWall) : 'n/a',
      p.dose ? 'one run' : b.ctx.quick ? 'skipped under --quick' : 'not installed',
    ],
  ];
}

function jsonData(b: Bench, p: Prepared, m: Measured, v: Verified, f: Figures, goals: GoalResult[]): Record<string, unknown> {
  const { ctx } = b;
  const { imported } = p;
  const jobs = Object.fromEntries(
    f.jobs.map(({ job, libsolv: l, zpkg: z, totalL, totalZFirst, totalZMed }) => [
      job,
      {
        libsolv: { first_s: round(l.first, 5), median_s: round(l.median, 5), chosen: l.chosen, ok: l.ok },
        zpkg: { first_s: round(z.first, 5), median_s: round(z.median, 5), chosen: z.chosen, unneeded: z.unneeded, ok: z.ok },
        ratio_solve_median: round(z.median / l.median),
        ratio_load_plus_first_solve: round(totalZFirst / totalL),
        ratio_load_plus_median_solve: round(totalZMed / totalL),
      },
    ]),
  );
  const loadOf = (side: 'libsolv' | 'libsolvSolv' | 'zpkg') => ({
    median_s: round(f.load[side]),
    parse_s: round(f.parts[side].parse),
    index_s: round(f.parts[side].index),
  });
  const runsOf = (side: 'libsolv' | 'libsolvSolv' | 'zpkg') => m.sides[side].out.map((o) => round(o.load.total_s));
  return {
    quick: ctx.quick,
    reps: ctx.reps,
    solves_per_run: m.solves,
    index: p.index,
    cpus: os.cpus().length,
    others_cpu_share: round(m.othersShare),
    import: {
      packages: imported.packages,
      dependency_clauses: imported.dependencyClauses,
      provides: imported.provides,
      conflicts: imported.conflicts,
      skipped: imported.skipped.length,
      seconds: round(p.importRun.seconds),
      peak_rss_kib: p.importRun.maxRssKiB,
    },
    load: {
      libsolv: { ...loadOf('libsolv'), runs_s: runsOf('libsolv'), peak_rss_kib: f.rss.libsolv },
      libsolv_solv: { ...loadOf('libsolvSolv'), runs_s: runsOf('libsolvSolv'), peak_rss_kib: f.rss.libsolvSolv },
      zpkg: { ...loadOf('zpkg'), decode_checked_s: round(f.zChecked), runs_s: runsOf('zpkg'), peak_rss_kib: f.rss.zpkg },
      zpkg_import: {
        median_s: round(f.zimp.total),
        parse_s: round(f.zimp.parse),
        index_s: round(f.zimp.index),
        entries_s: round(f.zimp.entries),
        runs_s: m.imports.map((o) => round(o.load.total_s)),
        peak_rss_kib: f.zimp.rssTable,
      },
    },
    install_dry_run: { median_s: round(f.installWall), runs_s: m.installRuns.wall.map((x) => round(x)), peak_rss_kib: f.installRss },
    jobs,
    check: {
      installcheck: { median_s: round(f.icWall), runs_s: m.checks.installcheck.wall.map((x) => round(x)), peak_rss_kib: peakKiB(m.checks.installcheck), uninstallable: v.installcheck.packages.length },
      zpkg_cli: { median_s: round(f.cliWall), runs_s: m.checks.cli.wall.map((x) => round(x)), peak_rss_kib: peakKiB(m.checks.cli), uninstallable: v.zpkgCli.length, timing: m.cliOut?.timing ?? null },
      zpkg_in_process: { check_median_s: round(f.inprocCheck), load_median_s: round(f.inprocLoad), peak_rss_kib: peakKiB(m.checks.inproc), uninstallable: v.zpkgInProcess.length },
      dose: m.doseRun ? { seconds: round(m.doseRun.seconds), peak_rss_kib: m.doseRun.maxRssKiB, uninstallable: v.dose?.length ?? null } : null,
      only_zpkg: v.onlyZpkg,
      only_installcheck: v.onlyInstallcheck,
    },
    goals,
    problems: b.problems,
  };
}
