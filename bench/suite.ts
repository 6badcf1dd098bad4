/**
 * What a benchmark suite is. A suite is a small module exporting `{ name, run(ctx) }`;
 * `registry.ts` lists the suites in the order `main.ts` runs them.
 *
 * Benchmarks are not tests: they measure, print a table, and state honestly whether
 * each goal of the issue they belong to is met. A goal that is not met is a result,
 * not a failure; only a suite that cannot run at all is reported as failed.
 */

export interface BenchContext {
  /** Absolute path of the repository (where `bin/zpkg.js` lives). */
  readonly repoRoot: string;
  /** `<repoRoot>/.bench` (gitignored). */
  readonly benchDir: string;
  /** `<benchDir>/<suite name>`: wiped and created empty before the suite runs. */
  readonly workDir: string;
  /** Smaller inputs, for a smoke run. */
  readonly quick: boolean;
  /** How many times each measurement is repeated (the median is reported). */
  readonly reps: number;
  /** Keep bulky intermediate outputs (installed trees) after the suite ends. */
  readonly keep: boolean;
  /** Progress line (goes to stderr, so stdout holds only the tables and the JSON lines). */
  log(message: string): void;
}

export type GoalStatus = 'met' | 'not met' | 'not measured';

export interface GoalResult {
  goal: string;
  status: GoalStatus;
  detail: string;
}

export interface SuiteResult {
  /** One line for the summary table. */
  summary: string;
  goals: GoalResult[];
  /** Every number the suite measured; printed as one JSON line. */
  data: Record<string, unknown>;
}

export interface BenchSuite {
  readonly name: string;
  readonly description: string;
  run(ctx: BenchContext): Promise<SuiteResult>;
}
