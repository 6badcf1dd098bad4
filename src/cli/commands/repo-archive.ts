/** `zpkg repo archive SRC FILE [--expires D --key FILE...]`: a whole repository in one file, readable in place as a remote. */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import { counted, formatBytes } from '../../report/table.js';
import type { Context } from '../context.js';

interface ArchiveOpts {
  expires?: string;
  key?: string[];
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
/** Below this, a warning says when nodes will refuse the archive. */
const WARN_DAYS = 30;

export function register(repo: Command, ctx: Context): void {
  repo
    .command('archive')
    .description('write a repository into one archive file (for offline nodes: `zpkg remote add NAME FILE` reads it in place)')
    .argument('<src>', 'repository to archive (directory, http(s):// or s3://)')
    .argument('<file>', 'archive file to write (replaced atomically)')
    .option('--expires <duration>', "re-sign the archive's copy of the root metadata with the repository's keys, valid this long (400d, 90d, 12h); the source is not changed")
    .option('--key <file>', "the repository's private signing key for --expires (repeatable; default: the files in ZPKG_REPO_KEY)", collect)
    .action(async (src: string, file: string, opts: ArchiveOpts, cmd: Command) => {
      if (opts.key?.length && opts.expires === undefined) throw new ZpkgError('E_USAGE', '--key signs the archive\'s root metadata for --expires: give --expires DURATION too');
      const { signerFrom } = await import('../signing.js');
      const resign = opts.expires !== undefined ? await signerFrom({ key: opts.key, expires: opts.expires }) : undefined;
      const { resolve } = await import('node:path');
      const { openRepoReader } = await import('../../repo/open.js');
      const { archiveRepo } = await import('../../repo/archive.js');
      const report = ctx.report(cmd);
      const progress = report.progress('archive', 0);
      const r = await archiveRepo(openRepoReader(src), resolve(file), { onFile: (n) => progress.tick(1, n), ...(resign ? { resign } : {}) });
      progress.done(counted(r.files, 'file'));
      if (r.expires && Date.parse(r.expires) - Date.now() < WARN_DAYS * 86400_000) {
        report.warn(`the archive's root metadata expires at ${r.expires}: nodes refuse it after that; for media that must last longer, archive with --expires (e.g. --expires 400d)`);
      }
      report.result(r, (x) => `archived ${counted(x.packages, 'package')} (repository version ${x.repoVersion}${x.resigned ? ', re-signed for the archive' : ''}) into ${x.file}: ${counted(x.files, 'file')}, ${formatBytes(x.bytes)}; ${x.expires ? `expires ${x.expires}` : 'unsigned, never expires'}`);
    });
}
