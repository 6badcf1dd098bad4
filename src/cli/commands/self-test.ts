/**
 * `zpkg self-test`: this zpkg runs, and reads the image's state.db — what a
 * new version of zpkg must show before the transaction that lands it commits
 * (see txn/self-update.ts). Read-only: no lock, no migration, nothing created.
 */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { VERSION } from '../version.js';
import { counted } from '../../report/table.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('self-test')
    .description("check that this zpkg runs and can read the image's state.db (changes nothing)")
    .action(async (_o, cmd: Command) => {
      const { probeState } = await import('../../image/probe.js');
      const root = ctx.globals(cmd).root;
      const state = probeState(root);
      const result = { version: VERSION, node: process.version, bundle: process.env.ZPKG_BUNDLE ?? null, state };
      ctx.report(cmd).result(result, (r) =>
        [
          `zpkg ${r.version} (node ${r.node}${r.bundle ? `, bundle ${r.bundle}` : ''})`,
          r.state.exists
            ? `${r.state.db}: schema ${r.state.schema}${r.state.schema < r.state.known ? ` (migrated to ${r.state.known} on the next change)` : ''}, ${counted(r.state.packages, 'package')}`
            : `${r.state.db}: none yet (the image is empty)`,
        ].join('\n'),
      );
    });
}
