/** `zpkg import-deb FILE.deb... --repo DIR`: turn Debian packages into zpkg packages and publish them together. */
import type { Command } from 'commander';
import { counted, formatBytes } from '../../report/table.js';
import type { Context } from '../context.js';
import { signerFrom, withSigningOptions, type SigningOpts } from '../signing.js';

interface ImportDebOpts extends SigningOpts {
  repo?: string;
  replace?: boolean;
  level?: string;
  derive?: boolean;
}

export function register(program: Command, ctx: Context): void {
  withSigningOptions(program.command('import-deb'))
    .description('turn Debian packages (.deb) into zpkg packages and publish them; maintainer scripts are not run')
    .argument('<deb...>', '.deb files')
    .option('--repo <dir>', 'repository to publish into (without it: convert, check and summarize only)')
    .option('--replace', 'replace an already published package of the same name and version')
    .option('--level <n>', 'zstd compression level (1–19)', '3')
    .option('--no-derive', 'do not add so:/file: relations derived from the ELF objects')
    .action(async (debs: string[], opts: ImportDebOpts, cmd: Command) => {
      const { importDebs } = await import('../../build/deb/import.js');
      const { openRepoWriter } = await import('../../repo/open.js');
      const report = ctx.report(cmd);
      const result = await importDebs(debs, {
        repo: opts.repo ? openRepoWriter(opts.repo) : undefined,
        signer: opts.repo ? await signerFrom(opts) : undefined,
        replace: opts.replace,
        level: Number(opts.level),
        derive: opts.derive,
        report,
      });
      report.result(result, (d) =>
        d.packages
          .map((p) => `${p.name} ${p.version}: ${p.status ? `${p.status} in ${opts.repo}` : 'converted (not published: no --repo)'} — ${counted(p.files, 'file')}, ${formatBytes(p.bytes)}, ${p.depends.length} depends, ${p.provides.length} provides`)
          .join('\n'),
      );
    });
}
