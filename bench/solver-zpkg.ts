/**
 * zpkg's side of the solver benchmark, run as its own process by bench/solver.ts
 * so that its peak memory is its own (the libsolv side is bench/libsolv.py).
 *
 *   node dist/bench/solver-zpkg.js solve REPO --jobs gnome,kde-full --reps 5
 *       load the repository's catalog as `install` loads a refreshed remote's
 *       (image/remotes.ts loadCandidates: the bytes checked against their
 *       digest, decoded without checking their content again — `refresh`
 *       did when they arrived — one CatalogRow per package, buildPool), then
 *       solve each job (install NAME on an empty image) `reps` times on the
 *       same pool; afterwards, time one decode with every check, as `refresh`
 *       and `repo check` do (`decode_checked_s`, not part of the load)
 *   node dist/bench/solver-zpkg.js check REPO
 *       load the catalog checked in full (as `repo check` reads a
 *       repository), then checkInstallable over the whole pool
 *   node dist/bench/solver-zpkg.js import PACKAGES
 *       the Debian import: importIndexFileTable (the table `repo import-index`
 *       writes), then buildPool over its rows; and importIndexFile (plain
 *       entries) on its own
 *
 * Prints one JSON document on stdout. Times are measured inside the process
 * (Node start-up and module loading excluded), in seconds; `max_rss_kib` is
 * process.resourceUsage().maxRSS.
 */
import type { CatalogEntry } from '../src/core/catalog.js';
import { CatalogRow, type CatalogTable } from '../src/core/catalog-table.js';
import { providesAtom } from '../src/core/relation.js';
import { decodeCatalogTable } from '../src/repo/catalog-codec.js';
import { importIndexFile, importIndexFileTable } from '../src/repo/debian/index.js';
import { openRepoReader } from '../src/repo/open.js';
import { readCatalogBytes, readRoot } from '../src/repo/snapshot.js';
import { buildPool, checkInstallable, solve, type Pool } from '../src/solver/index.js';

const now = (): number => Number(process.hrtime.bigint()) / 1e9;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function rowsOf(table: CatalogTable): CatalogRow[] {
  const out: CatalogRow[] = [];
  for (let row = 0; row < table.rows; row++) out.push(new CatalogRow(table, row, 'main', 0));
  return out;
}

/** The catalog of a repository, as `zpkg install` loads a remote's: bytes (digest checked), table, pool. */
async function load(repo: string, verified: boolean): Promise<{ pool: Pool; loaded: Record<string, number>; bytes: Buffer }> {
  const t0 = now();
  const reader = openRepoReader(repo);
  const bytes = await readCatalogBytes(reader, await readRoot(reader));
  const t1 = now();
  const table = decodeCatalogTable(bytes, reader.location, { verified });
  const t2 = now();
  const pool = buildPool(rowsOf(table));
  const t3 = now();
  return { pool, bytes, loaded: { read_s: t1 - t0, decode_s: t2 - t1, parse_s: t2 - t0, index_s: t3 - t2, total_s: t3 - t0, solvables: pool.size, catalog_bytes: bytes.length } };
}

/**
 * Chosen packages that no dependency chain from the requested one reaches: a
 * plan for an empty image should have none (each is installed for nothing).
 * Independent of the solver: walks the chosen set with core's providesAtom.
 */
function unneeded(chosen: readonly CatalogEntry[], requested: string): string[] {
  const byName = new Map<string, CatalogEntry[]>();
  for (const e of chosen) {
    for (const n of new Set([e.name, ...e.provides.map((p) => p.name)])) {
      const list = byName.get(n);
      if (list) list.push(e);
      else byName.set(n, [e]);
    }
  }
  const reached = new Set<CatalogEntry>(chosen.filter((e) => e.name === requested));
  const queue = [...reached];
  while (queue.length > 0) {
    const e = queue.pop()!;
    for (const clause of e.depends) {
      for (const atom of clause) {
        for (const q of byName.get(atom.name) ?? []) {
          if (!reached.has(q) && providesAtom(q, atom)) {
            reached.add(q);
            queue.push(q);
          }
        }
      }
    }
  }
  return chosen.filter((e) => !reached.has(e)).map((e) => `${e.name} ${e.version}`);
}

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
}

async function runSolve(repo: string, jobs: string[], reps: number): Promise<unknown> {
  const { pool, loaded, bytes } = await load(repo, true);
  const out = jobs.map((name) => {
    const seconds: number[] = [];
    let chosen: number | null = null;
    let extra: string[] | null = null;
    let explanation: string[] = [];
    for (let r = 0; r < reps; r++) {
      const t0 = now();
      const res = solve(pool, [], { install: [{ name }] });
      seconds.push(now() - t0);
      if (res.ok) {
        chosen = res.plan.install.length;
        extra ??= unneeded(res.plan.install.map((p) => p.entry), name);
      } else explanation = res.explanation;
    }
    return { name, ok: explanation.length === 0, seconds, first_s: seconds[0], median_s: median(seconds), chosen, unneeded: extra, problems: explanation };
  });
  const t0 = now();
  decodeCatalogTable(bytes, repo);
  loaded['decode_checked_s'] = now() - t0;
  return { load: loaded, jobs: out, max_rss_kib: process.resourceUsage().maxRSS };
}

/** As `repo check` reads a repository: the catalog checked in full. */
async function runCheck(repo: string): Promise<unknown> {
  const { pool, loaded } = await load(repo, false);
  const t0 = now();
  const bad = checkInstallable(pool);
  const check = now() - t0;
  return { load: loaded, check_s: check, uninstallable: bad.map((u) => `${u.name} ${u.version}`), max_rss_kib: process.resourceUsage().maxRSS };
}

/** The import into a table and its pool (peak RSS is theirs), then importIndexFile's plain entries. */
function runImport(packages: string): unknown {
  const t0 = now();
  const { table, skipped } = importIndexFileTable(packages);
  const t1 = now();
  const pool = buildPool(rowsOf(table));
  const t2 = now();
  const rssTable = process.resourceUsage().maxRSS;
  const t3 = now();
  const plain = importIndexFile(packages);
  const t4 = now();
  const loaded = { parse_s: t1 - t0, index_s: t2 - t1, total_s: t2 - t0, solvables: pool.size, skipped: skipped.length };
  return { load: loaded, entries_s: t4 - t3, entries: plain.entries.length, max_rss_kib_table: rssTable, max_rss_kib: process.resourceUsage().maxRSS };
}

async function main(argv: string[]): Promise<number> {
  const [mode, path] = argv;
  if ((mode !== 'solve' && mode !== 'check' && mode !== 'import') || !path) {
    process.stderr.write('usage: solver-zpkg.js solve REPO --jobs a,b --reps N | check REPO | import PACKAGES\n');
    return 2;
  }
  const result =
    mode === 'solve'
      ? await runSolve(path, option(argv, '--jobs', '').split(',').filter(Boolean), Number(option(argv, '--reps', '5')))
      : mode === 'check'
        ? await runCheck(path)
        : runImport(path);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
