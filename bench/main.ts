/**
 * `npm run bench`: runs the benchmark suites of `registry.ts` in order, then prints a
 * summary table. Each suite prints its own tables and one JSON line with every number.
 *
 *   npm run bench                       all suites, full size
 *   npm run bench -- --quick            smaller inputs (smoke run)
 *   npm run bench -- --only install     one suite (repeat or comma-separate for more)
 *   npm run bench -- --reps 5           repetitions per measurement (default 3)
 *   npm run bench -- --keep             keep installed trees under .bench/
 *
 * Outputs go under `.bench/<suite>/` in the repository, wiped before the suite runs.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suites } from './registry.js';
import type { BenchContext, GoalResult } from './suite.js';
import { fmtSeconds, formatTable } from './table.js';

interface Options {
  only: string[];
  quick: boolean;
  reps: number;
  keep: boolean;
}

const USAGE = `usage: npm run bench -- [--quick] [--only NAME[,NAME…]] [--reps N] [--keep]
suites: ${suites.map((s) => `${s.name} (${s.description})`).join('; ')}`;

function parseArgs(argv: string[]): Options {
  const o: Options = { only: [], quick: false, reps: 3, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const eq = a.indexOf('=');
      if (eq >= 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--only' || a.startsWith('--only=')) o.only.push(...value().split(',').filter(Boolean));
    else if (a === '--reps' || a.startsWith('--reps=')) {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) throw new UsageError('--reps needs a positive integer');
      o.reps = n;
    } else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new UsageError(`unknown argument ${a}`);
  }
  const unknown = o.only.filter((n) => !suites.some((s) => s.name === n));
  if (unknown.length) throw new UsageError(`unknown suite ${unknown.join(', ')}`);
  return o;
}

class UsageError extends Error {}

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`bench: ${e.message}\n${USAGE}`);
    return 2;
  }
  // dist/bench/main.js → the repository root.
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const benchDir = join(repoRoot, '.bench');
  mkdirSync(benchDir, { recursive: true });

  const selected = opts.only.length ? suites.filter((s) => opts.only.includes(s.name)) : suites;
  const started = Date.now();
  const rows: string[][] = [];
  let crashed = 0;
  for (const suite of selected) {
    // Each suite's folder is wiped before it runs (not all of .bench/, so a suite run
    // on its own does not disturb the outputs of another).
    const workDir = join(benchDir, suite.name);
    rmSync(workDir, { recursive: true, force: true });
    mkdirSync(workDir, { recursive: true });
    const ctx: BenchContext = {
      repoRoot,
      benchDir,
      workDir,
      quick: opts.quick,
      reps: opts.reps,
      keep: opts.keep,
      log: (m) => process.stderr.write(`[${suite.name}] ${m}\n`),
    };
    console.log(`\n=== ${suite.name}: ${suite.description}${opts.quick ? ' (--quick)' : ''}`);
    const t0 = Date.now();
    try {
      const res = await suite.run(ctx);
      const seconds = (Date.now() - t0) / 1000;
      console.log(JSON.stringify({ bench: suite.name, seconds: Math.round(seconds * 10) / 10, ...res.data }));
      rows.push([suite.name, 'ran', fmtSeconds(seconds), goalSummary(res.goals), res.summary]);
    } catch (e) {
      crashed++;
      const seconds = (Date.now() - t0) / 1000;
      const msg = e instanceof Error ? e.message : String(e);
      console.log(`suite ${suite.name} could not run: ${msg}`);
      if (e instanceof Error && e.stack && process.env.BENCH_DEBUG) console.error(e.stack);
      console.log(JSON.stringify({ bench: suite.name, seconds: Math.round(seconds * 10) / 10, error: msg }));
      rows.push([suite.name, 'FAILED', fmtSeconds(seconds), '', msg.split('\n')[0] ?? '']);
    }
  }
  const total = (Date.now() - started) / 1000;
  console.log(`\n=== summary (${fmtSeconds(total)} s${opts.quick ? ', --quick' : ''})`);
  console.log(formatTable(['suite', 'status', 'seconds', 'goals met', 'result'], rows, ['left', 'left', 'right', 'left', 'left']));
  return crashed ? 1 : 0;
}

function goalSummary(goals: GoalResult[]): string {
  if (!goals.length) return '';
  const met = goals.filter((g) => g.status === 'met').length;
  const unmeasured = goals.filter((g) => g.status === 'not measured').length;
  return `${met}/${goals.length}${unmeasured ? ` (${unmeasured} not measured)` : ''}`;
}

process.exitCode = await main();
