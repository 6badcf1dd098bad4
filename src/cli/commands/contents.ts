/** `zpkg contents NAME`: the paths an installed package delivers. */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import type { Context } from '../context.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('contents')
    .description('list the paths an installed package delivers')
    .argument('<name>')
    .action(async (name: string, _o, cmd: Command) => {
      const { dirsOf, filesOf, getPackage } = await import('../../image/state.js');
      const image = ctx.image(cmd);
      if (!getPackage(image.db, name)) throw new ZpkgError('E_NOT_INSTALLED', `${name} is not installed`);
      const paths = [
        ...dirsOf(image.db, name).map((d) => ({ path: d.path, type: 'dir' as const, target: null as string | null })),
        ...filesOf(image.db, name).map((f) => ({ path: f.path, type: f.type, target: f.target })),
      ].sort((a, b) => (a.path < b.path ? -1 : 1));
      ctx.report(cmd).result({ name, paths }, (r) => r.paths.map((p) => `/${p.path}${p.type === 'dir' ? '/' : ''}${p.type === 'link' ? ` -> ${p.target}` : ''}`).join('\n'));
    });
}
