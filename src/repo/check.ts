/**
 * `zpkg repo check`: every package of a repository that cannot be installed
 * on an empty image, and why (libsolv's `installcheck`). The repository is
 * read here; the question is the solver's (solver/check.ts), asked of its
 * catalog alone.
 */
import type { Uninstallable } from '../solver/index.js';
import { buildPool, checkInstallable } from '../solver/index.js';
import type { RepoReader } from './backend.js';
import { readCandidates, readRoot } from './snapshot.js';

export interface RepoCheckResult {
  packages: number;
  uninstallable: Uninstallable[];
  seconds: number;
  /** Where the time went: reading the catalog, indexing it, checking. */
  timing: { read: number; pool: number; check: number };
}

export async function checkRepository(reader: RepoReader): Promise<RepoCheckResult> {
  const t0 = process.hrtime.bigint();
  let last = t0;
  const lap = (): number => {
    const now = process.hrtime.bigint();
    const s = Number(now - last) / 1e9;
    last = now;
    return s;
  };
  const candidates = await readCandidates(reader, await readRoot(reader));
  const read = lap();
  const pool = buildPool(candidates);
  const poolSeconds = lap();
  const uninstallable = checkInstallable(pool);
  const check = lap();
  return { packages: candidates.length, uninstallable, seconds: Number(process.hrtime.bigint() - t0) / 1e9, timing: { read, pool: poolSeconds, check } };
}
