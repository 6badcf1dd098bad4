/**
 * Phase 4 of `install`: the tables a person reads and the JSON line with every
 * number (names kept stable across versions of the suite: readers compare them).
 */
import os from 'node:os';
import { median, type TimedResult } from '../proc.js';
import type { GoalResult, SuiteResult } from '../suite.js';
import { fmtInt, fmtMB, fmtRatio, fmtSeconds, formatTable, round } from '../table.js';
import { buildSeconds, figures, goals as judgeGoals, type Figures } from './figures.js';
import { stepLines, stepsJson } from './steps.js';
import { WARM_PROGRAMS, ZPKG_UNSAFE_IO_FLAG, type Bench, type Measured, type Prepared, type Verified } from './types.js';

export function report(b: Bench, p: Prepared, m: Measured, v: Verified): SuiteResult {
  const { ctx } = b;
  const f = figures(p, ctx.reps);
  const goals = judgeGoals(p, v, f);
  console.log(tables(b, p, m, v, f, goals).join('\n'));
  const r = f.ratios;
  const summary = f.ok(p.measures.find((x) => x.id === 'zpkg')!)
    ? `zpkg ${fmtSeconds(f.med('zpkg'))} s, dpkg ${fmtSeconds(f.med('dpkg'))} s, tar ${fmtSeconds(f.med('tar'))} s (zpkg/dpkg ${fmtRatio(r.zpkg_over_dpkg)}, zpkg/tar ${fmtRatio(r.zpkg_over_tar)})`
    : `dpkg ${fmtSeconds(f.med('dpkg'))} s, dpkg unsafe ${fmtSeconds(f.med('dpkg-unsafe'))} s, tar ${fmtSeconds(f.med('tar'))} s; zpkg: failed`;
  return { summary, goals, data: jsonData(b, p, m, v, f, goals) };
}

function tables(b: Bench, p: Prepared, m: Measured, v: Verified, f: Figures, goals: GoalResult[]): string[] {
  const { ctx } = b;
  const { spec } = p;
  const out: string[] = [];
  out.push('');
  out.push(
    `install benchmark — ${fmtInt(spec.files.length)} files, ${fmtInt(spec.dirs.length)} dirs, ${spec.links.length} symlinks, ${fmtMB(spec.totalBytes)} MB; ` +
      `median of ${ctx.reps} runs into a fresh target; page cache ${m.cacheDropped ? 'dropped' : 'NOT dropped'} before each run (not for the "(warm)" rows, run right after their cold twin)` +
      `${WARM_PROGRAMS ? ' (tool program re-warmed)' : ''}; MB = 10^6 bytes`,
  );
  out.push(`machine: ${os.cpus().length} CPUs; 1-min load average ${m.loadBefore} before the timed runs, ${m.loadAfter} after`);
  if (f.othersMean != null) {
    out.push(
      `other processes (and kernel writeback) used ${(f.othersMean * 100).toFixed(0)}% of the machine's CPU during the timed runs on average ("others CPU" per row)`,
    );
    if (f.othersMean > 0.15) out.push('WARNING: the machine was busy with other work during the runs; CPU and disk were shared, so the figures are noisy (see the individual runs).');
  }
  out.push('');
  out.push(
    formatTable(
      ['package', 'median s', 'runs s', 'CPU usr+sys s', 'output MB', 'tree/output'],
      [
        buildRow('dpkg-deb -Zzstd --build (level 3)', p.builds.deb, p.debBytes, spec.totalBytes),
        buildRow('zpkg build (whole repository)', p.builds.zpkg, p.repoBytes, spec.totalBytes),
        buildRow('tar -cf (uncompressed)', p.builds.tar, p.tarBytes, spec.totalBytes),
      ],
    ),
  );
  out.push('');
  const rows = p.measures.map((x) => {
    if (!f.ok(x)) return [x.label, x.syncCounts ? f.durability(x) : x.claimed, x.failed ? 'FAILED' : 'n/a', '', '', '', '', '', x.failed ? 'see problems' : ''];
    const s = f.stat(x);
    const tc = x.treeCheck;
    return [
      x.label,
      f.durability(x),
      fmtSeconds(s.median),
      x.samples.map((y) => fmtSeconds(y.seconds)).join(' '),
      f.mbps(s.median).toFixed(0),
      fmtSeconds(s.syncAfter),
      s.rssKiB == null ? 'n/a' : fmtMB(s.rssKiB * 1024),
      s.user == null || s.sys == null ? 'n/a' : `${fmtSeconds(s.user)}+${fmtSeconds(s.sys)}`,
      s.others == null ? 'n/a' : `${(s.others * 100).toFixed(0)}%`,
      tc ? (tc.mismatches ? `${tc.mismatches} differ` : `identical (${fmtInt(tc.checked)})`) : '',
    ];
  });
  out.push(
    formatTable(
      ['install', 'durability (counted)', 'median s', 'runs s', 'MB/s', 'sync after s', 'peak RSS MB', 'CPU usr+sys s', 'others CPU', 'tree vs source'],
      rows,
      ['left', 'left', 'right', 'left', 'right', 'right', 'right', 'right', 'right', 'left'],
    ),
  );
  const steps = stepLines(p.measures, { cold: p.measures.find((x) => x.id === 'tar'), warm: p.measures.find((x) => x.id === 'tar-warm') });
  if (steps.length) out.push('', ...steps);
  const r = f.ratios;
  out.push('');
  out.push(
    formatTable(
      ['ratio (time / time)', 'value'],
      [
        ['zpkg / dpkg           (each at its default durability)', fmtRatio(r.zpkg_over_dpkg)],
        [`zpkg ${ZPKG_UNSAFE_IO_FLAG} / dpkg --force-unsafe-io (no fsync either)`, fmtRatio(r.zpkg_unsafe_over_dpkg_unsafe)],
        ['zpkg / tar -x         (tar never syncs)', fmtRatio(r.zpkg_over_tar)],
        [`zpkg ${ZPKG_UNSAFE_IO_FLAG} / tar -x`, fmtRatio(r.zpkg_unsafe_over_tar)],
        ['dpkg / tar -x', fmtRatio(r.dpkg_over_tar)],
        ['dpkg --force-unsafe-io / dpkg', fmtRatio(r.dpkg_unsafe_over_dpkg)],
        ['zpkg / dpkg           (warm)', fmtRatio(r.zpkg_over_dpkg_warm)],
        ['zpkg / tar -x         (warm)', fmtRatio(r.zpkg_over_tar_warm)],
        ...(r.bundle_over_zpkg == null
          ? []
          : [
              ['zpkg (bundle) / dpkg', fmtRatio(r.bundle_over_dpkg)],
              ['zpkg (bundle) / tar -x', fmtRatio(r.bundle_over_tar)],
              ['zpkg (bundle) / tar -x (warm)', fmtRatio(r.bundle_over_tar_warm)],
              ['zpkg (bundle) / zpkg (npm package)', fmtRatio(r.bundle_over_zpkg)],
            ]),
      ],
      ['left', 'right'],
    ),
  );
  const verifyRows = v.names.map(({ name }) => {
    const x = v.verify[name];
    if (!x) return [name, 'n/a', '', '', '', '', '', 'install failed'];
    const s = median(x.seconds);
    const cpu = x.user.length ? `${fmtSeconds(median(x.user))}+${fmtSeconds(median(x.sys))}` : 'n/a';
    return [
      name,
      fmtSeconds(s),
      x.seconds.map((y) => fmtSeconds(y)).join(' '),
      f.mbps(s).toFixed(0),
      cpu,
      x.rssKiB == null ? 'n/a' : fmtMB(x.rssKiB * 1024),
      x.load.map((l) => l.toFixed(1)).join(' '),
      x.ok ? x.detail : `FAILED: ${x.detail}`,
    ];
  });
  out.push('');
  out.push(
    formatTable(
      ['verify (cold: page cache dropped; warm: right after)', 'median s', 'runs s', 'MB/s', 'CPU usr+sys s', 'peak RSS MB', 'load avg', 'result'],
      verifyRows,
      ['left', 'right', 'left', 'right', 'right', 'right', 'left', 'left'],
    ),
  );
  out.push('');
  out.push(formatTable(['goal (issues 2, 12)', 'status', 'detail'], goals.map((g) => [g.goal, g.status.toUpperCase(), g.detail]), ['left', 'left', 'left']));
  out.push('');
  out.push(
    'dpkg -i runs with --no-force-unsafe-io (dpkg\'s own default: fsync of every file before its rename)' +
      (p.dpkgCfgUnsafe ? `, overriding force-unsafe-io set by ${p.dpkgCfgUnsafe} on this machine` : '') +
      '; tar -x reads an uncompressed tar and never syncs; "sync after" is the writeback a run leaves to the next sync.',
  );
  if (b.problems.length) {
    out.push('');
    out.push('problems:');
    for (const x of b.problems) out.push(`  - ${x.replaceAll('\n', '\n    ')}`);
  }
  return out;
}

function jsonData(b: Bench, p: Prepared, m: Measured, v: Verified, f: Figures, goals: GoalResult[]): Record<string, unknown> {
  const { ctx } = b;
  const { spec } = p;
  const install = Object.fromEntries(
    p.measures.map((x) => {
      const s = f.ok(x) ? f.stat(x) : null;
      return [
        x.id,
        {
          label: x.label,
          failed: x.failed ?? null,
          durability: f.durability(x),
          sync_calls: x.syncCounts ?? null,
          runs_s: x.samples.map((y) => round(y.seconds)),
          median_s: round(s?.median),
          mb_per_s: s ? round(f.mbps(s.median), 1) : null,
          sync_after_median_s: round(s?.syncAfter),
          peak_rss_kib: s?.rssKiB ?? null,
          cpu_user_median_s: round(s?.user),
          cpu_sys_median_s: round(s?.sys),
          others_cpu_share_median: round(s?.others),
          tree_mismatches: x.treeCheck?.mismatches ?? null,
          steps_median: stepsJson(x),
        },
      ];
    }),
  );
  return {
    quick: ctx.quick,
    reps: ctx.reps,
    versions: p.versions,
    cpus: os.cpus().length,
    load_average_before: m.loadBefore,
    load_average_after: m.loadAfter,
    others_cpu_share_mean: round(f.othersMean),
    cache_dropped: m.cacheDropped,
    dpkg_config_forces_unsafe_io: p.dpkgCfgUnsafe,
    programs_warmed: WARM_PROGRAMS,
    tree: {
      files: spec.files.length,
      dirs: spec.dirs.length,
      symlinks: spec.links.length,
      bytes: spec.totalBytes,
      seed: spec.seed,
      generate_s: round(p.genSeconds),
    },
    build: {
      deb: { median_s: round(buildSeconds(p.builds.deb)), runs_s: p.builds.deb.map((x) => round(x.seconds)), bytes: p.debBytes },
      zpkg: { median_s: round(buildSeconds(p.builds.zpkg)), runs_s: p.builds.zpkg.map((x) => round(x.seconds)), repo_bytes: p.repoBytes },
      tar: { median_s: round(buildSeconds(p.builds.tar)), runs_s: p.builds.tar.map((x) => round(x.seconds)), bytes: p.tarBytes },
    },
    install,
    ratios: Object.fromEntries(Object.entries(f.ratios).map(([k, x]) => [k, round(x)])),
    verify: Object.fromEntries(
      Object.entries(v.verify).map(([k, x]) => [
        k,
        {
          median_s: round(median(x.seconds)),
          runs_s: x.seconds.map((y) => round(y)),
          cpu_user_median_s: x.user.length ? round(median(x.user)) : null,
          cpu_sys_median_s: x.sys.length ? round(median(x.sys)) : null,
          load_average: x.load.map((l) => round(l, 2)),
          ok: x.ok,
          detail: x.detail,
          peak_rss_kib: x.rssKiB,
        },
      ]),
    ),
    tamper: v.tamper,
    zpkg: { unsafe_io_flag: ZPKG_UNSAFE_IO_FLAG },
    goals,
    problems: b.problems,
  };
}

/** A packaging's row: median and runs, median CPU, output size and the tree's size over it. */
function buildRow(label: string, runs: readonly TimedResult[], bytes: number, treeBytes: number): string[] {
  const timedCpu = runs.every((x) => x.userSeconds != null && x.systemSeconds != null);
  const cpu = timedCpu ? `${fmtSeconds(median(runs.map((x) => x.userSeconds!)))}+${fmtSeconds(median(runs.map((x) => x.systemSeconds!)))}` : 'n/a';
  return [label, fmtSeconds(buildSeconds(runs)), runs.map((x) => fmtSeconds(x.seconds)).join(' '), cpu, fmtMB(bytes), fmtRatio(treeBytes / bytes)];
}
