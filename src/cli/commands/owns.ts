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
      const { dirOwners, fileAt } = await import('../../image/state.js');
      const image = ctx.image(cmd);
      const path = toImagePath(input);
      // The root is every package's and none's: an empty argument is a script's unset variable.
      if (path === '') throw new ZpkgError('E_USAGE', `owns needs a path in the image, not ${input === '' ? 'an empty one' : `\`${input}\` (the image's root)`}`);
      const file = fileAt(image.db, path);
      const dirs = dirOwners(image.db, path).map((d) => d.package);
      const owners = file ? [file.package] : dirs;
      if (owners.length === 0) throw new ZpkgError('E_NOT_INSTALLED', `no installed package owns /${path}`);
      ctx.report(cmd).result({ path, type: file ? file.type : 'dir', owners }, (r) => `/${r.path} is owned by ${r.owners.join(', ')}`);
    });
}
