/** `zpkg list`: installed packages. */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import { table } from '../../report/table.js';
import type { Context } from '../context.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('list')
    .description('list installed packages')
    .option('--manual', 'only packages marked manual (asked for by name)')
    .option('--auto', 'only packages marked auto (pulled in as dependencies)')
    .option('--upgradable', "only packages a remote offers a newer version of, with that version (each on its own: `update -n` solves them together)")
    .action(async (opts: { manual?: boolean; auto?: boolean; upgradable?: boolean }, cmd: Command) => {
      if (opts.upgradable) {
        if (opts.manual || opts.auto) throw new ZpkgError('E_USAGE', '--upgradable goes alone: it lists packages with newer versions, manual or not');
        const { upgradablePackages } = await import('../../txn/query.js');
        const packages = await upgradablePackages(ctx.image(cmd));
        ctx.report(cmd).result({ packages }, (r) =>
          r.packages.length
            ? table(r.packages.map((p) => [p.name, `${p.installed} → ${p.newest}`, p.remote, p.held ? '(held)' : '']))
            : 'every installed package is at the newest version its remotes offer',
        );
        return;
      }
      const { listPackages } = await import('../../image/state.js');
      const packages = listPackages((await ctx.readImage(cmd)).db)
        .filter((p) => Boolean(opts.manual) === Boolean(opts.auto) || (opts.manual ? p.requested : !p.requested))
        .map((p) => ({ name: p.name, version: p.version, arch: p.arch, requested: p.requested, held: p.held, summary: p.summary }));
      ctx.report(cmd).result({ packages }, (r) =>
        r.packages.length ? table(r.packages.map((p) => [p.name, p.version, p.requested ? '' : '(dependency)', p.summary])) : 'no packages installed',
      );
    });
}
