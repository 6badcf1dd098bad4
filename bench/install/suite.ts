/**
 * Suite `install`: the same generated tree installed by dpkg, by zpkg and by `tar -x`,
 * side by side in one run (issue 2's benchmark), in four phases:
 *
 *   prepare.ts  the tree, packaged as a .deb, a zpkg repository and a tar; the five ways to install it
 *   measure.ts  durability counted under strace, then `reps` timed runs of each, interleaved, cold cache
 *   verify.ts   every installed tree against the generator; dpkg --verify, zpkg verify; an altered blob (tamper.ts)
 *   report.ts   the tables and the JSON line (figures.ts: medians, ratios, issue 2's goals)
 */
import { join } from 'node:path';
import { benchBundle } from '../bundle.js';
import { describeExit, tailLines, type RunResult } from '../proc.js';
import type { BenchContext, BenchSuite, SuiteResult } from '../suite.js';
import { measure } from './measure.js';
import { prepare } from './prepare.js';
import { report } from './report.js';
import type { Bench, Command } from './types.js';
import { verifyInstalls } from './verify.js';

export const installSuite: BenchSuite = {
  name: 'install',
  description: 'install one ~20,000-file tree with dpkg, zpkg and tar -x; median of N fresh runs',
  run: runInstall,
};

async function runInstall(ctx: BenchContext): Promise<SuiteResult> {
  ctx.log('the bundle (packaging/dist.mjs, cached in .cache/bench-bundle): what a zos node runs');
  let bundle: string | undefined;
  let bundleFailed: string | undefined;
  try {
    bundle = (await benchBundle(ctx.repoRoot)).zpkg;
  } catch (err) {
    bundleFailed = `the bundle could not be built, so its rows are left out: ${(err as Error).message}`;
  }
  const b = bench(ctx, bundle);
  if (bundleFailed) b.problems.push(bundleFailed);
  const prepared = await prepare(b);
  const measured = await measure(b, prepared);
  const verified = await verifyInstalls(b, prepared, measured);
  return report(b, prepared, measured, verified);
}

function bench(ctx: BenchContext, bundle: string | undefined): Bench {
  const node = process.execPath;
  const zpkgBin = join(ctx.repoRoot, 'bin', 'zpkg.js');
  const shown = (text: string): string => {
    const out = text.replaceAll(`${node} ${zpkgBin}`, 'node bin/zpkg.js');
    return (bundle ? out.replaceAll(bundle, '.cache/bench-bundle/root/usr/bin/zpkg') : out).replaceAll(`${ctx.workDir}/`, '.bench/install/');
  };
  return {
    ctx,
    zpkg: (...args) => [node, [zpkgBin, ...args]],
    ...(bundle ? { bundled: (...args: string[]) => [bundle, args] as Command } : {}),
    shown,
    failure: (r: RunResult) => `\`${shown(r.command)}\` failed (${describeExit(r)}):\n${tailLines(shown(r.stderr.trim() || r.stdout.trim()), 15)}`,
    problems: [],
  };
}
