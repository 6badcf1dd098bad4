/** `zpkg info NAME`: an installed package, else the newest version the remotes offer. */
import type { Command } from 'commander';
import { foldSymbolVersions, foldedItem } from '../../core/symbol-versions.js';
import { formatBytes } from '../../report/table.js';
import type { Context } from '../context.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('info')
    .description('show a package: installed, or else as the remotes offer it')
    .argument('<name>')
    .action(async (name: string, _o, cmd: Command) => {
      const { packageInfo } = await import('../../txn/query.js');
      const report = ctx.report(cmd);
      const doc = await packageInfo(ctx.image(cmd), name, (m) => report.warn(m));
      report.result(doc, (d) =>
        [
          `${d.name}: ${d.summary}`,
          ...(d.description && d.description.trim() !== d.summary.trim() ? d.description.trimEnd().split('\n').map((l) => `  ${l}`) : []),
          `installed: ${d.installed ? `${d.installed.version}${d.installed.requested ? '' : ' (as a dependency)'}${d.installed.held ? ', held' : ''}, ${formatBytes(d.installed.size)}, from ${d.installed.remote ?? '?'}, on ${d.installed.installedAt.slice(0, 10)}` : 'no'}`,
          `available: ${d.available.map((a) => `${a.version}${a.arch === 'all' || a.arch === d.arch ? '' : ` ${a.arch}`} (${a.remote}${a.out ? `; out: ${a.out}` : ''})`).join(', ') || 'none'}`,
          ...(d.hold ? [`hold: ${d.hold.range ?? 'at the installed version'}${d.hold.reason ? ` — ${d.hold.reason}` : ''}`] : []),
          `arch: ${d.arch}`,
          ...(d.license ? [`license: ${d.license}`] : []),
          ...(['depends', 'conflicts', 'provides', 'replaces', 'recommends', 'suggests'] as const).filter((k) => d[k].length).map((k) => `${k}: ${(k === 'provides' || k === 'depends' ? foldSymbolVersions(d[k]).map(foldedItem) : d[k]).join(', ')}`),
        ].join('\n'),
      );
    });
}
