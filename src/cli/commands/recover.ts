/** `zpkg recover`: finish or undo a transaction an interruption left behind (every changing command does this first). */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import type { RecoveryPlan } from '../../txn/recovery-plan.js';
import { counted } from '../../report/table.js';
import { renderLifecycle } from './render-txn.js';

function renderPlan(p: RecoveryPlan): string {
  const lines = [
    ...p.journals.map((j) =>
      j.action === 'finish'
        ? `transaction ${j.txid} (${j.command}), started ${j.startedAt}: committed; would be finished (its backups and leftovers removed)`
        : `transaction ${j.txid} (${j.command}), started ${j.startedAt}: not committed; would be undone (${counted(j.puts, 'path')} written and ${counted(j.deletes, 'path')} deleted go back as they were)`,
    ),
    ...p.lifecycles.map((l) => {
      const services = l.services.length ? l.services.join(', ') : 'none';
      if (l.action === 'finish') return `transaction ${l.txid}: would run its ${counted(l.postHooks, 'post-hook')} and start its services (${services})${l.rollbackOnFailure ? ', rolling back if they fail' : ''}`;
      if (l.action === 'restart') return `transaction ${l.txid}: rolled back; would start again the services it stopped (${services})`;
      if (l.action === 'roll back') return `transaction ${l.txid}: its post-phase failed; would roll the image back to generation ${l.to}`;
      return `transaction ${l.txid}: its rollback to generation ${l.to} committed already; would only drop its record`;
    }),
    ...p.unreadable.map((u) => `pending lifecycle ${u.path} cannot be read (${u.error}): recovery would drop it`),
  ];
  return lines.length ? lines.join('\n') : 'nothing to recover';
}

export function register(program: Command, ctx: Context): void {
  program
    .command('recover')
    .description('finish or undo an interrupted transaction, so files and state.db agree again')
    .option('-n, --dry-run', 'say what recovery would finish, undo or run, and change nothing')
    .option('--no-wait', 'fail at once when another zpkg holds the image')
    .action(async (opts: { wait: boolean; dryRun?: boolean }, cmd: Command) => {
      const report = ctx.report(cmd);
      if (opts.dryRun) {
        const { planRecovery } = await import('../../txn/recovery-plan.js');
        const plan = planRecovery(ctx.installedImage(cmd, false), { noWait: !opts.wait, onWait: () => report.info('waiting for another zpkg working on the image…') });
        report.result(plan, renderPlan);
        return;
      }
      const { recover } = await import('../../txn/session.js');
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
