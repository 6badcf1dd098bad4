/** `zpkg repo copy SRC DST [NAME[@VERSION]...]`: copy packages between repositories, only missing blobs transferred. */
import type { Command } from 'commander';
import { counted, formatBytes } from '../../report/table.js';
import type { Context } from '../context.js';
import { signerFrom, withSigningOptions, type SigningOpts } from '../signing.js';

export function register(repo: Command, ctx: Context): void {
  withSigningOptions(repo.command('copy'))
    .description('copy packages (all, or NAME / NAME@VERSION) from one repository into another; only blobs the destination lacks are transferred')
    .argument('<src>', 'repository to copy from (directory, archive file, http(s):// or s3://)')
    .argument('<dst>', 'repository to copy into (directory, s3:// or a depot http(s):// with --token)')
    .argument('[packages...]', 'NAME or NAME@VERSION; every package when none')
    .option('--replace', 'overwrite a package of the same name and version with other content')
    .option('--with-deps', 'also copy the versions the named packages need (depends, transitively) that the destination lacks, so each installs from it alone')
    .option('--token <token>', 'bearer token when DST is a depot (default: $ZPKG_TOKEN)')
    .action(async (src: string, dst: string, specs: string[], opts: SigningOpts & { replace?: boolean; withDeps?: boolean; token?: string }, cmd: Command) => {
      const { openRepoReader, openRepoWriter } = await import('../../repo/open.js');
      const { copyPackages } = await import('../../repo/copy.js');
      const report = ctx.report(cmd);
      const progress = report.progress('copy', 0);
      const r = await copyPackages(openRepoReader(src), openRepoWriter(dst, { token: opts.token }), specs, { replace: opts.replace, withDeps: opts.withDeps, signer: await signerFrom(opts), onBlob: (n) => progress.tick(1, n) });
      progress.done(`${counted(r.blobsCopied, 'blob')} copied, ${r.blobsPresent} already there`);
      report.result(r, (x) => {
        const added = x.packages.filter((p) => p.status !== 'unchanged').length;
        const deps = x.packages.filter((p) => p.dependency).map((p) => `${p.name} ${p.version}${p.arch ? ` (${p.arch})` : ''}`);
        const withDeps = deps.length > 0 ? ` (with ${counted(deps.length, 'dependency', 'dependencies')}: ${deps.join(', ')})` : '';
        return `copied ${added} of ${counted(x.packages.length, 'package')}${withDeps} into ${dst} (repository version ${x.repoVersion}): ${counted(x.blobsCopied, 'blob')} transferred (${formatBytes(x.bytesCopied)}), ${x.blobsPresent} already there`;
      });
    });
}
