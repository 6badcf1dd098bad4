/** Text rendering of a transaction's result, shared by install and remove. */
import type { TransactionResult } from '../../txn/transaction.js';
import { formatBytes } from '../../report/table.js';

export function renderTransaction(r: TransactionResult): string {
  const lines: string[] = [];
  const verb = r.dryRun ? 'would ' : '';
  for (const p of r.install) lines.push(`${verb}install ${p.name} ${p.version}`);
  for (const p of r.upgrade) lines.push(`${verb}upgrade ${p.name} ${p.from} → ${p.to}`);
  for (const p of r.downgrade) lines.push(`${verb}downgrade ${p.name} ${p.from} → ${p.to}`);
  for (const p of r.remove) lines.push(`${verb}remove ${p.name} ${p.version}`);
  for (const p of r.newConfig) lines.push(`config file ${p} was changed locally: kept it; the new version is ${p}.zpkg-new`);
  for (const p of r.keptConfig) lines.push(`config file ${p} was changed locally: kept it`);
  for (const t of r.takenOver) lines.push(`${t.to} takes over ${t.path} from ${t.from}`);
  if (r.adopted.length) lines.push(`${r.adopted.length} unowned path(s) already in the image were overwritten (${r.adopted.slice(0, 3).join(', ')}${r.adopted.length > 3 ? ', …' : ''})`);
  for (const d of r.keptDirs) lines.push(`kept directory ${d}: it is not empty`);
  if (lines.length === 0) return 'nothing to do';
  if (!r.dryRun) lines.push(`${r.files.written} paths written (${formatBytes(r.files.bytes)} verified), ${r.files.removed} removed; transaction ${r.id}`);
  return lines.join('\n');
}
