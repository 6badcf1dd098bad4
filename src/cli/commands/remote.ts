/** `zpkg remote add|list|remove`: the repositories an image installs from. */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import { table } from '../../report/table.js';
import type { Context } from '../context.js';

export function register(program: Command, ctx: Context): void {
  const remote = program.command('remote').description('manage the repositories an image installs from');
  remote
    .command('add')
    .description('add a remote (a directory path or file:// URL)')
    .argument('<name>', 'a short name')
    .argument('<url>', 'where the repository is')
    .option('--priority <n>', 'higher wins for the same package name', '0')
    .action(async (name: string, url: string, opts: { priority: string }, cmd: Command) => {
      const { addRemote, listRemotes, removeRemote } = await import('../../image/remotes.js');
      const priority = Number(opts.priority);
      if (!Number.isInteger(priority)) throw new ZpkgError('E_USAGE', `--priority \`${opts.priority}\` is not an integer`);
      const r = addRemote(ctx.image(cmd, true), name, url, priority);
      ctx.report(cmd).result(r, (x) => `added remote ${x.name} → ${x.url} (priority ${x.priority})`);
    });
  remote
    .command('list')
    .description('list remotes, highest priority first')
    .action(async (_o, cmd: Command) => {
      const { addRemote, listRemotes, removeRemote } = await import('../../image/remotes.js');
      const remotes = listRemotes(ctx.image(cmd));
      ctx.report(cmd).result({ remotes }, (x) => (x.remotes.length ? table(x.remotes.map((r) => [r.name, String(r.priority), r.url]), ['NAME', 'PRIORITY', 'URL']) : 'no remotes'));
    });
  remote
    .command('remove')
    .description('remove a remote and its cached catalog')
    .argument('<name>')
    .action(async (name: string, _o, cmd: Command) => {
      const { addRemote, listRemotes, removeRemote } = await import('../../image/remotes.js');
      const r = removeRemote(ctx.image(cmd, true), name);
      ctx.report(cmd).result({ removed: r }, (x) => `removed remote ${x.removed.name}`);
    });
}
