#!/usr/bin/env node
// `npm run crash -- --runs N`: the crash-injection harness with N kills in all, split over install, update and remove.
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const i = args.indexOf('--runs');
const runs = i >= 0 ? Number(args[i + 1]) : 500;
if (!Number.isInteger(runs) || runs < 33) {
  process.stderr.write('usage: npm run crash -- --runs N   (N ≥ 33: every named kill point in each scenario, then random instants)\n');
  process.exit(2);
}
const r = spawnSync('npx', ['vitest', 'run', 'test/crash'], { stdio: 'inherit', env: { ...process.env, ZPKG_CRASH_RUNS: String(runs) } });
process.exit(r.status ?? 1);
