#!/usr/bin/env node
/**
 * `npm run fuzz [-- RUNS [SEED]]`: the property-based tests of
 * test/properties.test.ts with many cases per property (default 20,000) and
 * a seed drawn for this run unless one is given (`npm test` keeps a fixed one),
 * then one line per property: cases run, and what was found (the
 * counterexample, replayable with ZPKG_FUZZ_SEED). Exit 1 when anything was found.
 */
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const runs = process.argv[2] ?? '20000';
const seed = process.argv[3] ?? String(randomInt(2 ** 31 - 1));
const report = join(mkdtempSync(join(tmpdir(), 'zpkg-fuzz-')), 'report.json');
const started = Date.now();
const r = spawnSync('npx', ['vitest', 'run', 'test/properties.test.ts', '--testTimeout', '3600000'], {
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, ZPKG_FUZZ_RUNS: runs, ZPKG_FUZZ_REPORT: report, ZPKG_FUZZ_SEED: seed },
});
if (!existsSync(report)) {
  console.error('fuzz: the property run wrote no report');
  process.exit(1);
}
const rows = JSON.parse(readFileSync(report, 'utf8'));
let total = 0;
let failures = 0;
console.log(`\nfuzz: ${runs} cases per property, seed ${seed}`);
for (const row of rows) {
  total += row.runs;
  if (row.failed) failures += 1;
  console.log(`  ${row.property.padEnd(32)} ${String(row.runs).padStart(8)} cases  ${row.failed ? `FOUND: ${row.counterexample}` : 'nothing found'}`);
}
console.log(`fuzz: ${total} cases in ${rows.length} properties, ${failures} found, ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(r.status === 0 && failures === 0 ? 0 : 1);
