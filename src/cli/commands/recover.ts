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
      const r = await recover(ctx.image(cmd, true), { report, noWait: !opts.wait });
      report.result(r, (x) =>
        x.recovered.length || x.lifecycles.length
          ? [
              ...x.recovered.map((t) => `transaction ${t.txid} (${t.command}): ${t.outcome}`),
              ...x.lifecycles.map((t) => `transaction ${t.txid}: ${t.outcome === 'finished' ? 'post-hooks and service starts finished' : 'stopped services started again'}`),
              ...x.lifecycles.flatMap((t) => renderLifecycle(t)),
            ].join('\n')
          : 'nothing to recover',
      );
      if (r.lifecycles.some((l) => l.lifecycle.errors > 0)) process.exitCode = 1;
    });
}
