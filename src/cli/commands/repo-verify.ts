/** `zpkg repo verify DIR`: every digest checks out; exit 1 and a line per problem otherwise. */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { counted } from '../../report/table.js';

export function register(repo: Command, ctx: Context): void {
  repo
    .command('verify')
    .description('check every digest of a repository: catalog, manifests, blobs')
    .argument('<dir>', 'repository directory or URL')
    .action(async (dir: string, _o, cmd: Command) => {
      const { openRepoReader } = await import('../../repo/open.js');
      const { verifyRepo } = await import('../../repo/verify.js');
      const report = ctx.report(cmd);
      const progress = report.progress('blobs', 0);
      const result = await verifyRepo(openRepoReader(dir), () => progress.tick());
      progress.done();
      report.result(result, (r) =>
        [...r.problems.map((p) => `${p.path}: ${p.problem}`), `${counted(r.packages, 'package')}, ${counted(r.manifests, 'manifest')}, ${counted(r.blobs, 'blob')}: ${r.problems.length ? counted(r.problems.length, 'problem') : 'all digests verified'}`].join('\n'),
      );
      if (result.problems.length) process.exitCode = 1;
    });
}
