/** `zpkg change-facet NAME=true|false|default...`: which optional content the image holds, applied in one transaction. */
import type { Command } from 'commander';
import { counted, formatBytes } from '../../report/table.js';
import type { Context } from '../context.js';
import { renderLifecycle } from './render-txn.js';
import { addHookOptions, hookOptions, lifecycleExitCode, type HookFlags } from './lifecycle-options.js';

export function register(program: Command, ctx: Context): void {
  addHookOptions(program.command('change-facet'))
    .description('turn facets (doc, man, locale.LANG, devel, …) on or off: exactly their installed paths are removed or written, in one transaction')
    .argument('[setting...]', 'NAME=true|false|default, NAME a facet or a pattern such as locale.* (none: apply the current settings)')
    .option('-n, --dry-run', 'show what would be removed and written, and change nothing')
    .option('--unsafe-io', 'skip the syncfs before commit (throwaway images only)')
    .option('--no-wait', 'fail at once when another zpkg holds the image')
    .action(async (settings: string[], opts: { dryRun?: boolean; unsafeIo?: boolean; wait: boolean } & HookFlags, cmd: Command) => {
      const { changeFacet, parseFacetSpec } = await import('../../txn/change-facet.js');
      settings.forEach(parseFacetSpec); // argv is checked before the image is opened
      const report = ctx.report(cmd);
      const r = await changeFacet(ctx.image(cmd, !opts.dryRun), settings, { report, command: ctx.commandLine(), dryRun: opts.dryRun, unsafeIo: opts.unsafeIo, noWait: !opts.wait, ...hookOptions(opts) });
      report.result(r, (x) => {
        const added = x.packages.reduce((n, p) => n + p.addedBytes, 0);
        const removed = x.packages.reduce((n, p) => n + p.removedBytes, 0);
        return [
          ...x.packages.map((p) => `${p.package}: ${p.removed ? `-${counted(p.removed, 'path')} (${formatBytes(p.removedBytes)})` : ''}${p.removed && p.added ? ', ' : ''}${p.added ? `+${counted(p.added, 'path')} (${formatBytes(p.addedBytes)})` : ''}`),
          `facets: ${Object.keys(x.facets).length ? Object.entries(x.facets).map(([k, v]) => `${k}=${v}`).join(' ') : 'all enabled'}`,
          x.packages.length ? `${x.dryRun ? 'would remove' : 'removed'} ${formatBytes(removed)}, ${x.dryRun ? 'would write' : 'wrote'} ${formatBytes(added)}` : 'no installed path changes',
          ...renderLifecycle(x),
          ...(x.dryRun || x.id === null ? [] : [`transaction ${x.id}`]),
        ].join('\n');
      });
      lifecycleExitCode(r);
    });
}
