/** `zpkg refresh`: fetch each remote's root metadata and, when changed, its catalog. */
import type { Command } from 'commander';
import type { RefreshResult } from '../../image/remotes.js';
import type { Context } from '../context.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('refresh')
    .description("fetch the remotes' catalogs")
    .action(async (_o, cmd: Command) => {
      const { listRemotes, readTrust, refreshRemote } = await import('../../image/remotes.js');
      const image = ctx.image(cmd, true);
      const report = ctx.report(cmd);
      const results: RefreshResult[] = [];
      for (const r of listRemotes(image)) {
        if (readTrust(image, r.name)?.insecure) report.warn(`remote ${r.name} is insecure: its root metadata's signatures are not checked (digests are)`);
        results.push(await refreshRemote(image, r));
      }
      report.result({ remotes: results }, (x) =>
        x.remotes.length ? x.remotes.map((r) => `${r.remote}: ${r.status} (repository version ${r.version}, ${r.packages} packages)`).join('\n') : 'no remotes to refresh',
      );
    });
}
