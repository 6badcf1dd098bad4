/** `zpkg sync FILE` / `zpkg sync --set NAME`: make the image hold exactly a set of packages and versions. */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import type { Context } from '../context.js';
import { addHookOptions, addProtectedOption, hookOptions, lifecycleExitCode, type HookFlags } from './lifecycle-options.js';
import { addFetchOptions, fetchOptions, type FetchFlags } from './fetch-options.js';
import { renderTransaction } from './render-txn.js';

interface SyncOpts {
  set?: string;
  force?: boolean;
  dryRun?: boolean;
  unsafeIo?: boolean;
  boot?: boolean;
  wait: boolean;
}

export function register(program: Command, ctx: Context): void {
  addProtectedOption(addFetchOptions(addHookOptions(program.command('sync'))))
    .description('make the image hold exactly the listed packages and versions, in one transaction')
    .argument('[file]', 'a list of `NAME VERSION` (or NAME=VERSION) lines')
    .option('--set <name>', 'take the list from a release set in the catalog (a package whose depends pin exact versions): NAME (its newest version), NAME=VERSION or NAME@VERSION')
    .option('--force', 'apply even when the set does not hold together')
    .option('-n, --dry-run', 'print the plan and change nothing')
    .option('--unsafe-io', 'skip the syncfs before commit (throwaway images only)')
    .option('--boot', 'first-boot install: run no package hooks, still start services')
    .option('--no-wait', 'fail at once when another zpkg holds the image')
    .action(async (file: string | undefined, opts: SyncOpts & HookFlags & FetchFlags, cmd: Command) => {
      const { sync } = await import('../../txn/sync.js');
      if ((file === undefined) === (opts.set === undefined)) throw new ZpkgError('E_USAGE', 'sync takes a FILE or --set NAME (one of them)');
      const fetch = fetchOptions(opts);
      const report = ctx.report(cmd);
      const image = ctx.imageToInstallInto(cmd, !opts.dryRun);
      const result = await sync(image, file !== undefined ? { file } : { set: opts.set! }, { report, command: ctx.commandLine(), force: opts.force, dryRun: opts.dryRun, unsafeIo: opts.unsafeIo, noWait: !opts.wait, ...hookOptions(opts), ...fetch, boot: opts.boot });
      report.result(result, renderTransaction);
      lifecycleExitCode(result);
    });
}
