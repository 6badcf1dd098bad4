/**
 * `zpkg verify [NAME...]`: installed paths against their verified manifests; exit 1 and a line per difference.
 * `zpkg verify --unowned [PATH...]`: paths no installed package owns; exit 1 when there is any.
 */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { counted } from '../../report/table.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('verify')
    .description('check installed files against their manifests: digest, size, mode, owner, group, link target; with --unowned, list paths no package owns')
    .argument('[name...]', 'packages to check (default: all); with --unowned, image paths to walk (default: the whole image)')
    .option('--unowned', 'list the files and directories under the given paths that no installed package (or adopted base) owns')
    .action(async (names: string[], opts: { unowned?: boolean }, cmd: Command) => {
      const report = ctx.report(cmd);
      if (opts.unowned) {
        const { findUnowned } = await import('../../txn/unowned.js');
        const progress = report.progress('walk', 0);
        const image = ctx.image(cmd);
        const result = findUnowned(image, names, () => progress.tick());
        progress.done();
        report.result(result, (r) =>
          [
            ...r.unowned.map((u) => `/${u.path}${u.type === 'dir' ? '/' : ''}: not owned by any package${u.type === 'file' || u.type === 'dir' ? '' : ` (${u.type})`}${u.note ? ` — ${u.note}` : ''}`),
            ...r.skipped.map((s) => `/${s.path}: skipped: ${s.why}`),
            `${counted(r.examined, 'path')} examined: ${r.unowned.length ? `${r.unowned.length} not owned by any package` : 'every one owned'}`,
          ].join('\n'),
        );
        if (result.unowned.length) process.exitCode = 1;
        return;
      }
      // The check workers boot while the rest loads and the state is read, when the state is large (fs/check-paths.ts).
      (await import('../../fs/check-paths.js')).startCheckWorkersFor(ctx.stateDbOf(cmd));
      const { verifyImage } = await import('../../txn/verify.js');
      const progress = report.progress('verify', 0);
      const onPath = (): void => progress.tick();
      // The state's quick_check runs once the file records are with the workers; a damaged state is verified again from its backup.
      const opened = await ctx.readImageUnchecked(cmd);
      let result;
      try {
        result = await verifyImage(opened.image, names, { onPath, stateCheck: opened.check });
      } catch (err) {
        if (!opened.foundDamaged(err)) throw err;
        result = await verifyImage(await ctx.readImage(cmd), names, { onPath });
      }
      progress.done();
      report.result(result, (r) =>
        [
          ...r.problems.map((p) => (p.path ? `${p.package}: /${p.path}: ${p.problem}` : p.package ? `${p.package}: ${p.problem}` : p.problem)),
          ...r.changedConfig.map((p) => `${p.package}: /${p.path}: config file changed locally (${p.problem})`),
          `${counted(r.packages, 'package')}, ${counted(r.paths, 'path')}${r.absentByFacet ? ` (${r.absentByFacet} more left out by the image's facets)` : ''}: ${r.problems.length ? counted(r.problems.length, 'problem') : 'ok'}`,
        ].join('\n'),
      );
      if (result.problems.length) process.exitCode = 1;
    });
}
