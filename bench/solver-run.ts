/**
 * Runs the `solver` suite on its own, without bench/main.ts:
 *
 *   npx tsc -p tsconfig.json && node dist/bench/solver-run.js [--quick] [--reps N] [--work DIR]
 *
 * Outputs go under `.bench/solver/` (emptied first), or DIR; prints the
 * suite's tables and its JSON line, as `npm run bench -- --only solver` does.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { solverSuite } from './solver/suite.js';
import type { BenchContext } from './suite.js';

const argv = process.argv.slice(2);
const repsAt = argv.indexOf('--reps');
const reps = repsAt >= 0 ? Number(argv[repsAt + 1]) : 3;
if (!Number.isInteger(reps) || reps < 1) {
  console.error('usage: node dist/bench/solver-run.js [--quick] [--reps N] [--work DIR]');
  process.exit(2);
}
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const benchDir = join(repoRoot, '.bench');
const workAt = argv.indexOf('--work');
const workDir = workAt >= 0 && argv[workAt + 1] ? resolve(argv[workAt + 1]!) : join(benchDir, solverSuite.name);
rmSync(workDir, { recursive: true, force: true });
mkdirSync(workDir, { recursive: true });
const ctx: BenchContext = {
  repoRoot,
  benchDir,
  workDir,
  quick: argv.includes('--quick'),
  reps,
  keep: argv.includes('--keep'),
  log: (m) => process.stderr.write(`[${solverSuite.name}] ${m}\n`),
};
const t0 = Date.now();
console.log(`\n=== ${solverSuite.name}: ${solverSuite.description}${ctx.quick ? ' (--quick)' : ''}`);
const res = await solverSuite.run(ctx);
console.log(JSON.stringify({ bench: solverSuite.name, seconds: Math.round((Date.now() - t0) / 100) / 10, ...res.data }));
console.log(`\n${res.summary}`);
