/**
 * Where a zpkg install's time goes: the step seconds its `--json` result
 * reports (txn/transaction.ts StepSeconds), median per step over the runs,
 * beside tar's figures for the same tree. The steps run back to back from the
 * solve to the post-hooks; what the wall time holds beyond their sum is the
 * process around them (Node's start-up, loading zpkg, opening and locking the
 * image, printing, exit). This is the evidence for the "install ≤ 1.2× tar"
 * goal: staging writes what tar writes, everything else is zpkg's alone.
 */
import { median } from '../proc.js';
import { fmtSeconds, formatTable, round } from '../table.js';
import type { Measure } from './types.js';

/** The steps, in the order they run. */
export const STEPS = ['solve', 'manifests', 'plan', 'fetch', 'pre', 'stage', 'apply', 'commit', 'post'] as const;
export type Step = (typeof STEPS)[number];
export type StepSeconds = Record<Step, number>;

/** The step seconds of a zpkg `--json` result on stdout; undefined when it holds none (a failed run, another format). */
export function stepsOf(stdout: string): StepSeconds | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  const seconds = (doc as { seconds?: Record<string, unknown> } | null)?.seconds;
  if (!seconds || typeof seconds !== 'object') return undefined;
  const out = {} as StepSeconds;
  for (const s of STEPS) {
    const v = seconds[s];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return undefined;
    out[s] = v;
  }
  return out;
}

export interface StepMedians {
  steps: StepSeconds;
  /** Median over the runs of wall time minus the steps' sum. */
  outside: number;
  wall: number;
}

/** Medians of a measure whose every run reported its steps; undefined otherwise. */
export function stepMedians(m: Measure): StepMedians | undefined {
  const runs = m.samples;
  if (runs.length === 0 || runs.some((r) => !r.steps)) return undefined;
  const steps = Object.fromEntries(STEPS.map((s) => [s, median(runs.map((r) => r.steps![s]))])) as StepSeconds;
  const outside = median(runs.map((r) => r.seconds - STEPS.reduce((n, s) => n + r.steps![s], 0)));
  return { steps, outside, wall: median(runs.map((r) => r.seconds)) };
}

const HEADERS: Record<Step | 'outside' | 'wall', string> = {
  outside: 'start-up, image, exit',
  solve: 'solve',
  manifests: 'records',
  plan: 'plan',
  fetch: 'fetch',
  pre: 'pre',
  stage: 'stage',
  apply: 'apply + syncfs',
  commit: 'commit',
  post: 'post',
  wall: 'wall',
};

/** The table of the zpkg rows (those with steps), then what tar took for the same tree; empty when no row has steps. */
export function stepLines(measures: readonly Measure[], tar: { cold: Measure | undefined; warm: Measure | undefined }): string[] {
  const rows = measures.flatMap((m) => {
    const s = stepMedians(m);
    return s ? [[m.label, fmtSeconds(s.outside), ...STEPS.map((k) => fmtSeconds(s.steps[k])), fmtSeconds(s.wall)]] : [];
  });
  if (rows.length === 0) return [];
  const tarSays = (m: Measure | undefined, what: string): string => {
    if (!m || m.samples.length === 0) return `${what}: n/a`;
    return `${what} ${fmtSeconds(median(m.samples.map((x) => x.seconds)))} s, then its sync ${fmtSeconds(median(m.samples.map((x) => x.syncAfter)))} s`;
  };
  return [
    formatTable(
      ['zpkg install, by step (median s)', HEADERS.outside, ...STEPS.map((k) => HEADERS[k]), HEADERS.wall],
      rows,
      ['left', ...Array<'right'>(STEPS.length + 2).fill('right')],
    ),
    `The steps are zpkg's own --json "seconds"; "${HEADERS.outside}" is the wall time beyond their sum. "stage" writes what tar -x writes ` +
      `(${tarSays(tar.cold, 'tar -x')}; ${tarSays(tar.warm, 'warm')}); "apply" renames into place and, at zpkg's default durability, waits for the syncfs.`,
  ];
}

/** The steps' medians for the JSON line (null when the runs did not report them). */
export function stepsJson(m: Measure): Record<string, number | null> | null {
  const s = stepMedians(m);
  if (!s) return null;
  return { outside_s: round(s.outside), ...Object.fromEntries(STEPS.map((k) => [`${k}_s`, round(s.steps[k])])) };
}
