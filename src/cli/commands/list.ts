/** `zpkg list`: installed packages. */
import type { Command } from 'commander';
import { table } from '../../report/table.js';
import type { Context } from '../context.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('list')
    .description('list installed packages')
    .option('--manual', 'only packages marked manual (asked for by name)')
    .option('--auto', 'only packages marked auto (pulled in as dependencies)')
    .action(async (opts: { manual?: boolean; auto?: boolean }, cmd: Command) => {
      const { listPackages } = await import('../../image/state.js');
      const packages = listPackages((await ctx.readImage(cmd)).db)
        .filter((p) => Boolean(opts.manual) === Boolean(opts.auto) || (opts.manual ? p.requested : !p.requested))
        .map((p) => ({ name: p.name, version: p.version, arch: p.arch, requested: p.requested, held: p.held, summary: p.summary }));
      ctx.report(cmd).result({ packages }, (r) =>
        r.packages.length ? table(r.packages.map((p) => [p.name, p.version, p.requested ? '' : '(dependency)', p.summary])) : 'no packages installed',
      );
    });
}
