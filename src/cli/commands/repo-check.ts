/**
 * `zpkg repo check DIR`: every package of a repository that cannot be installed
 * on an empty image, and why (libsolv's `installcheck`); exit 1 when any.
 */
import type { Command } from 'commander';
import type { Candidate } from '../../core/catalog.js';
import type { Uninstallable } from '../../solver/index.js';
import type { Context } from '../context.js';

interface RepoCheckResult {
  packages: number;
  uninstallable: Uninstallable[];
  seconds: number;
  /** Where the time went: reading the catalog, indexing it, checking. */
  timing: { read: number; pool: number; check: number };
}

function render(r: RepoCheckResult): string {
  const out: string[] = [];
  for (const u of r.uninstallable) {
    out.push(`cannot install ${u.name} ${u.version}:`);
    for (const line of u.reason) out.push(`  ${line}`);
  }
  const count = r.packages.toLocaleString('en-US');
  const verdict = r.uninstallable.length === 0 ? 'all installable' : `${r.uninstallable.length.toLocaleString('en-US')} cannot be installed`;
  out.push(`${count} packages: ${verdict} (${r.seconds.toFixed(2)} s)`);
  return out.join('\n');
}

export function register(repo: Command, ctx: Context): void {
  repo
    .command('check')
    .description('find every package of a repository that cannot be installed on an empty image, and why')
    .argument('<dir>', 'repository directory or URL')
    .action(async (dir: string, _o, cmd: Command) => {
      const { openRepoReader } = await import('../../repo/open.js');
      const { readCatalog, readRoot } = await import('../../repo/snapshot.js');
      const { buildPool, checkInstallable } = await import('../../solver/index.js');
      const t0 = process.hrtime.bigint();
      const lap = (() => {
        let last = t0;
        return (): number => {
          const now = process.hrtime.bigint();
          const s = Number(now - last) / 1e9;
          last = now;
          return s;
        };
      })();
      const reader = openRepoReader(dir);
      const entries = await readCatalog(reader, await readRoot(reader));
      const read = lap();
      // The entries were decoded for this command alone: make them candidates in place rather than copy 60k objects.
      const candidates = entries as Candidate[];
      for (const c of candidates) {
        c.remote = reader.location;
        c.priority = 0;
      }
      const pool = buildPool(candidates);
      const poolSeconds = lap();
      const uninstallable = checkInstallable(pool);
      const check = lap();
      const result: RepoCheckResult = {
        packages: entries.length,
        uninstallable,
        seconds: Number(process.hrtime.bigint() - t0) / 1e9,
        timing: { read, pool: poolSeconds, check },
      };
      ctx.report(cmd).result(result, render);
      if (uninstallable.length > 0) process.exitCode = 1;
    });
}
