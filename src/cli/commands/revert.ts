/** `zpkg revert PATH...`: the shipped version of config files back in place; the local one kept as `PATH.zpkg-old`. */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { renderLifecycle } from './render-txn.js';
import { addHookOptions, hookOptions, lifecycleExitCode, type HookFlags } from './lifecycle-options.js';

export function register(program: Command, ctx: Context): void {
  addHookOptions(program.command('revert'))
    .description('write back the shipped version of config files, keeping the local one as PATH.zpkg-old, in one transaction')
    .argument('<path...>', 'config files of installed packages')
    .option('-n, --dry-run', 'show what would be reverted and change nothing')
    .option('--unsafe-io', 'skip the syncfs before commit (throwaway images only)')
    .option('--no-wait', 'fail at once when another zpkg holds the image')
    .action(async (paths: string[], opts: { dryRun?: boolean; unsafeIo?: boolean; wait: boolean } & HookFlags, cmd: Command) => {
      const { revert } = await import('../../txn/revert.js');
      const report = ctx.report(cmd);
      const r = await revert(ctx.installedImage(cmd, !opts.dryRun), paths, { report, command: ctx.commandLine(), dryRun: opts.dryRun, unsafeIo: opts.unsafeIo, noWait: !opts.wait, ...hookOptions(opts) });
      report.result(r, (x) =>
        [
          ...x.reverted.map((p) => `${x.dryRun ? 'would revert' : 'reverted'} ${p.package}: /${p.path}${p.keptOld ? ` (the local version ${x.dryRun ? 'would be' : 'is'} /${p.path}.zpkg-old)` : ''}`),
          ...x.unchanged.map((p) => `/${p}: already as shipped`),
          ...renderLifecycle(x),
          ...(x.dryRun || x.id === null ? [] : [`transaction ${x.id}`]),
        ].join('\n'),
      );
      lifecycleExitCode(r);
    });
}
