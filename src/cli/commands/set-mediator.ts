/** `zpkg set-mediator NAME IMPL | --auto`: which implementation's links a mediator points at, switched in one transaction. */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import type { Context } from '../context.js';
import { renderLifecycle } from './render-txn.js';
import { addHookOptions, hookOptions, lifecycleExitCode, type HookFlags } from './lifecycle-options.js';

export function register(program: Command, ctx: Context): void {
  addHookOptions(program.command('set-mediator'))
    .description('choose the implementation of a mediator (links several packages deliver, e.g. bin/sh): its links replace the others\' in one transaction')
    .argument('<mediator>', 'the mediator (e.g. sh, python3)')
    .argument('[implementation]', 'the implementation to hold (default package name of the links, or their `implementation:`)')
    .option('--auto', 'drop the choice: the highest priority wins again')
    .option('-n, --dry-run', 'show what would change and change nothing')
    .option('--unsafe-io', 'skip the syncfs before commit (throwaway images only)')
    .option('--no-wait', 'fail at once when another zpkg holds the image')
    .action(async (mediator: string, impl: string | undefined, opts: { auto?: boolean; dryRun?: boolean; unsafeIo?: boolean; wait: boolean } & HookFlags, cmd: Command) => {
      if ((impl === undefined) === !opts.auto) throw new ZpkgError('E_USAGE', 'name an implementation, or pass --auto (not both)');
      const { setMediator } = await import('../../txn/set-mediator.js');
      const report = ctx.report(cmd);
      const r = await setMediator(ctx.installedImage(cmd, !opts.dryRun), mediator, impl ?? null, { report, command: ctx.commandLine(), dryRun: opts.dryRun, unsafeIo: opts.unsafeIo, noWait: !opts.wait, ...hookOptions(opts) });
      report.result(r, (x) =>
        [
          ...x.mediations.map((m) => `${m.mediator}: ${m.chosen.implementation} (${m.chosen.package}, ${m.byChoice ? 'chosen' : `priority ${m.chosen.priority}`}): ${m.chosen.paths.map((p) => `/${p}`).join(', ')}${m.candidates.length > 1 ? `; also installed: ${m.candidates.filter((c) => c !== m.chosen).map((c) => `${c.implementation} (${c.package}, priority ${c.priority})`).join(', ')}` : ''}`),
          ...renderLifecycle(x),
          ...(x.dryRun || x.id === null ? [] : [`transaction ${x.id}`]),
        ].join('\n'),
      );
      lifecycleExitCode(r);
    });
}
