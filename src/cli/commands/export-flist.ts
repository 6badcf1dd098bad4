/** `zpkg export-flist NAME[=VERSION] [--repo URL] --store URL... -o FILE.fl`: a published or installed package as an rfs flist. */
import type { Command } from 'commander';
import { counted, formatBytes } from '../../report/table.js';
import type { Context } from '../context.js';

interface ExportFlistOpts {
  repo?: string;
  store: string[];
  output: string;
  stripPassword?: boolean;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function register(program: Command, ctx: Context): void {
  program
    .command('export-flist')
    .description('write a package as an rfs flist: its tree as an .fl, its contents as blocks in stores (published with --repo, else installed in --root)')
    .argument('<package>', 'NAME or NAME=VERSION')
    .option('--repo <url>', 'the repository that publishes the package (without it: the package installed in --root)')
    .requiredOption('--store <url>', 'where the blocks go, and the route the flist names: [XX-YY=]dir:///…, s3://KEY:SECRET@HOST:PORT/BUCKET, zdb://HOST:PORT/NAMESPACE (repeatable)', collect)
    .requiredOption('-o, --output <file>', 'the .fl to write')
    .option('--no-strip-password', "keep store passwords in the flist's routes (rfs strips them by default)")
    .action(async (spec: string, opts: ExportFlistOpts, cmd: Command) => {
      const report = ctx.report(cmd);
      const { exportFlist } = await import('../../flist/export.js');
      const { installedPackage, publishedPackage } = await import('../../flist/source.js');
      const root = ctx.globals(cmd).root;
      const source = opts.repo ? await publishedPackage(opts.repo, spec, root) : installedPackage(root, spec);
      try {
        const result = await exportFlist(source, { stores: opts.store, output: opts.output, keepPasswords: opts.stripPassword === false, report });
        report.result(
          result,
          (r) =>
            `${r.name} ${r.version} → ${r.output}: ${counted(r.inodes, 'inode')}, ${counted(r.files, 'file')}, ${counted(r.blocks, 'block')} (${r.blocksWritten} stored now, ${formatBytes(r.bytesWritten)}; ${r.blocks - r.blocksWritten} already in the stores)\n` +
            r.routes.map((x) => `route ${x.start.toString(16).padStart(2, '0')}-${x.end.toString(16).padStart(2, '0')} ${x.url}`).join('\n'),
        );
      } finally {
        await source.close();
      }
    });
}
