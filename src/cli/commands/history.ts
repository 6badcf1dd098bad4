/** `zpkg history`: the transactions of an image; each committed one is a generation (`rollback N` returns to it). */
import type { Command } from 'commander';
import { table } from '../../report/table.js';
import type { Context } from '../context.js';

interface Changes {
  install?: { name: string; version: string }[];
  upgrade?: { name: string; from: string; to: string }[];
  remove?: { name: string; version: string }[];
}

function describe(c: Changes): string {
  return [
    ...(c.install ?? []).map((p) => `+${p.name} ${p.version}`),
    ...(c.upgrade ?? []).map((p) => `^${p.name} ${p.from}→${p.to}`),
    ...(c.remove ?? []).map((p) => `-${p.name} ${p.version}`),
  ].join(', ');
}

export function register(program: Command, ctx: Context): void {
  program
    .command('history')
    .description('list the transactions of the image')
    .action(async (_o, cmd: Command) => {
      const { listHistory } = await import('../../image/state.js');
      const entries = listHistory(ctx.image(cmd).db);
      ctx.report(cmd).result({ transactions: entries }, (r) =>
        r.transactions.length ? table(r.transactions.map((h) => [String(h.id), h.finishedAt ?? h.startedAt, h.packages ? `${h.packages.length} packages` : '(trimmed)', describe(h.changes as Changes), h.command]), ['GEN', 'TIME', 'SET', 'CHANGES', 'COMMAND']) : 'no transactions yet',
      );
    });
}
