/** `zpkg repo list DIR` */
import type { Command } from 'commander';
import { formatBytes, table } from '../../report/table.js';
import type { Context } from '../context.js';

export function register(repo: Command, ctx: Context): void {
  repo
    .command('list')
    .description('list every package version a repository holds')
    .argument('<dir>', 'repository directory or URL')
    .action(async (dir: string, _o, cmd: Command) => {
      const { openRepoReader } = await import('../../repo/open.js');
      const { readSnapshot } = await import('../../repo/snapshot.js');
      const snap = await readSnapshot(openRepoReader(dir));
      const packages = snap.entries.map((e) => ({ name: e.name, version: e.version, arch: e.arch, summary: e.summary, manifest: e.manifest ?? null, size: e.size, installedSize: e.installedSize }));
      ctx.report(cmd).result({ version: snap.root.version, packages }, (r) =>
        r.packages.length === 0 ? 'the repository is empty' : table(r.packages.map((p) => [p.name, p.version, p.arch, formatBytes(p.size), formatBytes(p.installedSize), p.summary]), ['NAME', 'VERSION', 'ARCH', 'DOWNLOAD', 'INSTALLED', 'SUMMARY']),
      );
    });
}
