/**
 * The bundle as the benchmarks run it: `packaging/dist.mjs --no-tar` into
 * .cache/bench-bundle/ (a build whose inputs are unchanged since the last one
 * is reused), started through its launcher `root/usr/bin/zpkg` with its own
 * node — what a zos node runs, where the npm package (`node bin/zpkg.js`) is
 * what a developer runs.
 */
import { join } from 'node:path';
import { mustRun } from './proc.js';

export interface BenchBundle {
  /** The launcher. */
  zpkg: string;
  /** The directory of its node, loader and libraries (`usr/lib/zpkg`). */
  lib: string;
}

export async function benchBundle(repoRoot: string): Promise<BenchBundle> {
  const out = join(repoRoot, '.cache/bench-bundle');
  await mustRun(process.execPath, [join(repoRoot, 'packaging/dist.mjs'), '--out', out, '--no-tar']);
  return { zpkg: join(out, 'root/usr/bin/zpkg'), lib: join(out, 'root/usr/lib/zpkg') };
}
