/**
 * What the phases of the `solver` suite hand to each other: prepare → `Prepared`
 * (the index as one plain file, the .solv, the imported repository), measure →
 * `Measured` (what each process printed, and its wall time and peak RSS),
 * verify → `Verified` (the uninstallable sets side by side), then report.
 */
import type { TimedResult } from '../proc.js';
import type { BenchContext } from '../suite.js';

export const JOBS = ['gnome', 'kde-full', 'texlive-full', 'build-essential'] as const;
export const SOLVES_PER_PROCESS = 5;
export const PYTHON = '/usr/bin/python3';

/** The suite's context: where it works, the programs it runs, and the problems it collects on the way. */
export interface Bench {
  ctx: BenchContext;
  /** bin/zpkg.js */
  zpkgBin: string;
  /** dist/bench/solver-zpkg.js: zpkg's side, one process per run. */
  zpkgSide: string;
  /** bench/libsolv.py: libsolv's side (python3-solv). */
  libsolvPy: string;
  problems: string[];
}

/** One job as a side's process reports it (bench/libsolv.py and bench/solver-zpkg.ts print the same shape). */
export interface JobResult {
  name: string;
  ok: boolean;
  seconds: number[];
  first_s: number;
  median_s: number;
  chosen: number | null;
  /** zpkg only: chosen packages no dependency chain from the request reaches (first solve). */
  unneeded?: string[] | null;
  problems: string[];
}

export interface Loaded {
  parse_s: number;
  index_s: number;
  total_s: number;
  /** zpkg's catalog, decoded again with every check (as `refresh` and `repo check` do). */
  decode_checked_s?: number;
}

export interface ImportOutput {
  load: Loaded;
  entries_s: number;
  max_rss_kib_table: number;
  max_rss_kib: number;
}

export interface SolveOutput {
  load: Loaded;
  jobs: JobResult[];
  max_rss_kib: number;
}

export interface CheckOutput {
  load: Loaded;
  check_s: number;
  uninstallable: string[];
  max_rss_kib: number;
}

/** `zpkg --json repo check`'s document, as far as the suite reads it. */
export interface CliCheck {
  packages: number;
  uninstallable: { name: string; version: string; reason: string[] }[];
  seconds: number;
  timing?: Record<string, number>;
}

/** `zpkg --json repo import-index`'s document, as far as the suite reads it. */
export interface Imported {
  packages: number;
  dependencyClauses: number;
  provides: number;
  conflicts: number;
  skipped: unknown[];
  seconds: { total: number };
}

/** A command run several times: wall seconds and peak RSS of each run. */
export interface Runs {
  wall: number[];
  rssKiB: (number | null)[];
}

export type Side = 'libsolv' | 'libsolvSolv' | 'zpkg';

export interface Prepared {
  /** The index apt keeps, as found. */
  index: string;
  /** The same, decompressed: every tool reads this file. */
  plain: string;
  /** libsolv's solvable names → `NAME VERSION`. */
  names: Map<string, string>;
  /** python3-solv's .solv of `plain`, for installcheck and the `add_solv` load. */
  solvFile: string;
  /** The catalog-only repository `zpkg repo import-index` made of `plain`. */
  repo: string;
  /** An image with that repository as its remote, for `install -n`. */
  image: string;
  /** The `repo import-index` run and what it printed. */
  importRun: TimedResult;
  imported: Imported;
  installcheck: string;
  /** dose-distcheck, when installed and not --quick. */
  dose: string | null;
}

export interface Measured {
  /** Solves per job in each process. */
  solves: number;
  sides: Record<Side, { out: SolveOutput[]; runs: Runs }>;
  imports: ImportOutput[];
  installRuns: Runs;
  installOut: { install?: unknown[] } | undefined;
  checks: { installcheck: Runs; cli: Runs; inproc: Runs };
  installcheckOut: string;
  cliOut: CliCheck | undefined;
  inproc: CheckOutput[];
  /** Share of the machine's CPU other processes used during the measured runs. */
  othersShare: number | null;
  doseRun: TimedResult | null;
}

export interface Verified {
  installcheck: { packages: string[]; unknown: string[] };
  /** `NAME VERSION` of every package each says cannot be installed, sorted. */
  zpkgCli: string[];
  zpkgInProcess: string[];
  dose: string[] | null;
  onlyZpkg: string[];
  onlyInstallcheck: string[];
  /** zpkg's explanation of each package it finds uninstallable. */
  reasonOf: Map<string, string[]>;
}
