/** The text of a set diff (generations, repositories, release sets): one line per changed package, then totals. */
import type { PackageChange, SetDiff } from '../../core/set-diff.js';
import { counted, formatBytes } from '../../report/table.js';

const SIGN: Record<PackageChange['kind'], string> = { added: '+', removed: '-', upgraded: '↑', downgraded: '↓', rebuilt: '~' };

function count(n: number | null): string {
  return n === null ? '?' : String(n);
}

function fileCount(n: number | null): string {
  return n === null ? '? files' : counted(n, 'file');
}

function bytes(n: number | null): string {
  return n === null ? '?' : formatBytes(n);
}

function line(c: PackageChange): string {
  const versions = c.kind === 'added' ? c.to : c.kind === 'removed' ? c.from : `${c.from} → ${c.to}`;
  const files = c.kind === 'added' ? `${fileCount(c.files.after)}, ${bytes(c.bytes.after)}` : c.kind === 'removed' ? `${fileCount(c.files.before)}, ${bytes(c.bytes.before)}` : `files ${count(c.files.before)} → ${count(c.files.after)}, ${bytes(c.bytes.before)} → ${bytes(c.bytes.after)}`;
  const paths = c.paths && c.kind !== 'added' && c.kind !== 'removed' ? ` (paths +${c.paths.added} -${c.paths.removed} ~${c.paths.changed})` : '';
  return `${SIGN[c.kind]} ${c.name} ${versions}: ${files}${paths}`;
}

export function renderSetDiff(d: SetDiff, title: string): string {
  const t = d.totals;
  const lines = [title, ...d.changes.map(line)];
  if (d.changes.length === 0) lines.push('no package changed');
  lines.push(
    `${t.added} added, ${t.removed} removed, ${t.upgraded} upgraded, ${t.downgraded} downgraded, ${t.rebuilt} rebuilt, ${d.unchanged} unchanged; files of changed packages ${t.files.before} → ${t.files.after}, ${formatBytes(t.bytes.before)} → ${formatBytes(t.bytes.after)}`,
  );
  return lines.join('\n');
}
