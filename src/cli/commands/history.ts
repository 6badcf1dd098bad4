/** `zpkg history`: the transactions of an image; each committed one is a generation (`rollback N` returns to it). */
import type { Command } from 'commander';
import { counted, table } from '../../report/table.js';
import { ZpkgError } from '../../core/errors.js';
import type { TransactionChanges } from '../../image/state.js';
import type { Context } from '../context.js';
import { parseGeneration } from './generation-arg.js';

/** Every kind of change, one mark each: `+` install, `^` upgrade, `v` downgrade, `-` remove. */
function changeItems(c: TransactionChanges): string[] {
  return [
    ...c.install.map((p) => `+${p.name} ${p.version}`),
    ...c.upgrade.map((p) => `^${p.name} ${p.from}→${p.to}`),
    ...c.downgrade.map((p) => `v${p.name} ${p.from}→${p.to}`),
    ...c.remove.map((p) => `-${p.name} ${p.version}${p.replacedBy ? ` (replaced by ${p.replacedBy})` : ''}`),
  ];
}

/** `history N`'s changes: one per line under a count (a dist-upgrade moves dozens); then files that changed owner, per pair of packages. */
export function changeLines(c: TransactionChanges): string[] {
  const all = changeItems(c);
  const lines = all.length === 0 ? ['changes: none'] : [`changes (${all.length}):`, ...all.map((x) => `  ${x}`)];
  const moved = c.takeovers ?? [];
  if (moved.length) {
    lines.push(`files that changed owner (${moved.reduce((n, t) => n + t.paths, 0)}):`);
    for (const t of moved) lines.push(`  ${t.to} took ${t.paths === 1 ? `/${t.first}` : `${t.paths} paths (/${t.first}, …)`} from ${t.from}`);
  }
  return lines;
}

export function describeChanges(c: TransactionChanges, max = Infinity): string {
  const all = changeItems(c);
  // The list keeps one line per transaction readable: `history N` shows every change.
  return all.length > max ? `${all.slice(0, max - 1).join(', ')}, … (${all.length - max + 1} more)` : all.join(', ');
}

/** Changes shown per transaction in the list. */
const LISTED_CHANGES = 4;

export function register(program: Command, ctx: Context): void {
  program
    .command('history')
    .description('list the transactions of the image; with a number, one transaction with its hooks (and their output) and service operations')
    .argument('[gen]', 'a transaction (generation) number')
    .action(async (gen: string | undefined, _o, cmd: Command) => {
      const { listHistory } = await import('../../image/state.js');
      const { listLifecycle } = await import('../../image/lifecycle-state.js');
      const db = ctx.image(cmd).db;
      const entries = listHistory(db);
      const report = ctx.report(cmd);
      if (gen !== undefined) {
        const id = parseGeneration(gen);
        const h = entries.find((e) => e.id === id);
        if (!h) throw new ZpkgError('E_GENERATION_UNKNOWN', `no transaction ${gen} in this image`, { hint: 'list them with `zpkg history`' });
        const one = { ...h, lifecycle: listLifecycle(db, h.id) };
        report.result(one, (x) =>
          [
            `transaction ${x.id}: ${x.status}, ${x.finishedAt ?? x.startedAt}`,
            `command: ${x.command}`,
            ...changeLines(x.changes),
            ...x.lifecycle.map((l) => {
              const head = l.kind === 'hook' ? `hook ${l.package} ${l.action}: ${l.status} (${l.detail ?? ''}${l.seconds !== null ? `, ${l.seconds} s` : ''})` : `service ${l.name} ${l.action}: ${l.status}${l.detail ? ` (${l.detail})` : ''}`;
              const out = l.output ? l.output.trimEnd().split('\n').map((line) => `  | ${line}`) : [];
              return [head, ...out].join('\n');
            }),
          ].join('\n'),
        );
        return;
      }
      report.result({ transactions: entries }, (r) =>
        r.transactions.length ? table(r.transactions.map((h) => [String(h.id), h.finishedAt ?? h.startedAt, h.packages ? counted(h.packages.length, 'package') : '(trimmed)', describeChanges(h.changes, LISTED_CHANGES) || '—', h.status === 'committed' ? '' : h.status, h.command]), ['GEN', 'TIME', 'SET', 'CHANGES', 'STATUS', 'COMMAND']) : 'no transactions yet',
      );
    });
}
