/** The numbers the report of `install` prints: medians per measure, the ratios between them, and issue 2's goals. */
import { median } from '../proc.js';
import { fmtInt, fmtRatio, fmtSeconds } from '../table.js';
import { describeDurability } from './durability.js';
import type { GoalResult } from '../suite.js';
import type { Measure, Prepared, Verified } from './types.js';

/** Issue 2's goals. */
const GOAL_VS_DPKG = 0.5; // zpkg at least 2× faster than dpkg
const GOAL_VS_TAR = 1.2; // zpkg within 1.2× of tar

export interface MeasureStat {
  median: number;
  syncAfter: number;
  rssKiB: number | null;
  user: number | null;
  sys: number | null;
  others: number | null;
}

export type Ratios = Record<
  'zpkg_over_dpkg' | 'zpkg_unsafe_over_dpkg_unsafe' | 'zpkg_over_tar' | 'zpkg_unsafe_over_tar' | 'dpkg_over_tar' | 'dpkg_unsafe_over_dpkg',
  number | null
>;

export interface Figures {
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
    const m = p.measures.find((x) => x.id === id)!;
    return ok(m) ? stat(m).median : null;
  };
  const ratio = (a: string, b: string): number | null => {
    const x = med(a);
    const y = med(b);
    return x != null && y != null ? x / y : null;
  };
  const shares = p.measures.flatMap((m) => m.samples.map((x) => x.othersCpuShare)).filter((x): x is number => x != null);
  return {
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
    },
    othersMean: shares.length ? shares.reduce((a, b) => a + b, 0) / shares.length : null,
    mbps: (s) => p.spec.totalBytes / 1e6 / s,
  };
}

/** Issue 2's goals, stated honestly: a goal zpkg could not be measured against says so. */
export function goals(p: Prepared, v: Verified, f: Figures): GoalResult[] {
  const zpkgM = p.measures.find((m) => m.id === 'zpkg')!;
  const notMeasured = 'zpkg install did not complete (see problems)';
  const out: GoalResult[] = [];
  const r1 = f.ratios.zpkg_over_dpkg;
  out.push(
    r1 == null
      ? { goal: 'zpkg install ≥ 2× faster than dpkg -i', status: 'not measured', detail: notMeasured }
      : {
          goal: 'zpkg install ≥ 2× faster than dpkg -i',
          status: r1 <= GOAL_VS_DPKG ? 'met' : 'not met',
          detail: `zpkg ${fmtSeconds(f.med('zpkg'))} s vs dpkg ${fmtSeconds(f.med('dpkg'))} s: ${(1 / r1).toFixed(2)}× faster (zpkg/dpkg ${fmtRatio(r1)}, goal ≤ ${GOAL_VS_DPKG.toFixed(2)}×)`,
        },
  );
  const r2 = f.ratios.zpkg_over_tar;
  out.push(
    r2 == null
      ? { goal: 'zpkg install within 1.2× of tar -x', status: 'not measured', detail: notMeasured }
      : {
          goal: 'zpkg install within 1.2× of tar -x',
          status: r2 <= GOAL_VS_TAR ? 'met' : 'not met',
          detail: `zpkg ${fmtSeconds(f.med('zpkg'))} s vs tar ${fmtSeconds(f.med('tar'))} s: zpkg/tar ${fmtRatio(r2)} (goal ≤ ${GOAL_VS_TAR.toFixed(2)}×)`,
        },
  );
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
