/** `zpkg repo create DIR` */
import type { Command } from 'commander';
import { openRepoWriter } from '../../repo/dir-backend.js';
import { createRepo } from '../../repo/manage.js';
import type { Context } from '../context.js';

export function register(repo: Command, ctx: Context): void {
  repo
    .command('create')
    .description('create an empty repository in a directory')
    .argument('<dir>', 'repository directory (created when missing; must be empty)')
    .action(async (dir: string, _o, cmd: Command) => {
      const result = await createRepo(openRepoWriter(dir));
      ctx.report(cmd).result(result, (r) => `created repository ${r.location}`);
    });
}
