/** `zpkg remove NAME...` */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import type { Context } from '../context.js';
import { addHookOptions, addProtectedOption, hookOptions, lifecycleExitCode, type HookFlags } from './lifecycle-options.js';
import { renderTransaction } from './render-txn.js';

interface RemoveOpts {
  force?: boolean;
  cascade?: boolean;
  autoremove?: boolean;
  purge?: boolean;
  dryRun?: boolean;
  unsafeIo?: boolean;
  wait: boolean;
}

export function register(program: Command, ctx: Context): void {
  addProtectedOption(addHookOptions(program.command('remove')))
    .description("remove packages: exactly their files; directories others still use stay")
    .argument('[name...]', 'installed package names (none with --autoremove: only what nothing manual needs goes)')
    .option('--cascade', 'also remove installed packages that depend on them')
    .option('--autoremove', 'also remove dependencies nothing requested needs any more')
    .option('--force', 'remove exactly these, even when installed packages depend on them')
    .option('--purge', 'also remove config files changed locally')
    .option('-n, --dry-run', 'print the plan and change nothing')
    .option('--unsafe-io', 'skip the syncfs before commit (throwaway images only)')
    .option('--no-wait', 'fail at once when another zpkg holds the image')
    .action(async (names: string[], opts: RemoveOpts & HookFlags, cmd: Command) => {
      if (names.length === 0 && !opts.autoremove) throw new ZpkgError('E_USAGE', 'remove needs package names, or --autoremove alone', { hint: 'e.g. `zpkg remove NAME` or `zpkg remove --autoremove`' });
      const { remove } = await import('../../txn/remove.js');
      const report = ctx.report(cmd);
      const image = ctx.installedImage(cmd, !opts.dryRun);
      const result = await remove(image, names, { report, command: ctx.commandLine(), force: opts.force, cascade: opts.cascade, autoremove: opts.autoremove, purge: opts.purge, dryRun: opts.dryRun, unsafeIo: opts.unsafeIo, noWait: !opts.wait, ...hookOptions(opts) });
      report.result(result, renderTransaction);
      lifecycleExitCode(result);
    });
}
