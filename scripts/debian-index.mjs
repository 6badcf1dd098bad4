/**
 * Where this machine keeps the Debian `Packages` index of its main archive
 * (amd64): the real-world corpus the tests and benchmarks read. The one copy
 * of this rule, shared by `scripts/pretest.mjs` (plain node, run before
 * anything is compiled), the tests and the benchmarks (both import it as
 * `#debian-index`, see package.json "imports", so the path also holds from
 * the compiled dist/bench/). Types: `debian-index.d.mts`.
 *
 * The rule, and why:
 * - `$ZPKG_PACKAGES_INDEX`, when it names an existing file, wins: a machine
 *   without apt lists can still run everything.
 * - Otherwise the base suite's file in /var/lib/apt/lists
 *   (`…_dists_bookworm_main_binary-amd64_Packages[.lz4|.gz|.zst]`), never a
 *   suite with a `-` (`bookworm-updates`, `-security`, `-backports`): those
 *   hold a few hundred packages, and the tests and benchmarks count on the
 *   whole archive (60,000+ stanzas, its known uninstallable set). Falling back
 *   to them would turn "no index" into confusing failures far away.
 * - Plain or compressed as apt keeps it (Docker images set
 *   Acquire::GzipIndexes, which keeps `.lz4`), but only the compressions
 *   zpkg's reader handles (src/repo/debian-index.ts `decompressIndex`): an
 *   `.xz` list would be found and then refused.
 * - The directory is read, not `apt-get indextargets`: it needs no apt, costs
 *   no process, and gives the same file (the former indextargets path of the
 *   test helper never matched: apt prints `\t` in --format literally).
 * - Several base suites (say bookworm and trixie): the first by file name,
 *   so every reader picks the same one.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const APT_LISTS = '/var/lib/apt/lists';

/**
 * apt names a list after its URL with `/` turned into `_`: a base suite has
 * neither `-` nor `_` (an old-style `stretch/updates` becomes `stretch_updates`).
 */
const BASE_INDEX = /_dists_([^_/-]+)_main_binary-amd64_Packages(\.lz4|\.gz|\.zst)?$/;

/** The base suite an index file is named after (`bookworm`), or undefined when it is not a base suite's main amd64 Packages index. */
export function baseSuiteOf(path) {
  return BASE_INDEX.exec(path)?.[1];
}

/** Path of the index by the rule above, or undefined when this machine has none. */
export function findPackagesIndex(options = {}) {
  const env = options.env ?? process.env;
  const forced = env['ZPKG_PACKAGES_INDEX'];
  if (forced && existsSync(forced)) return forced;
  const lists = options.lists ?? APT_LISTS;
  let names;
  try {
    names = readdirSync(lists);
  } catch {
    return undefined;
  }
  const base = names.filter((name) => baseSuiteOf(name) !== undefined).sort();
  return base.length > 0 ? join(lists, base[0]) : undefined;
}
