/** `zpkg repo gc DIR`: drop blobs and manifests that no catalog entry reaches. */
import type { Command } from 'commander';
import { counted, formatBytes } from '../../report/table.js';
import type { Context } from '../context.js';

export function register(repo: Command, ctx: Context): void {
  repo
    .command('gc')
    .description('delete packs, records, deltas and old catalogs that the current catalog no longer references; say when `repo repack` would free more')
    .argument('<dir>', 'repository directory')
    .option('-n, --dry-run', 'say what would be deleted, and delete nothing')
    .action(async (dir: string, opts: { dryRun?: boolean }, cmd: Command) => {
      const { openRepoWriter } = await import('../../repo/open.js');
      const { gcRepo } = await import('../../repo/manage.js');
      const r = await gcRepo(openRepoWriter(dir), { dryRun: opts.dryRun });
      ctx.report(cmd).result(r, (x) => {
        const line = `${x.dryRun ? 'would remove' : 'removed'} ${counted(x.removed.packs, 'pack')}, ${counted(x.removed.manifests, 'manifest')}, ${counted(x.removed.deltas, 'delta')}, ${counted(x.removed.catalogs, 'old catalog')}${x.removed.blobs ? `, ${counted(x.removed.blobs, 'format-2 blob')}` : ''} (${formatBytes(x.bytesFreed)})`;
        if (!x.repack.packs) return line;
        return `${line}\n\`zpkg repo repack ${dir}\` would gather ${counted(x.repack.packs, 'pack')} (${formatBytes(x.repack.deadBytes)} in frames no record uses; one version in up to ${counted(x.repack.span, 'pack')})`;
      });
    });
}
