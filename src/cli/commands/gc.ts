/** `zpkg gc [--keep N]`: trim old generations and the content cache. */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import { counted, formatBytes } from '../../report/table.js';
import type { Context } from '../context.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('gc')
    .description('keep the last generations restorable; delete cached blobs and manifests nothing kept needs')
    .option('--keep <n>', 'generations to keep restorable', '3')
    .option('-n, --dry-run', 'say what would be trimmed and deleted, and change nothing')
    .option('--no-wait', 'fail at once when another zpkg holds the image')
    .action(async (opts: { keep: string; dryRun?: boolean; wait: boolean }, cmd: Command) => {
      const { gcImage } = await import('../../txn/gc.js');
      const keep = Number(opts.keep);
      if (!Number.isInteger(keep) || keep < 1) throw new ZpkgError('E_USAGE', `--keep \`${opts.keep}\` must be a whole number ≥ 1`);
      const r = await gcImage(ctx.installedImage(cmd, !opts.dryRun), keep, { report: ctx.report(cmd), noWait: !opts.wait, dryRun: opts.dryRun });
      ctx.report(cmd).result(r, (x) =>
        x.dryRun
          ? `would keep generations ${x.keptGenerations.join(', ') || '(none)'}; would trim ${x.trimmedGenerations}; would remove ${counted(x.removedBlobs, 'blob')} (${counted(x.removedPacks, 'pack')}) and ${counted(x.removedManifests, 'manifest')} (at least ${formatBytes(x.bytesFreed)})`
          : `kept generations ${x.keptGenerations.join(', ') || '(none)'}; trimmed ${x.trimmedGenerations}; removed ${counted(x.removedBlobs, 'blob')} (${counted(x.removedPacks, 'pack')}) and ${counted(x.removedManifests, 'manifest')} (${formatBytes(x.bytesFreed)})`,
      );
    });
}
