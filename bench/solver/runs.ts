/** Repeated runs of one command, and the units the solver report prints them in. */
import type { TimedResult } from '../proc.js';
import { fmtMB } from '../table.js';
import type { Runs } from './types.js';

export const newRuns = (): Runs => ({ wall: [], rssKiB: [] });

export const addRun = (r: Runs, t: TimedResult): void => {
  r.wall.push(t.seconds);
  r.rssKiB.push(t.maxRssKiB);
};

export const peakKiB = (r: Runs): number | null => (r.rssKiB.some((x) => x != null) ? Math.max(...r.rssKiB.map((x) => x ?? 0)) : null);

/** KiB → decimal MB, `n/a` when unmeasured. */
export const mb = (kib: number | null | undefined): string => (kib == null ? 'n/a' : fmtMB(kib * 1024));

/** Seconds → milliseconds with the precision a solve time needs. */
export const ms = (s: number | null | undefined): string => (s == null || !Number.isFinite(s) ? 'n/a' : s < 0.01 ? (s * 1000).toFixed(2) : (s * 1000).toFixed(1));
