/** `zpkg repo diff REPO_A REPO_B`: packages and versions one repository holds and the other does not, newest versions compared. */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { renderSetDiff } from './render-diff.js';

export function register(repo: Command, ctx: Context): void {
  repo
    .command('diff')
    .description('compare two repositories: versions only one holds, and per package the newest versions (added, removed, up/downgraded, rebuilt) with file counts and bytes')
    .argument('<a>', 'repository directory or URL (before)')
    .argument('<b>', 'repository directory or URL (after)')
    .action(async (a: string, b: string, _o, cmd: Command) => {
      const { openRepoReader } = await import('../../repo/open.js');
      const { diffRepos } = await import('../../repo/diff.js');
      const result = await diffRepos(openRepoReader(a), openRepoReader(b));
      ctx.report(cmd).result(result, (r) =>
        [
          renderSetDiff(r, `${r.from} → ${r.to} (newest version of each package)`),
          ...r.versions.added.map((v) => `version only in ${r.to}: ${v.name} ${v.version}`),
          ...r.versions.removed.map((v) => `version only in ${r.from}: ${v.name} ${v.version}`),
        ].join('\n'),
      );
    });
}
