/** `zpkg recover`: finish or undo a transaction an interruption left behind (every changing command does this first). */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { renderLifecycle } from './render-txn.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('recover')
    .description('finish or undo an interrupted transaction, so files and state.db agree again')
    .option('--no-wait', 'fail at once when another zpkg holds the image')
    .action(async (opts: { wait: boolean }, cmd: Command) => {
      const { recover } = await import('../../txn/session.js');
      const report = ctx.report(cmd);
      const r = await recover(ctx.installedImage(cmd, true), { report, noWait: !opts.wait });
      report.result(r, (x) =>
        x.recovered.length || x.lifecycles.length
          ? [
              ...x.recovered.map((t) => `transaction ${t.txid} (${t.command}): ${t.outcome}`),
              ...x.lifecycles.map((t) =>
                t.outcome === 'rolled back'
                  ? `transaction ${t.txid}: failed after its commit (${t.rollback!.causes.join('; ')}); rolled back to generation ${t.rollback!.to}${t.rollback!.result ? ` (transaction ${t.rollback!.result.id})` : ''}`
                  : `transaction ${t.txid}: ${t.outcome === 'finished' ? 'post-hooks and service starts finished' : 'stopped services started again'}`,
              ),
              ...x.lifecycles.flatMap((t) => renderLifecycle(t)),
            ].join('\n')
          : 'nothing to recover',
      );
      // A service recovery could not bring back, or a transaction that had to be rolled back, is a failure.
      if (r.lifecycles.some((l) => l.lifecycle.errors > 0 || l.outcome === 'rolled back' || (l.rollback?.result?.lifecycle?.errors ?? 0) > 0)) process.exitCode = 1;
    });
}
