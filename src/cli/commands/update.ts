/** `zpkg update [NAME...]` */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { addHookOptions, hookOptions, lifecycleExitCode, type HookFlags } from './lifecycle-options.js';
import { addFetchOptions, fetchOptions, type FetchFlags } from './fetch-options.js';
import { renderTransaction } from './render-txn.js';

interface UpdateOpts {
  autoremove?: boolean;
  dryRun?: boolean;
  unsafeIo?: boolean;
  wait: boolean;
}

export function register(program: Command, ctx: Context): void {
  addFetchOptions(addHookOptions(program.command('update')))
    .description('move installed packages (all, or the named) to the newest versions that satisfy everything; held packages stay')
    .argument('[name...]', 'installed packages to update (default: all)')
    .option('--autoremove', 'also remove dependencies nothing requested needs any more')
    .option('-n, --dry-run', 'print the plan and change nothing')
    .option('--unsafe-io', 'skip the syncfs before commit (throwaway images only)')
    .option('--no-wait', 'fail at once when another zpkg holds the image')
    .option('--with-recommends', 'also install what the packages that land recommend (default: `recommends:` in etc/zpkg/zpkg.yaml, else no)')
    .action(async (names: string[], opts: UpdateOpts & HookFlags & FetchFlags, cmd: Command) => {
      const { update } = await import('../../txn/update.js');
      const fetch = fetchOptions(opts);
      const report = ctx.report(cmd);
      const result = await update(ctx.imageToInstallInto(cmd, !opts.dryRun), names, { report, command: ctx.commandLine(), autoremove: opts.autoremove, dryRun: opts.dryRun, unsafeIo: opts.unsafeIo, noWait: !opts.wait, withRecommends: (opts as { withRecommends?: boolean }).withRecommends, ...hookOptions(opts), ...fetch });
      report.result(result, renderTransaction);
      lifecycleExitCode(result);
    });
}
