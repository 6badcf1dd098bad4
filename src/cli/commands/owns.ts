/** `zpkg owns PATH`: which installed package delivers a path. */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import { toImagePath } from '../../core/paths.js';
import type { Context } from '../context.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('owns')
    .description('which installed package delivers a path (an image path such as /usr/bin/hello)')
    .argument('<path>')
    .action(async (input: string, _o, cmd: Command) => {
      const { ownersOf } = await import('../../txn/owners.js');
      const image = ctx.image(cmd);
      const path = toImagePath(input);
      // The root is every package's and none's: an empty argument is a script's unset variable.
      if (path === '') throw new ZpkgError('E_USAGE', `owns needs a path in the image, not ${input === '' ? 'an empty one' : `\`${input}\` (the image's root)`}`);
      const found = ownersOf(image, path);
      if (!found) throw new ZpkgError('E_NOT_INSTALLED', `no installed package owns /${path}`);
      ctx.report(cmd).result(found, (r) => `/${r.path} is owned by ${r.owners.join(', ')}${r.as ? ` (as /${r.as}, through the image's links)` : ''}`);
    });
}
