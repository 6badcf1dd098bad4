/** `zpkg why NAME`: the dependency chain that keeps an installed package in the image. */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import type { Context } from '../context.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('why')
    .description('show the chain of dependencies that keeps an installed package in the image')
    .argument('<name>')
    .action(async (name: string, _o, cmd: Command) => {
      const { getPackage } = await import('../../image/state.js');
      const { installedView } = await import('../../txn/solver-view.js');
      const { why } = await import('../../solver/index.js');
      const image = ctx.image(cmd);
      if (!getPackage(image.db, name)) throw new ZpkgError('E_NOT_INSTALLED', `${name} is not installed`);
      const chain = why(name, installedView(image));
      ctx.report(cmd).result({ name, chain: chain ?? null }, (r) => (r.chain ? r.chain.join('\n') : `${name} is installed, but nothing requested needs it (zpkg remove --autoremove would remove it)`));
    });
}
