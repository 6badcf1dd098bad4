/** `zpkg verify [NAME...]`: installed paths against their verified manifests; exit 1 and a line per difference. */
import type { Command } from 'commander';
import type { Context } from '../context.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('verify')
    .description('check installed files against their manifests: digest, size, mode, owner, group, link target')
    .argument('[name...]', 'packages to check (default: all)')
    .action(async (names: string[], _o, cmd: Command) => {
      const { verifyImage } = await import('../../txn/verify.js');
      const report = ctx.report(cmd);
      const progress = report.progress('verify', 0);
      const result = await verifyImage(await ctx.readImage(cmd), names, { onPath: () => progress.tick() });
      progress.done();
      report.result(result, (r) =>
        [
          ...r.problems.map((p) => (p.path ? `${p.package}: /${p.path}: ${p.problem}` : p.package ? `${p.package}: ${p.problem}` : p.problem)),
          ...r.changedConfig.map((p) => `${p.package}: /${p.path}: config file changed locally (${p.problem})`),
          `${r.packages} packages, ${r.paths} paths: ${r.problems.length ? `${r.problems.length} problems` : 'ok'}`,
        ].join('\n'),
      );
      if (result.problems.length) process.exitCode = 1;
    });
}
