/**
 * What the phases of the `install` suite hand to each other:
 * prepare → `Prepared` (the inputs and the tools to measure), measure → `Measured`
 * (samples on each `Measure`), verify → `Verified`, and report reads them all.
 */
import type { BenchContext } from '../suite.js';
import type { RunResult, TimedResult } from '../proc.js';
import type { TreeSpec } from '../tree.js';
import type { StepSeconds } from './steps.js';

export const PKG = 'benchtree';
export const REMOTE = 'bench';
/** The zpkg install flag that skips fsync. */
export const ZPKG_UNSAFE_IO_FLAG = '--unsafe-io';
/** Page in each tool's program after dropping the cache, so only the input is read cold. */
export const WARM_PROGRAMS = true;

export type Command = [string, string[]];

export interface SyncCounts {
  fsync: number;
  fdatasync: number;
  syncfs: number;
  sync: number;
  sync_file_range: number;
}

export interface RunSample {
  seconds: number;
  syncAfter: number;
  maxRssKiB: number | null;
  userSeconds: number | null;
  systemSeconds: number | null;
  /** Share of the machine's CPU capacity used by anything but the measured command during its run. */
  othersCpuShare: number | null;
  /** The seconds of each step, as the command reported them (zpkg's `--json`). */
  steps?: StepSeconds;
}

export interface TreeCheck {
  checked: number;
  mismatches: number;
  examples: string[];
}

/** One way of installing the tree (a row of the table); measure and verify fill in its results. */
export interface Measure {
  id: string;
  label: string;
  /** What the tool is documented or asked to do; replaced by the strace count when available. */
  claimed: string;
  prepare(target: string): Promise<void>;
  command(target: string): Command;
  /** Reads the step seconds from a run's stdout (zpkg rows). */
  steps?: (stdout: string) => StepSeconds | undefined;
  warm: Command;
  samples: RunSample[];
  /** `warm`: the page cache is not dropped before its runs; it runs right after its `twin` (the same command, cold), whose read left the input cached. */
  cache?: 'warm';
  /** The id of the cold measure of the same command (a warm row's strace count is its twin's). */
  twin?: string;
  failed?: string;
  syncCounts?: SyncCounts;
  treeCheck?: TreeCheck;
}

/** The suite's context: where it works, how it runs zpkg, and the problems it collects on the way. */
export interface Bench {
  ctx: BenchContext;
  /** `node bin/zpkg.js ARGS…` as a command. */
  zpkg(...args: string[]): Command;
  /** The bundle's launcher (bench/bundle.ts) running ARGS…; undefined when the bundle could not be built (its rows are left out). */
  bundled?: (...args: string[]) => Command;
  /** A command line or output as a reader wants it: `node bin/zpkg.js`, `.bench/install/…`. */
  shown(text: string): string;
  /** A failed run, as a problem line. */
  failure(r: RunResult): string;
  problems: string[];
}

/** The timed packagings of the tree: `dpkg-deb -Zzstd --build`, `tar -cf`, `zpkg build`. */
export interface Builds {
  deb: TimedResult[];
  tar: TimedResult[];
  zpkg: TimedResult[];
}

export interface Prepared {
  spec: TreeSpec;
  /** The generated tree (the zpkg recipe's `root`). */
  tree: string;
  genSeconds: number;
  /** Each packaging's timed runs, `reps` of each, interleaved. */
  builds: Builds;
  debBytes: number;
  tarBytes: number;
  repo: string;
  repoBytes: number;
  versions: Record<string, string | null>;
  /** The dpkg configuration file that turns on force-unsafe-io, if any. */
  dpkgCfgUnsafe: string | null;
  measures: Measure[];
  /** `sha256sum -c` input for the installed tree: `<hex>  <path>` per file, paths relative to the target. */
  sums: string;
  /** A fresh zpkg image at `target` with the bench remote (the repository, or `repoDir`) refreshed. */
  zpkgImage(target: string, repoDir?: string): Promise<void>;
}

export interface Measured {
  loadBefore: number;
  loadAfter: number;
  cacheDropped: boolean;
  /** Where run `rep` of a measure installed (the last run's target is kept for verify). */
  targetOf(m: Measure, rep: number | string): string;
  targetsDir: string;
}

export interface VerifyResult {
  seconds: number[];
  /** CPU seconds (user, system) per run, when /usr/bin/time reported them. */
  user: number[];
  sys: number[];
  /** The 1-min load average before each run. */
  load: number[];
  ok: boolean;
  detail: string;
  rssKiB: number | null;
}

export interface TamperResult {
  refused: boolean | null;
  wroteFiles: number | null;
  detail: string;
  /** zpkg's full error output. */
  message: string;
}

export interface Verified {
  /** The verify commands in table order, with the measure whose tree each reads. */
  names: { name: string; measure: Measure }[];
  /** Results by name, for the measures that installed. */
  verify: Record<string, VerifyResult>;
  tamper: TamperResult;
}
