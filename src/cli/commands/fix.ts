/** `zpkg fix [NAME...]`: repair what `verify` finds damaged, from verified blobs. */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { renderLifecycle } from './render-txn.js';
import { addHookOptions, hookOptions, lifecycleExitCode, type HookFlags } from './lifecycle-options.js';

export function register(program: Command, ctx: Context): void {
  addHookOptions(program.command('fix'))
    .description('write again the installed paths that verify finds damaged (config files changed locally are kept)')
    .argument('[name...]', 'packages to repair (default: all)')
    .option('-n, --dry-run', 'show what would be repaired and change nothing')
    .option('--unsafe-io', 'skip the syncfs before commit (throwaway images only)')
    .option('--no-wait', 'fail at once when another zpkg holds the image')
    .action(async (names: string[], opts: { dryRun?: boolean; unsafeIo?: boolean; wait: boolean } & HookFlags, cmd: Command) => {
      const { fix } = await import('../../txn/fix.js');
      const report = ctx.report(cmd);
      const r = await fix(ctx.installedImage(cmd, !opts.dryRun), names, { report, command: ctx.commandLine(), dryRun: opts.dryRun, unsafeIo: opts.unsafeIo, noWait: !opts.wait, ...hookOptions(opts) });
      report.result(r, (x) =>
        [
          ...x.manifests.map((name) => `${x.dryRun ? 'would put back' : 'put back'} the manifest of ${name} in the cache (its cached copy was damaged; fetched again)`),
          ...(x.repaired.length === 0 && x.manifests.length === 0 ? ['nothing to repair'] : x.repaired.map((p) => `${x.dryRun ? 'would repair' : 'repaired'} ${p.package}: /${p.path} (${p.problem})`)),
          ...x.unrepaired.map((p) => `not repaired: ${p.package ? `${p.package}: ` : ''}${p.problem}`),
          ...renderLifecycle(x),
          ...(x.dryRun || x.id === null ? [] : [`transaction ${x.id}`]),
        ].join('\n'),
      );
      lifecycleExitCode(r);
    });
}
