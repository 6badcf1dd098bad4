/** `zpkg recover`: finish or undo a transaction an interruption left behind (every changing command does this first). */
import type { Command } from 'commander';
import type { Context } from '../context.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('recover')
    .description('finish or undo an interrupted transaction, so files and state.db agree again')
    .option('--no-wait', 'fail at once when another zpkg holds the image')
    .action(async (opts: { wait: boolean }, cmd: Command) => {
      const { lockImage } = await import('../../image/image.js');
      const { recoverImage } = await import('../../txn/recover.js');
      const image = ctx.image(cmd, true);
      const lock = lockImage(image, { noWait: !opts.wait, onWait: () => ctx.report(cmd).info(`waiting for another zpkg working on ${image.paths.root}…`) });
      try {
        const recovered = recoverImage(image);
        ctx.report(cmd).result({ recovered }, (r) => (r.recovered.length ? r.recovered.map((x) => `transaction ${x.txid} (${x.command}): ${x.outcome}`).join('\n') : 'nothing to recover'));
      } finally {
        lock.release();
      }
    });
}
