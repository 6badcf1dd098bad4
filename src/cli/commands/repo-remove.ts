/** `zpkg repo remove DIR NAME@VERSION...` */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import type { Context } from '../context.js';
import { signerFrom, withSigningOptions, type SigningOpts } from '../signing.js';

export function register(repo: Command, ctx: Context): void {
  withSigningOptions(repo
    .command('remove')
    .description('remove package versions from a repository, all in one new repository version (their blobs stay until `repo gc`)')
    .argument('<dir>', 'repository directory')
    .argument('<name@version...>', 'package versions to remove (NAME@VERSION/ARCH for one build of several)')
    .option('-n, --dry-run', 'say which versions would be removed, and change nothing'))
    .action(async (dir: string, specs: string[], opts: SigningOpts & { dryRun?: boolean }, cmd: Command) => {
      const { openRepoWriter } = await import('../../repo/open.js');
      const { removeFromRepo } = await import('../../repo/manage.js');
      const { parseEntryKey } = await import('../../core/catalog.js');
      const wanted = specs.map((spec) => {
        const at = spec.indexOf('@');
        if (at <= 0 || at === spec.length - 1) throw new ZpkgError('E_USAGE', `\`${spec}\` is not NAME@VERSION or NAME@VERSION/ARCH`);
        const k = parseEntryKey(spec);
        return { name: k.name, version: k.version, ...(spec.includes('/', at) ? { arch: k.arch } : {}) };
      });
      const entries = await removeFromRepo(openRepoWriter(dir), wanted, opts.dryRun ? undefined : await signerFrom(opts), { dryRun: opts.dryRun });
      const removed = entries.map((e) => ({ name: e.name, version: e.version, arch: e.arch }));
      ctx.report(cmd).result({ dryRun: opts.dryRun === true, removed }, (r) =>
        r.removed.map((e) => `${r.dryRun ? 'would remove' : 'removed'} ${e.name} ${e.version}${e.arch === 'all' ? '' : ` (${e.arch})`}`).join('\n'),
      );
    });
}
