/** Text rendering of a transaction's result (or a dry run's), shared by every changing command. */
import { groupBy } from '../../core/group-by.js';
import type { TransactionResult } from '../../txn/transaction.js';
import { counted, formatBytes, inWords } from '../../report/table.js';

/** What `renderTransaction` says of a transaction that changes nothing. */
export const NOTHING_TO_DO = 'nothing to do';

export function renderTransaction(r: TransactionResult): string {
  const lines: string[] = [];
  const verb = r.dryRun || r.downloadOnly ? 'would ' : '';
  for (const p of r.install) lines.push(`${verb}install ${p.name} ${p.version}`);
  for (const p of r.upgrade) lines.push(`${verb}upgrade ${p.name} ${p.from} → ${p.to}`);
  for (const p of r.downgrade) lines.push(`${verb}downgrade ${p.name} ${p.from} → ${p.to}`);
  for (const p of r.remove) lines.push(`${verb}remove ${p.name} ${p.version}${p.replacedBy ? ` (replaced by ${p.replacedBy})` : ''}`);
  for (const w of r.recommends?.installed ?? []) lines.push(`${w.name} ${w.version} ${r.dryRun ? 'would be' : 'was'} installed as recommended by ${w.by}`);
  // One line per package and reason: a Debian package recommends and suggests several each (libc6: 6 suggests).
  const skipped = groupBy(r.recommends?.skipped ?? [], (w) => `${w.by}\0${w.why ?? ''}`).values();
  for (const ws of skipped) lines.push(`not installing ${inWords(ws.map((w) => `\`${w.relation}\``))}, recommended by ${ws[0]!.by}: ${ws[0]!.why ?? 'pass --with-recommends (or set `recommends: true` in etc/zpkg/zpkg.yaml)'}`);
  for (const ws of groupBy(r.recommends?.suggested ?? [], (w) => w.by).values()) lines.push(`${ws[0]!.by} suggests ${inWords(ws.map((w) => `\`${w.relation}\``))}`);
  if (r.withoutManifest.length) lines.push(`${counted(r.withoutManifest.length, 'package')} ${r.withoutManifest.length === 1 ? 'comes' : 'come'} from a catalog-only repository: their paths, hooks and services are unknown and they cannot be installed (${r.withoutManifest.slice(0, 3).map((p) => p.name).join(', ')}${r.withoutManifest.length > 3 ? ', …' : ''})`);
  for (const p of r.newConfig) lines.push(`config file ${p} was changed locally: kept it; the new version is ${p}.zpkg-new`);
  for (const p of r.keptConfig) lines.push(`config file ${p} was changed locally: kept it`);
  for (const t of r.takenOver) lines.push(`${t.to} takes over ${t.path} from ${t.from}`);
  for (const y of r.yielded ?? []) lines.push(`${y.package} leaves ${y.path} to ${y.to}, which replaces it`);
  if (r.adopted.length) lines.push(`${r.adopted.length === 1 ? '1 unowned path already in the image was' : `${r.adopted.length} unowned paths already in the image were`} overwritten (${r.adopted.slice(0, 3).join(', ')}${r.adopted.length > 3 ? ', …' : ''})`);
  for (const d of r.keptDirs) lines.push(`kept directory ${d}: it is not empty`);
  for (const g of r.accounts?.groups ?? []) lines.push(`${r.dryRun ? 'would create' : 'created'} group ${g.name} (gid ${g.gid})`);
  for (const u of r.accounts?.users ?? []) lines.push(`${r.dryRun ? 'would create' : 'created'} user ${u.name} (uid ${u.uid}, gid ${u.gid})`);
  lines.push(...renderLifecycle(r));
  const marked = r.markedManual ?? [];
  const mark = r.dryRun ? 'would mark' : 'marked';
  if (marked.length === 1) lines.push(`${mark} ${marked[0]} manual: it was installed as a dependency; autoremove keeps it now`);
  else if (marked.length > 1) lines.push(`${mark} ${marked.length} packages manual: they were installed as dependencies; autoremove keeps them now (${inWords(marked)})`);
  const self = r.selfUpdate;
  if (self) lines.push(`zpkg ${self.to} passed its self-test${self.post === 'finished' ? ' and finished the transaction' : self.post === 'pending' ? '; its post-hooks and service starts are pending (`zpkg recover`)' : ''}`);
  if (lines.length === 0) return NOTHING_TO_DO;
  if (r.downloadOnly) {
    lines.push(`downloaded ${r.fetched.fetched} of ${counted(r.fetched.blobs, 'blob')} (${formatBytes(r.fetched.bytes + r.fetched.manifestBytes)}), the rest were cached; nothing else changed — apply with the same command and --offline`);
    return lines.join('\n');
  }
  const same = r.files.inPlace ? `, ${r.files.inPlace} unchanged left in place` : '';
  // A removal needs no content: "0 of 0 blobs to fetch" only made the line longer.
  const fetch = r.fetched.blobs > 0 ? `; ${r.fetched.fetched} of ${counted(r.fetched.blobs, 'blob')} to fetch` : '';
  const unneeded = r.unneeded ?? [];
  if (unneeded.length) lines.push(`${unneeded.length === 1 ? '1 package installed as a dependency is' : `${unneeded.length} packages installed as dependencies are`} no longer needed: ${unneeded.map((p) => p.name).join(', ')} (\`zpkg remove --autoremove\` removes ${unneeded.length === 1 ? 'it' : 'them'})`);
  // Only marks moved (`install` of a dependency already installed): no transaction, no paths to count.
  const moved = r.install.length + r.upgrade.length + r.downgrade.length + r.remove.length + r.files.written + r.files.removed > 0;
  if (!moved && r.id === null) return lines.join('\n');
  if (r.dryRun) lines.push(`would write ${counted(r.files.written, 'path')} and remove ${r.files.removed}${same}${fetch}`);
  else lines.push(`${counted(r.files.written, 'path')} written (${formatBytes(r.files.bytes)} verified), ${r.files.removed} removed${same}; transaction ${r.id}`);
  return lines.join('\n');
}

/** Hooks and service operations of a transaction, one line each. */
export function renderLifecycle(r: Pick<TransactionResult, 'lifecycle'>): string[] {
  const l = r.lifecycle;
  if (!l) return [];
  const lines: string[] = [];
  for (const h of l.hooks) {
    if (h.status === 'planned') lines.push(`would run the ${h.phase} hook of ${h.package} ${h.version}${h.detail ? ` (${h.detail})` : ''}`);
    else lines.push(`${h.status === 'ok' ? 'ran' : 'FAILED:'} the ${h.phase} hook of ${h.package} ${h.version} (${h.detail}, ${h.seconds.toFixed(2)} s)`);
  }
  for (const s of l.services) {
    if (s.status === 'planned') lines.push(`would ${s.action} service ${s.name} (${s.detail})`);
    else if (s.status === 'ok') lines.push(`service ${s.name}: ${s.action} (${s.detail || 'ok'})`);
    else if (s.status === 'failed') lines.push(`FAILED: service ${s.name} ${s.action}: ${s.detail}`);
    else lines.push(`service ${s.name}: ${s.status === 'protected' ? 'protected, left alone' : `${s.action} skipped (${s.detail})`}`);
  }
  if (l.errors) lines.push(`committed with ${counted(l.errors, 'error')} after the commit: see \`zpkg history\` and \`zpkg verify\``);
  return lines;
}
