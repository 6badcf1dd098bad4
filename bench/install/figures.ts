/** The numbers the report of `install` prints: medians per measure, the ratios between them, and the goals of issues 2 and 12. */
import { median, type TimedResult } from '../proc.js';
import { fmtInt, fmtRatio, fmtSeconds } from '../table.js';
import { describeDurability } from './durability.js';
import type { GoalResult } from '../suite.js';
import type { Measure, Prepared, Verified } from './types.js';

/** Issue 2's goals. */
const GOAL_VS_DPKG = 0.5; // zpkg at least 2× faster than dpkg
const GOAL_VS_TAR = 1.2; // zpkg within 1.2× of tar
/** Issue 12's goals for verify. */
const GOAL_VERIFY_WARM = 0.5; // warm: at most half of sha256sum -c and of dpkg --verify
const GOAL_VERIFY_COLD = 1.0; // cold: no slower than dpkg --verify
/** Issue 12's goals for install's memory and for build. */
const GOAL_RSS_MB = 64; // zpkg install's peak RSS, cold and warm
const GOAL_BUILD = 1.0; // build time: no slower than dpkg-deb -Zzstd --build
const GOAL_BUILD_BYTES = 1.05; // repository bytes: at most 1.05× the .deb

/** A packaging's median seconds over its runs. */
export function buildSeconds(runs: readonly TimedResult[]): number {
  return median(runs.map((r) => r.seconds));
}

export interface MeasureStat {
  median: number;
  syncAfter: number;
  rssKiB: number | null;
  user: number | null;
  sys: number | null;
  others: number | null;
}

export type Ratios = Record<
  | 'zpkg_over_dpkg'
  | 'zpkg_unsafe_over_dpkg_unsafe'
  | 'zpkg_over_tar'
  | 'zpkg_unsafe_over_tar'
  | 'dpkg_over_tar'
  | 'dpkg_unsafe_over_dpkg'
  | 'zpkg_over_dpkg_warm'
  | 'zpkg_over_tar_warm'
  | 'bundle_over_dpkg'
  | 'bundle_over_tar'
  | 'bundle_over_tar_warm'
  | 'bundle_over_zpkg',
  number | null
>;

export interface Figures {
  /** Repetitions of each run. */
  reps: number;
  /** Whether the measure ran every repetition. */
  ok(m: Measure): boolean;
  stat(m: Measure): MeasureStat;
  /** Median seconds of the measure with this id, when it ran every repetition. */
  med(id: string): number | null;
  durability(m: Measure): string;
  ratios: Ratios;
  /** Mean share of the machine's CPU other processes used during the timed runs. */
  othersMean: number | null;
  mbps(seconds: number): number;
}

export function figures(p: Prepared, reps: number): Figures {
  const stat = (m: Measure): MeasureStat => {
    const some = (f: (s: Measure['samples'][number]) => number | null): boolean => m.samples.some((s) => f(s) != null);
    return {
      median: median(m.samples.map((s) => s.seconds)),
      syncAfter: median(m.samples.map((s) => s.syncAfter)),
      rssKiB: some((s) => s.maxRssKiB) ? Math.max(...m.samples.map((s) => s.maxRssKiB ?? 0)) : null,
      user: some((s) => s.userSeconds) ? median(m.samples.map((s) => s.userSeconds ?? 0)) : null,
      sys: some((s) => s.systemSeconds) ? median(m.samples.map((s) => s.systemSeconds ?? 0)) : null,
      others: some((s) => s.othersCpuShare) ? median(m.samples.map((s) => s.othersCpuShare ?? 0)) : null,
    };
  };
  const ok = (m: Measure): boolean => !m.failed && m.samples.length === reps;
  const med = (id: string): number | null => {
    const m = p.measures.find((x) => x.id === id);
    return m && ok(m) ? stat(m).median : null;
  };
  const ratio = (a: string, b: string): number | null => {
    const x = med(a);
    const y = med(b);
    return x != null && y != null ? x / y : null;
  };
  const shares = p.measures.flatMap((m) => m.samples.map((x) => x.othersCpuShare)).filter((x): x is number => x != null);
  return {
    reps,
    ok,
    stat,
    med,
    durability: (m) => (m.syncCounts ? describeDurability(m.syncCounts, p.spec.files.length) : m.claimed),
    ratios: {
      zpkg_over_dpkg: ratio('zpkg', 'dpkg'),
      zpkg_unsafe_over_dpkg_unsafe: ratio('zpkg-unsafe', 'dpkg-unsafe'),
      zpkg_over_tar: ratio('zpkg', 'tar'),
      zpkg_unsafe_over_tar: ratio('zpkg-unsafe', 'tar'),
      dpkg_over_tar: ratio('dpkg', 'tar'),
      dpkg_unsafe_over_dpkg: ratio('dpkg-unsafe', 'dpkg'),
      zpkg_over_dpkg_warm: ratio('zpkg-warm', 'dpkg-warm'),
      zpkg_over_tar_warm: ratio('zpkg-warm', 'tar-warm'),
      bundle_over_dpkg: ratio('zpkg-bundle', 'dpkg'),
      bundle_over_tar: ratio('zpkg-bundle', 'tar'),
      bundle_over_tar_warm: ratio('zpkg-bundle-warm', 'tar-warm'),
      bundle_over_zpkg: ratio('zpkg-bundle', 'zpkg'),
    },
    othersMean: shares.length ? shares.reduce((a, b) => a + b, 0) / shares.length : null,
    mbps: (s) => p.spec.totalBytes / 1e6 / s,
  };
}

/** The goals of issues 2 and 12, stated honestly: a goal zpkg could not be measured against says so. */
export function goals(p: Prepared, v: Verified, f: Figures): GoalResult[] {
  const zpkgM = p.measures.find((m) => m.id === 'zpkg')!;
  const notMeasured = 'zpkg install did not complete (see problems)';
  const out: GoalResult[] = [];
  for (const [cache, sfx, r1, r2] of [
    ['page cache dropped', '', f.ratios.zpkg_over_dpkg, f.ratios.zpkg_over_tar],
    ['warm', '-warm', f.ratios.zpkg_over_dpkg_warm, f.ratios.zpkg_over_tar_warm],
  ] as const) {
    const g1 = `zpkg install ≥ 2× faster than dpkg -i (${cache})`;
    out.push(
      r1 == null
        ? { goal: g1, status: 'not measured', detail: notMeasured }
        : {
            goal: g1,
            status: r1 <= GOAL_VS_DPKG ? 'met' : 'not met',
            detail: `zpkg ${fmtSeconds(f.med(`zpkg${sfx}`))} s vs dpkg ${fmtSeconds(f.med(`dpkg${sfx}`))} s: ${(1 / r1).toFixed(2)}× faster (zpkg/dpkg ${fmtRatio(r1)}, goal ≤ ${GOAL_VS_DPKG.toFixed(2)}×)`,
          },
    );
    const g2 = `zpkg install within 1.2× of tar -x (${cache})`;
    out.push(
      r2 == null
        ? { goal: g2, status: 'not measured', detail: notMeasured }
        : {
            goal: g2,
            status: r2 <= GOAL_VS_TAR ? 'met' : 'not met',
            detail: `zpkg ${fmtSeconds(f.med(`zpkg${sfx}`))} s vs tar ${fmtSeconds(f.med(`tar${sfx}`))} s: zpkg/tar ${fmtRatio(r2)} (goal ≤ ${GOAL_VS_TAR.toFixed(2)}×)`,
          },
    );
  }
  // The issue's 64 MB: peak RSS as /usr/bin/time reports it (KiB), in 10^6 bytes, the larger of the cold and warm runs.
  const rss = ['zpkg', 'zpkg-warm'].map((id) => p.measures.find((m) => m.id === id)!).filter((m) => f.ok(m)).map((m) => f.stat(m).rssKiB);
  const gRss = `zpkg install peak RSS ≤ ${GOAL_RSS_MB} MB (cold and warm)`;
  if (rss.length < 2 || rss.some((x) => x == null)) out.push({ goal: gRss, status: 'not measured', detail: rss.length < 2 ? notMeasured : 'no peak RSS (/usr/bin/time is missing)' });
  else {
    const mb = Math.max(...rss.map((x) => x!)) * 1024 / 1e6;
    out.push({ goal: gRss, status: mb <= GOAL_RSS_MB ? 'met' : 'not met', detail: `peak RSS ${mb.toFixed(0)} MB over the cold and warm runs (goal ≤ ${GOAL_RSS_MB} MB)` });
  }
  const deb = buildSeconds(p.builds.deb);
  const zb = buildSeconds(p.builds.zpkg);
  out.push({
    goal: 'zpkg build ≤ 1.0× dpkg-deb -Zzstd --build',
    status: zb / deb <= GOAL_BUILD ? 'met' : 'not met',
    detail: `zpkg build ${fmtSeconds(zb)} s vs dpkg-deb ${fmtSeconds(deb)} s (medians of ${p.builds.zpkg.length}): ${fmtRatio(zb / deb)} (goal ≤ ${GOAL_BUILD.toFixed(2)}×)`,
  });
  out.push({
    goal: 'repository bytes ≤ 1.05× the .deb',
    status: p.repoBytes / p.debBytes <= GOAL_BUILD_BYTES ? 'met' : 'not met',
    detail: `${fmtInt(p.repoBytes)} bytes vs ${fmtInt(p.debBytes)}: ${(p.repoBytes / p.debBytes).toFixed(3)}× (goal ≤ ${GOAL_BUILD_BYTES.toFixed(2)}×)`,
  });
  out.push(...verifyGoals(v, f.reps));
  if (!f.ok(zpkgM)) {
    out.push({ goal: 'every digest verified', status: 'not measured', detail: notMeasured });
  } else {
    const zv = v.verify['zpkg verify'];
    const tc = zpkgM.treeCheck;
    const { tamper } = v;
    const parts = [
      `zpkg verify after install: ${zv ? (zv.ok ? 'clean' : `FAILED (${zv.detail})`) : 'not run'}`,
      `installed tree vs source: ${tc ? (tc.mismatches ? `${tc.mismatches} differ` : `identical (${fmtInt(tc.checked)} entries, sha256)`) : 'not checked'}`,
      `altered blob: ${tamper.detail}`,
    ];
    const met = !!zv?.ok && !!tc && tc.mismatches === 0 && tamper.refused === true && tamper.wroteFiles === 0;
    out.push({ goal: 'every digest verified', status: met ? 'met' : 'not met', detail: parts.join('; ') });
  }
  return out;
}

/** The median seconds of a verify row, when it ran every repetition and found the tree clean. */
export function verifyMedian(v: Verified, name: string, reps: number): number | null {
  const x = v.verify[name];
  return x && x.ok && x.seconds.length === reps && reps > 0 ? median(x.seconds) : null;
}

/** Issue 12's verify goals: warm ≤ 0.5× `sha256sum -c` and ≤ 0.5× `dpkg --verify`; page cache dropped ≤ 1.0× `dpkg --verify`. */
export function verifyGoals(v: Verified, reps: number): GoalResult[] {
  const rows: [string, string, string, number][] = [
    ['zpkg verify ≤ 0.5× sha256sum -c (warm)', 'zpkg verify (warm)', 'sha256sum -c (warm)', GOAL_VERIFY_WARM],
    ['zpkg verify ≤ 0.5× dpkg --verify (warm)', 'zpkg verify (warm)', 'dpkg --verify (warm)', GOAL_VERIFY_WARM],
    ['zpkg verify ≤ 1.0× dpkg --verify (page cache dropped)', 'zpkg verify', 'dpkg --verify', GOAL_VERIFY_COLD],
  ];
  return rows.map(([goal, zpkg, anchor, limit]) => {
    const z = verifyMedian(v, zpkg, reps);
    const a = verifyMedian(v, anchor, reps);
    if (z == null || a == null) return { goal, status: 'not measured', detail: `${z == null ? zpkg : anchor}: did not run every repetition cleanly (see problems)` };
    const r = z / a;
    return { goal, status: r <= limit ? 'met' : 'not met', detail: `${zpkg} ${fmtSeconds(z)} s vs ${anchor} ${fmtSeconds(a)} s: ${fmtRatio(r)} (goal ≤ ${limit.toFixed(2)}×)` };
  });
}
