/** `zpkg refresh`: fetch each remote's root metadata and, when changed, its catalog. */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { ZpkgError } from '../../core/errors.js';
import type { RefreshResult } from '../../image/remotes.js';
import { counted } from '../../report/table.js';

const refreshedLine = (r: RefreshResult): string => `${r.remote}: ${r.status} (repository version ${r.version}, ${counted(r.packages, 'package')})`;

export function register(program: Command, ctx: Context): void {
  program
    .command('refresh')
    .description("fetch the remotes' catalogs")
    .action(async (_o, cmd: Command) => {
      const { refreshRemotes } = await import('../../image/remotes.js');
      const report = ctx.report(cmd);
      const { refreshed, failed } = await refreshRemotes(ctx.installedImage(cmd, true), { warn: (m) => report.warn(m) });
      if (failed.length === 1 && refreshed.length === 0) throw failed[0]!.error;
      if (failed.length) {
        // The others were refreshed: say so (on stderr: one JSON document, the error, carries both), then fail naming each remote that was not.
        for (const r of refreshed) report.info(refreshedLine(r));
        for (const f of failed) report.warn(`remote ${f.remote} was not refreshed: ${f.error.message}`);
        throw new ZpkgError(failed[0]!.error.code, `${counted(failed.length, 'remote')} of ${refreshed.length + failed.length} could not be refreshed: ${failed.map((f) => f.remote).join(', ')}`, {
          hint: 'their cached catalogs stay as they were; see the warnings above for each reason',
          details: { remotes: refreshed, failed: failed.map((f) => ({ remote: f.remote, code: f.error.code, message: f.error.message })) },
        });
      }
      report.result({ remotes: refreshed }, (x) => (x.remotes.length ? x.remotes.map(refreshedLine).join('\n') : 'no remotes to refresh'));
    });
}
