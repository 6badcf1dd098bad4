/** `zpkg mark auto|manual NAME...` */
import { Argument, type Command } from 'commander';
import type { Context } from '../context.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('mark')
    .description('mark installed packages manual (kept by autoremove) or auto (removed by autoremove once nothing manual needs them)')
    .addArgument(new Argument('<mark>', 'auto or manual').choices(['auto', 'manual']))
    .argument('<name...>', 'installed packages')
    .action(async (mark: 'auto' | 'manual', names: string[], _o, cmd: Command) => {
      const { setMarks } = await import('../../txn/marks.js');
      const packages = setMarks(ctx.installedImage(cmd, true), names, mark);
      ctx.report(cmd).result({ packages }, (r) => r.packages.map((p) => `${p.name} ${p.version}: ${p.unchanged ? 'already ' : ''}${p.mark}`).join('\n'));
    });
}
