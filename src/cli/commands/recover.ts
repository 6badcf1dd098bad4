/** `zpkg recover`: finish or undo a transaction an interruption left behind (every changing command does this first). */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { renderLifecycle } from './render-txn.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('recover')
    .description('finish or undo an interrupted transaction, so files and state.db agree again')
    .option('--no-wait', 'fail at once when another zpkg holds the image')
    .action(async (opts: { wait: boolean }, cmd: Command) => {
      const { lockImage } = await import('../../image/image.js');
      const { recoverImage } = await import('../../txn/recover.js');
      const { resumeLifecycles } = await import('../../txn/resume.js');
      const image = ctx.image(cmd, true);
      const lock = lockImage(image, { noWait: !opts.wait, onWait: () => ctx.report(cmd).info(`waiting for another zpkg working on ${image.paths.root}…`) });
      try {
        const report = ctx.report(cmd);
        const recovered = recoverImage(image);
        const lifecycles = await resumeLifecycles(image, report);
        report.result({ recovered, lifecycles }, (r) =>
          r.recovered.length || r.lifecycles.length
            ? [
                ...r.recovered.map((x) => `transaction ${x.txid} (${x.command}): ${x.outcome}`),
                ...r.lifecycles.map((x) => `transaction ${x.txid}: ${x.outcome === 'finished' ? 'post-hooks and service starts finished' : 'stopped services started again'}`),
                ...r.lifecycles.flatMap((x) => renderLifecycle(x)),
              ].join('\n')
            : 'nothing to recover',
        );
        if (lifecycles.some((l) => l.lifecycle.errors > 0)) process.exitCode = 1;
      } finally {
        lock.release();
      }
    });
}
