/**
 * `zpkg repo check DIR`: every package of a repository that cannot be installed
 * on an empty image, and why (libsolv's `installcheck`); exit 1 when any.
 */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import type { RepoCheckResult } from '../../repo/check.js';
import type { SetCheckResult } from '../../repo/check-set.js';
import type { Context } from '../context.js';
import { counted } from '../../report/table.js';

function renderSet(r: SetCheckResult): string {
  const out: string[] = [];
  for (const c of r.checks) {
    const on = c.base ? `on ${c.base.name} ${c.base.version}` : 'on an empty image';
    out.push(`${c.set.name} ${c.set.version} (${counted(c.packages.length, 'package')}) ${on}: ${c.problems.length ? counted(c.problems.length, 'problem') : 'holds together'}`);
    for (const p of c.problems) out.push(`  ${p}`);
  }
  return out.join('\n');
}

function render(r: RepoCheckResult): string {
  const out: string[] = [];
  for (const u of r.uninstallable) {
    out.push(`cannot install ${u.name} ${u.version}:`);
    for (const line of u.reason) out.push(`  ${line}`);
  }
  const verdict = r.uninstallable.length === 0 ? 'all installable' : `${r.uninstallable.length.toLocaleString('en-US')} cannot be installed`;
  out.push(`${r.packages.toLocaleString('en-US')} ${r.packages === 1 ? 'package' : 'packages'}: ${verdict} (${r.seconds.toFixed(2)} s)`);
  return out.join('\n');
}

export function register(repo: Command, ctx: Context): void {
  repo
    .command('check')
    .description('find every package of a repository that cannot be installed on an empty image, and why')
    .argument('<dir>', 'repository directory or URL')
    .option('--set <release>', 'check one release set as a unit instead (NAME, NAME=VERSION or NAME@VERSION): closure, conflicts, overlapping paths')
    .option('--merged-usr', 'check for images with a merged /usr (bin, sbin, lib* linked to usr/): a package delivering usr/lib64/X meets a dependency on /lib64/X, as on Debian 12 and later')
    .option('--base <profile>', 'with --set: on this base profile package (NAME or NAME=VERSION); repeat for every base generation in the field', (v: string, all: string[]) => [...all, v], [] as string[])
    .action(async (dir: string, opts: { set?: string; base: string[]; mergedUsr?: boolean }, cmd: Command) => {
      const { openRepoReader } = await import('../../repo/open.js');
      if (opts.base.length && !opts.set) throw new ZpkgError('E_USAGE', '--base goes with --set');
      if (opts.mergedUsr && opts.set) throw new ZpkgError('E_USAGE', '--merged-usr checks a whole repository; a release set is checked on its base profiles (--base)');
      if (opts.set) {
        const { checkReleaseSet } = await import('../../repo/check-set.js');
        const result = await checkReleaseSet(openRepoReader(dir), opts.set, opts.base);
        ctx.report(cmd).result(result, renderSet);
        if (result.checks.some((c) => c.problems.length > 0)) process.exitCode = 1;
        return;
      }
      const { checkRepository } = await import('../../repo/check.js');
      const { MERGED_USR } = await import('../../core/file-aliases.js');
      const result = await checkRepository(openRepoReader(dir), opts.mergedUsr ? MERGED_USR : undefined);
      ctx.report(cmd).result(result, render);
      if (result.uninstallable.length > 0) process.exitCode = 1;
    });
}
