/** `zpkg rollback [N]`: return the image to generation N (default: the previous one), as a new transaction. */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { parseGeneration } from './generation-arg.js';
import { addHookOptions, addProtectedOption, hookOptions, lifecycleExitCode, type HookFlags } from './lifecycle-options.js';
import { NOTHING_TO_DO, renderTransaction } from './render-txn.js';

export function register(program: Command, ctx: Context): void {
  addProtectedOption(addHookOptions(program.command('rollback')))
    .description('return the image to an earlier generation (see `zpkg history`); works offline while the cache holds the blobs')
    .argument('[generation]', 'generation number (default: the previous one; 0 is the empty image)')
    .option('-n, --dry-run', 'print the plan and change nothing')
    .option('--unsafe-io', 'skip the syncfs before commit (throwaway images only)')
    .option('--no-wait', 'fail at once when another zpkg holds the image')
    .action(async (gen: string | undefined, opts: { dryRun?: boolean; unsafeIo?: boolean; wait: boolean } & HookFlags, cmd: Command) => {
      const { rollback } = await import('../../txn/rollback.js');
      const n = gen === undefined ? undefined : parseGeneration(gen);
      const report = ctx.report(cmd);
      const result = await rollback(ctx.installedImage(cmd, !opts.dryRun), n, { report, command: ctx.commandLine(), dryRun: opts.dryRun, unsafeIo: opts.unsafeIo, noWait: !opts.wait, ...hookOptions(opts) });
      report.result(result, (r) => {
        const plan = renderTransaction(r);
        if (plan === NOTHING_TO_DO) return `generation ${r.generation} holds what the image holds now: nothing to do`;
        return `${r.dryRun ? 'would roll back' : 'rolled back'} to generation ${r.generation}\n${plan}`;
      });
      lifecycleExitCode(result);
    });
}
