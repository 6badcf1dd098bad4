/**
 * `zpkg repo check`: every package of a repository that cannot be installed
 * on an empty image, and why (libsolv's `installcheck`). The repository is
 * read here; the question is the solver's (solver/check.ts), asked of its
 * catalog alone.
 */
import { indexedPaths } from '../core/catalog.js';
import { entriesWithFileAliases, type DirectoryLinks } from '../core/file-aliases.js';
import type { Uninstallable } from '../solver/index.js';
import { archGroups } from '../solver/admit.js';
import { addOverlapConflicts, buildPool, checkInstallable, explainOverlaps } from '../solver/index.js';
import type { RepoReader } from './backend.js';
import { readCandidates, readFileIndex, readRoot } from './snapshot.js';

export interface RepoCheckResult {
  packages: number;
  uninstallable: Uninstallable[];
  seconds: number;
  /** Where the time went: reading the catalog, indexing it, checking. */
  timing: { read: number; pool: number; check: number };
}

/** `links`: check as an image with these directory links would see it (core/file-aliases.ts; `--merged-usr`). */
export async function checkRepository(reader: RepoReader, links: DirectoryLinks = new Map()): Promise<RepoCheckResult> {
  const t0 = process.hrtime.bigint();
  let last = t0;
  const lap = (): number => {
    const now = process.hrtime.bigint();
    const s = Number(now - last) / 1e9;
    last = now;
    return s;
  };
  const root = await readRoot(reader);
  const files = await readFileIndex(reader, root);
  // Packages delivering one path cannot be installed together: overlaps are conflicts (solver/overlaps.ts).
  const { entries: candidates, overlaps } = addOverlapConflicts(entriesWithFileAliases(await readCandidates(reader, root), links), (e) => indexedPaths(files, e));
  const read = lap();
  // An image has one arch: a catalog holding several is checked as each arch's images see it.
  const groups = archGroups(candidates);
  let poolSeconds = 0;
  let check = 0;
  const uninstallable: Uninstallable[] = [];
  for (const g of groups) {
    const pool = buildPool(g.candidates);
    poolSeconds += lap();
    for (const u of checkInstallable(pool)) {
      const reason = explainOverlaps(u.reason, overlaps);
      uninstallable.push(g.arch === undefined ? { ...u, reason } : { ...u, reason: reason.map((l) => `on ${g.arch}: ${l}`) });
    }
    check += lap();
  }
  return { packages: candidates.length, uninstallable, seconds: Number(process.hrtime.bigint() - t0) / 1e9, timing: { read, pool: poolSeconds, check } };
}
