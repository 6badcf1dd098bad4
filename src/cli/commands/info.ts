/** `zpkg info NAME`: an installed package, else the newest version the remotes offer. */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import { formatAtom, formatClause } from '../../core/relation.js';
import { compareVersions } from '../../core/version.js';
import { formatBytes } from '../../report/table.js';
import type { Context } from '../context.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('info')
    .description('show a package: installed, or else as the remotes offer it')
    .argument('<name>')
    .action(async (name: string, _o, cmd: Command) => {
      const { loadCandidates } = await import('../../image/remotes.js');
      const { getPackage } = await import('../../image/state.js');
      const image = ctx.image(cmd);
      const row = getPackage(image.db, name);
      const offered = (await loadCandidates(image)).filter((c) => c.name === name).sort((a, b) => compareVersions(b.version, a.version));
      if (!row && offered.length === 0) throw new ZpkgError('E_PACKAGE_UNKNOWN', `no package named \`${name}\` is installed or offered by a remote`);
      const top = offered[0];
      const doc = {
        name,
        installed: row ? { version: row.version, requested: row.requested, held: row.held, installedAt: row.installedAt, size: row.size, manifest: row.manifest, remote: row.remote } : null,
        available: offered.map((c) => ({ version: c.version, remote: c.remote })),
        arch: row?.arch ?? top!.arch,
        summary: row?.summary ?? top!.summary,
        depends: row ? row.relations.depends : top!.depends.map(formatClause),
        conflicts: row ? row.relations.conflicts : top!.conflicts.map(formatAtom),
        provides: row ? row.relations.provides : top!.provides.map(formatAtom),
        replaces: row ? row.relations.replaces : top!.replaces.map(formatAtom),
      };
      ctx.report(cmd).result(doc, (d) =>
        [
          `${d.name}: ${d.summary}`,
          `installed: ${d.installed ? `${d.installed.version}${d.installed.requested ? '' : ' (as a dependency)'}${d.installed.held ? ', held' : ''}, ${formatBytes(d.installed.size)}, from ${d.installed.remote ?? '?'}` : 'no'}`,
          `available: ${d.available.map((a) => `${a.version} (${a.remote})`).join(', ') || 'none'}`,
          `arch: ${d.arch}`,
          ...(['depends', 'conflicts', 'provides', 'replaces'] as const).filter((k) => d[k].length).map((k) => `${k}: ${d[k].join(', ')}`),
        ].join('\n'),
      );
    });
}
