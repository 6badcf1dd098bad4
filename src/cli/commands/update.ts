/** `zpkg update [NAME...]` */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { addHookOptions, hookOptions, lifecycleExitCode, type HookFlags } from './lifecycle-options.js';
import { addFetchOptions, fetchOptions, type FetchFlags } from './fetch-options.js';
import { counted } from '../../report/table.js';
import { NOTHING_TO_DO, renderTransaction } from './render-txn.js';

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
      const image = ctx.imageToInstallInto(cmd, !opts.dryRun);
      const result = await update(image, names, { report, command: ctx.commandLine(), autoremove: opts.autoremove, dryRun: opts.dryRun, unsafeIo: opts.unsafeIo, noWait: !opts.wait, withRecommends: (opts as { withRecommends?: boolean }).withRecommends, ...hookOptions(opts), ...fetch });
      const { listPackages } = await import('../../image/state.js');
      // Nothing moved: say how many were looked at, and the holds that may be why (`list --upgradable` shows what is newer).
      const stayed = (): string => {
        if (names.length === 1) return `${names[0]} has no newer version to take`;
        const checked = listPackages(image.db).filter((p) => names.length === 0 || names.includes(p.name));
        const held = checked.filter((p) => p.held).length;
        return `no installed package has a newer version to take (${counted(checked.length, 'package')} checked${held ? `, ${held} held` : ''})`;
      };
      report.result(result, (r) => {
        const text = renderTransaction(r);
        return text === NOTHING_TO_DO ? `${stayed()}: ${NOTHING_TO_DO}` : text;
      });
      lifecycleExitCode(result);
    });
}
