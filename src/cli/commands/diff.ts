/**
 * `zpkg diff GEN_A [GEN_B]`: what changed between two generations of an image (GEN_B default: the installed set).
 * `zpkg diff --set NAME=V1 NAME=V2 [--repo URL]`: between two release sets, of a repository or of the image's remotes.
 */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import type { Context } from '../context.js';
import { parseGeneration as generation } from './generation-arg.js';
import { renderSetDiff } from './render-diff.js';


export function register(program: Command, ctx: Context): void {
  program
    .command('diff')
    .description('packages added, removed, up- and downgraded between two generations (see `zpkg history`), or with --set between two release sets, with file counts and bytes')
    .argument('[a]', 'generation (0: the empty image), or with --set the first release set NAME=VERSION')
    .argument('[b]', 'generation (default: the installed set), or with --set the second release set')
    .option('--set', 'compare two release sets (NAME=VERSION or NAME@VERSION) instead of generations')
    .option('--repo <url>', 'with --set: the repository holding the sets (default: the image\'s remotes)')
    .action(async (a: string | undefined, b: string | undefined, opts: { set?: boolean; repo?: string }, cmd: Command) => {
      const report = ctx.report(cmd);
      if (a === undefined) throw new ZpkgError('E_USAGE', opts.set ? 'name two release sets: zpkg diff --set NAME=V1 NAME=V2' : 'name a generation: zpkg diff GEN_A [GEN_B]');
      if (opts.set) {
        if (b === undefined) throw new ZpkgError('E_USAGE', 'name two release sets: zpkg diff --set NAME=V1 NAME=V2');
        let result;
        if (opts.repo) {
          const { openRepoReader } = await import('../../repo/open.js');
          const { diffRepoReleaseSets } = await import('../../repo/diff.js');
          result = await diffRepoReleaseSets(openRepoReader(opts.repo), a, b);
        } else {
          const { diffImageReleaseSets } = await import('../../txn/diff.js');
          result = await diffImageReleaseSets(ctx.image(cmd), a, b);
        }
        report.result(result, (r) => renderSetDiff(r, `release set ${r.from.name} ${r.from.version} → ${r.to.name} ${r.to.version}`));
        return;
      }
      if (opts.repo) throw new ZpkgError('E_USAGE', '--repo goes with --set');
      const { diffGenerations } = await import('../../txn/diff.js');
      const result = diffGenerations(ctx.image(cmd), generation(a), b === undefined ? 'current' : generation(b));
      report.result(result, (r) => renderSetDiff(r, `generation ${r.from} → ${r.to === 'current' ? 'the installed set' : `generation ${r.to}`}`));
    });
}
