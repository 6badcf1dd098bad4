/**
 * zpkg's side of the solver benchmark, run as its own process by bench/solver.ts
 * so that its peak memory is its own (the libsolv side is bench/libsolv.py).
 *
 *   node dist/bench/solver-zpkg.js solve PACKAGES --jobs gnome,kde-full --reps 5
 *       load (importIndexFile + buildPool), then solve each job (install NAME on an
 *       empty image) `reps` times on the same pool
 *   node dist/bench/solver-zpkg.js check PACKAGES
 *       load, then checkInstallable over the whole pool
 *
 * Prints one JSON document on stdout. Times are measured inside the process
 * (Node start-up and module loading excluded), in seconds; `max_rss_kib` is
 * process.resourceUsage().maxRSS.
 */
import type { Candidate, CatalogEntry } from '../src/core/catalog.js';
import { providesAtom } from '../src/core/relation.js';
import { importIndexFile } from '../src/repo/debian-index.js';
import { buildPool, checkInstallable, solve, type Pool } from '../src/solver/index.js';

const now = (): number => Number(process.hrtime.bigint()) / 1e9;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function load(path: string): { pool: Pool; loaded: Record<string, number> } {
  const t0 = now();
  const { entries, skipped } = importIndexFile(path);
  const t1 = now();
  const candidates: Candidate[] = entries.map((e) => ({ ...e, remote: 'main', priority: 0 }));
  const pool = buildPool(candidates);
  const t2 = now();
  return { pool, loaded: { parse_s: t1 - t0, index_s: t2 - t1, total_s: t2 - t0, solvables: pool.size, skipped: skipped.length } };
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

function runSolve(path: string, jobs: string[], reps: number): unknown {
  const { pool, loaded } = load(path);
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
      }
      else explanation = res.explanation;
    }
    return { name, ok: explanation.length === 0, seconds, first_s: seconds[0], median_s: median(seconds), chosen, unneeded: extra, problems: explanation };
  });
  return { load: loaded, jobs: out, max_rss_kib: process.resourceUsage().maxRSS };
}

function runCheck(path: string): unknown {
  const { pool, loaded } = load(path);
  const t0 = now();
  const bad = checkInstallable(pool);
  const check = now() - t0;
  return { load: loaded, check_s: check, uninstallable: bad.map((u) => `${u.name} ${u.version}`), max_rss_kib: process.resourceUsage().maxRSS };
}

function main(argv: string[]): number {
  const [mode, path] = argv;
  if ((mode !== 'solve' && mode !== 'check') || !path) {
    process.stderr.write('usage: solver-zpkg.js solve PACKAGES --jobs a,b --reps N | check PACKAGES\n');
    return 2;
  }
  const result =
    mode === 'solve'
      ? runSolve(path, option(argv, '--jobs', '').split(',').filter(Boolean), Number(option(argv, '--reps', '5')))
      : runCheck(path);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
