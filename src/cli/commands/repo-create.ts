/** `zpkg repo create DIR` */
import type { Command } from 'commander';
import type { Context } from '../context.js';

export function register(repo: Command, ctx: Context): void {
  repo
    .command('create')
    .description('create an empty repository in a directory')
    .argument('<dir>', 'repository directory (created when missing; must be empty)')
    .action(async (dir: string, _o, cmd: Command) => {
      const { openRepoWriter } = await import('../../repo/open.js');
      const { createRepo } = await import('../../repo/manage.js');
      const result = await createRepo(openRepoWriter(dir));
      ctx.report(cmd).result(result, (r) => `created repository ${r.location}`);
    });
}
