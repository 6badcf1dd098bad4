/** `zpkg contents NAME[=VERSION]`: the paths a package delivers, installed or offered. */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import type { Context } from '../context.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('contents')
    .description('list the paths a package delivers: the installed version, or else the newest a remote offers (NAME=VERSION for another), from its manifest')
    .argument('<name>', 'NAME or NAME=VERSION')
    .action(async (spec: string, _o, cmd: Command) => {
      const { packageContents } = await import('../../txn/query.js');
      const eq = spec.indexOf('=');
      const name = eq < 0 ? spec : spec.slice(0, eq);
      const version = eq < 0 ? undefined : spec.slice(eq + 1);
      if (name === '' || version === '') throw new ZpkgError('E_USAGE', `\`${spec}\` is not NAME or NAME=VERSION`);
      const r = await packageContents(ctx.image(cmd), name, version);
      ctx.report(cmd).result(r, (x) =>
        [
          ...(x.installed ? [] : [`${x.name} ${x.version} (not installed; from remote ${x.remote}):`]),
          ...x.paths.map((p) => `/${p.path}${p.type === 'dir' ? '/' : ''}${p.type === 'link' ? ` -> ${p.target}` : ''}`),
        ].join('\n'),
      );
    });
}
