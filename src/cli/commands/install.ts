/** `zpkg install SPEC...` */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { addHookOptions, hookOptions, lifecycleExitCode, type HookFlags } from './lifecycle-options.js';
import { addFetchOptions, fetchOptions, type FetchFlags } from './fetch-options.js';
import { NOTHING_TO_DO, renderTransaction } from './render-txn.js';
import { parseSpec } from './spec.js';

interface InstallOpts {
  dryRun?: boolean;
  unsafeIo?: boolean;
  wait: boolean;
  withRecommends?: boolean;
}

export function register(program: Command, ctx: Context): void {
  addFetchOptions(addHookOptions(program.command('install')))
    .description('install packages and what they depend on')
    .argument('<spec...>', 'NAME, NAME=VERSION or "NAME (>= VERSION)"')
    .option('-n, --dry-run', 'print the plan and change nothing')
    .option('--unsafe-io', 'skip the syncfs before commit (throwaway images only)')
    .option('--no-wait', 'fail at once when another zpkg holds the image')
    .option('--with-recommends', 'also install what the packages recommend (default: `recommends:` in etc/zpkg/zpkg.yaml, else no)')
    .action(async (specs: string[], opts: InstallOpts & HookFlags & FetchFlags, cmd: Command) => {
      const { install } = await import('../../txn/install.js');
      const fetch = fetchOptions(opts);
      const report = ctx.report(cmd);
      const image = ctx.imageToInstallInto(cmd, !opts.dryRun);
      const wanted = specs.map(parseSpec);
      const result = await install(image, wanted, { report, command: ctx.commandLine(), dryRun: opts.dryRun, unsafeIo: opts.unsafeIo, noWait: !opts.wait, withRecommends: (opts as { withRecommends?: boolean }).withRecommends, ...hookOptions(opts), ...fetch });
      const { getPackage } = await import('../../image/state.js');
      // Nothing to do: say what is there, as apt does ("hello is already the newest version").
      report.result(result, (r) => {
        const text = renderTransaction(r);
        if (text !== NOTHING_TO_DO) return text;
        const already = wanted.flatMap((a) => {
          const row = getPackage(image.db, a.name);
          return row ? [`${row.name} ${row.version} is already installed`] : [];
        });
        if (already.length === 0) return text;
        return already.length === 1 ? `${already[0]}: nothing to do` : `${already.join('\n')}\n${NOTHING_TO_DO}`;
      });
      lifecycleExitCode(result);
    });
}
