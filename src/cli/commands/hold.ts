/** `zpkg hold NAME...` / `zpkg unhold NAME...` */
import type { Command } from 'commander';
import type { Context } from '../context.js';

export function register(program: Command, ctx: Context): void {
  for (const [verb, held] of [['hold', true], ['unhold', false]] as const) {
    program
      .command(verb)
      .description(held ? 'keep installed packages at their version through install and update' : 'let held packages move again')
      .argument('<name...>', 'installed packages')
      .action(async (names: string[], _o, cmd: Command) => {
        const { setHold } = await import('../../txn/update.js');
        const result = setHold(ctx.image(cmd, true), names, held);
        ctx.report(cmd).result({ packages: result }, (r) => r.packages.map((p) => `${p.name} ${p.version}: ${p.held ? 'held' : 'no longer held'}`).join('\n'));
      });
  }
}
