/**
 * `zpkg repo check DIR`: every package of a repository that cannot be installed
 * on an empty image, and why (libsolv's `installcheck`); exit 1 when any.
 */
import type { Command } from 'commander';
import type { RepoCheckResult } from '../../repo/check.js';
import type { Context } from '../context.js';

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
      const { checkRepository } = await import('../../repo/check.js');
      const result = await checkRepository(openRepoReader(dir));
      ctx.report(cmd).result(result, render);
      if (result.uninstallable.length > 0) process.exitCode = 1;
    });
}
