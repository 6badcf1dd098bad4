/** `zpkg refresh`: fetch each remote's root metadata and, when changed, its catalog. */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { counted } from '../../report/table.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('refresh')
    .description("fetch the remotes' catalogs")
    .action(async (_o, cmd: Command) => {
      const { refreshRemotes } = await import('../../image/remotes.js');
      const report = ctx.report(cmd);
      const results = await refreshRemotes(ctx.installedImage(cmd, true), { warn: (m) => report.warn(m) });
      report.result({ remotes: results }, (x) =>
        x.remotes.length ? x.remotes.map((r) => `${r.remote}: ${r.status} (repository version ${r.version}, ${counted(r.packages, 'package')})`).join('\n') : 'no remotes to refresh',
      );
    });
}
