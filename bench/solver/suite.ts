/**
 * Suite `solver`: zpkg's dependency solver against libsolv on the real Debian
 * bookworm main index, side by side in one run (issue 3's benchmark), in four phases:
 *
 *   prepare.ts  the index as one plain file every tool reads, libsolv's .solv, zpkg's imported repository
 *   measure.ts  the sides' processes, interleaved: solve, import, install -n, check every package
 *   verify.ts   the uninstallable sets of installcheck, zpkg (CLI and in process) and dose-distcheck
 *   report.ts   the tables and the JSON line (figures.ts: medians, per job, issue 3's goals)
 *
 * Method
 * - Solving: each side runs as its own process, so its peak RSS is its own —
 *   libsolv through python3-solv (bench/libsolv.py: `add_debpackages`,
 *   `addfileprovides`, `createwhatprovides`, recommends ignored, jobs
 *   `select(NAME, SELECTION_NAME).jobs(SOLVER_INSTALL)`), zpkg through
 *   dist/bench/solver-zpkg.js (the repository's catalog read, decoded and
 *   indexed as `install` loads a refreshed remote: bytes checked against
 *   their digest, `decodeCatalogTable(…, {verified: true})` + `buildPool`,
 *   then `solve(pool, [], {install: [{name}]})`; the decode with every check
 *   that `refresh` and `repo check` do is timed apart). Jobs: install gnome,
 *   kde-full, texlive-full, build-essential on an empty system. Each process
 *   loads once and solves each job 5 times (more with a larger --reps); the
 *   process is run `reps` times, the sides interleaved, and medians are
 *   reported. Load and solve times are measured inside the processes
 *   (interpreter start-up excluded); peak RSS comes from `/usr/bin/time`.
 * - Loading, three pairs: zpkg's own catalog against libsolv reading the
 *   Packages text (what the goal compares: each tool's way in from what an
 *   install reads); zpkg's Debian import (`importIndexFileTable`, what
 *   `repo import-index` parses, then `buildPool`) against the same
 *   `add_debpackages`; and zpkg's catalog against libsolv's own binary format
 *   (`add_solv` of the .solv file, a third libsolv process per run).
 *   `importIndexFile` (plain entries) is timed too: the speed claim the test
 *   suite no longer asserts.
 * - `zpkg --root IMG install -n build-essential` through the whole CLI (Node
 *   start-up included) against the repository as a remote: wall time and
 *   peak RSS of what a person waits for.
 * - zpkg keeps lazily built relation indexes in its pool, so a job's first
 *   solve pays for what its later solves reuse: the first and the median solve
 *   are both shown, and the speed goal is judged on load + first solve (what
 *   one `zpkg install` costs) and on load + median solve.
 * - Installability of every package: `installcheck amd64 main.solv` (the .solv
 *   written once by python3-solv, not timed), `zpkg repo check` (the whole CLI
 *   command, on a repository made by `zpkg repo import-index`), zpkg's
 *   `checkInstallable` in process, and `dose-distcheck -f --summary
 *   deb://PLAIN` (once: it takes half a minute). The sets of uninstallable
 *   packages are compared, and every difference is printed.
 */
import { join } from 'node:path';
import type { BenchContext, BenchSuite, SuiteResult } from '../suite.js';
import { measure } from './measure.js';
import { prepare } from './prepare.js';
import { report } from './report.js';
import type { Bench } from './types.js';
import { compareSets } from './verify.js';

export const solverSuite: BenchSuite = {
  name: 'solver',
  description: 'Debian bookworm main: load + solve 4 jobs and check every package, zpkg vs libsolv (python3-solv, installcheck) and dose-distcheck',
  run: runSolver,
};

async function runSolver(ctx: BenchContext): Promise<SuiteResult> {
  const b: Bench = {
    ctx,
    zpkgBin: join(ctx.repoRoot, 'bin', 'zpkg.js'),
    zpkgSide: join(ctx.repoRoot, 'dist', 'bench', 'solver-zpkg.js'),
    libsolvPy: join(ctx.repoRoot, 'bench', 'libsolv.py'),
    problems: [],
  };
  const prepared = await prepare(b);
  const measured = await measure(b, prepared);
  const verified = compareSets(b, prepared, measured);
  return report(b, prepared, measured, verified);
}
