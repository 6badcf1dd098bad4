/** `zpkg remote add|list|remove`: the repositories an image installs from. */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import { table } from '../../report/table.js';
import type { Context } from '../context.js';

export function register(program: Command, ctx: Context): void {
  const remote = program.command('remote').description('manage the repositories an image installs from');
  remote
    .command('add')
    .description('add a remote (a directory, an archive file, http(s):// or s3://)')
    .argument('<name>', 'a short name')
    .argument('<url>', 'where the repository is')
    .option('--priority <n>', 'higher wins for the same package name', '0')
    .option('--mirror <url>', 'another URL of the same repository, tried in order when one fails (repeatable)', (v: string, acc: string[]) => [...acc, v], [])
    .action(async (name: string, url: string, opts: { priority: string; mirror: string[] }, cmd: Command) => {
      const { addRemote, removeRemote, setMirrors } = await import('../../image/remotes.js');
      const priority = Number(opts.priority);
      if (!Number.isInteger(priority)) throw new ZpkgError('E_USAGE', `--priority \`${opts.priority}\` is not an integer`);
      const image = ctx.image(cmd, true);
      let r = addRemote(image, name, url, priority);
      if (opts.mirror.length > 0) {
        try {
          r = setMirrors(image, name, opts.mirror);
        } catch (err) {
          removeRemote(image, name);
          throw err;
        }
      }
      ctx.report(cmd).result(r, (x) => `added remote ${x.name} → ${x.url} (priority ${x.priority})`);
    });
  remote
    .command('list')
    .description('list remotes, highest priority first')
    .action(async (_o, cmd: Command) => {
      const { addRemote, listRemotes, removeRemote } = await import('../../image/remotes.js');
      const remotes = listRemotes(ctx.image(cmd));
      ctx.report(cmd).result({ remotes }, (x) => (x.remotes.length ? table(x.remotes.map((r) => [r.name, String(r.priority), r.mirrors?.length ? `${r.url} (mirrors: ${r.mirrors.join(', ')})` : r.url]), ['NAME', 'PRIORITY', 'URL']) : 'no remotes'));
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
