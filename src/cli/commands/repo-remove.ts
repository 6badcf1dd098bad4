/** `zpkg repo remove DIR NAME@VERSION` */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import type { Context } from '../context.js';
import { signerFrom, withSigningOptions, type SigningOpts } from '../signing.js';

export function register(repo: Command, ctx: Context): void {
  withSigningOptions(repo
    .command('remove')
    .description('remove a package version from a repository (its blobs stay until `repo gc`)')
    .argument('<dir>', 'repository directory')
    .argument('<name@version>', 'package and version to remove (NAME@VERSION/ARCH for one build of several)'))
    .action(async (dir: string, spec: string, opts: SigningOpts, cmd: Command) => {
      const { openRepoWriter } = await import('../../repo/open.js');
      const { removeFromRepo } = await import('../../repo/manage.js');
      const { parseEntryKey } = await import('../../core/catalog.js');
      const at = spec.indexOf('@');
      if (at <= 0 || at === spec.length - 1) throw new ZpkgError('E_USAGE', `\`${spec}\` is not NAME@VERSION or NAME@VERSION/ARCH`);
      const k = parseEntryKey(spec);
      const entry = await removeFromRepo(openRepoWriter(dir), k.name, k.version, await signerFrom(opts), spec.includes('/', at) ? k.arch : undefined);
      ctx.report(cmd).result({ removed: { name: entry.name, version: entry.version, arch: entry.arch } }, (r) => `removed ${r.removed.name} ${r.removed.version}${r.removed.arch === 'all' ? '' : ` (${r.removed.arch})`}`);
    });
}
