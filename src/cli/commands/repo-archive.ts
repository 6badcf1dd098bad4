/** `zpkg repo archive SRC FILE`: a whole repository in one file, readable in place as a remote. */
import type { Command } from 'commander';
import { formatBytes } from '../../report/table.js';
import type { Context } from '../context.js';

export function register(repo: Command, ctx: Context): void {
  repo
    .command('archive')
    .description('write a repository into one archive file (for offline nodes: `zpkg remote add NAME FILE` reads it in place)')
    .argument('<src>', 'repository to archive (directory, http(s):// or s3://)')
    .argument('<file>', 'archive file to write (replaced atomically)')
    .action(async (src: string, file: string, _o, cmd: Command) => {
      const { resolve } = await import('node:path');
      const { openRepoReader } = await import('../../repo/open.js');
      const { archiveRepo } = await import('../../repo/archive.js');
      const report = ctx.report(cmd);
      const progress = report.progress('archive', 0);
      const r = await archiveRepo(openRepoReader(src), resolve(file), (n) => progress.tick(1, n));
      progress.done(`${r.files} files`);
      report.result(r, (x) => `archived ${x.packages} packages (repository version ${x.repoVersion}) into ${x.file}: ${x.files} files, ${formatBytes(x.bytes)}`);
    });
}
