/**
 * `zpkg why NAME`: the shortest chain of dependencies, within the installed
 * set, from a requested package to NAME — the reason autoremove keeps it.
 */
import type { InstalledPackage } from '../core/catalog.js';
import { formatClause } from '../core/relation.js';
import { Answering } from './answering.js';

function label(p: InstalledPackage): string {
  return `\`${p.name} ${p.version}\``;
}

/**
 * Lines from a requested package down to `name`; `["… was requested"]` when it
 * was asked for itself, `["… is held"]` when only a hold keeps it, `[]` when
 * nothing keeps it (autoremove would remove it), undefined when not installed.
 */
export function why(name: string, installed: readonly InstalledPackage[]): string[] | undefined {
  const target = installed.find((p) => p.name === name);
  if (target === undefined) return undefined;
  if (target.requested) return [`${label(target)} was requested`];
  const answering = new Answering(installed);
  /** How each reached package was reached: its dependent and the clause. */
  const via = new Map<InstalledPackage, { from: InstalledPackage; clause: number } | null>();
  const queue = installed.filter((p) => p.requested).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const p of queue) via.set(p, null);
  for (let i = 0; i < queue.length && !via.has(target); i++) {
    const p = queue[i]!;
    p.depends.forEach((clause, k) => {
      for (const atom of clause) {
        for (const q of answering.satisfying(atom)) {
          if (!via.has(q)) {
            via.set(q, { from: p, clause: k });
            queue.push(q);
          }
        }
      }
    });
  }
  if (!via.has(target)) return target.held ? [`${label(target)} is held`] : [];
  const lines: string[] = [];
  for (let at = target; ; ) {
    const step = via.get(at);
    if (!step) {
      lines.push(`${label(at)} was requested`);
      break;
    }
    const clause = step.from.depends[step.clause]!;
    const byName = clause.some((a) => a.name === at.name);
    lines.push(`${label(step.from)} depends on \`${formatClause(clause)}\`${byName ? '' : `, provided by ${label(at)}`}`);
    at = step.from;
  }
  return lines.reverse();
}
