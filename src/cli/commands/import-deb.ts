/** `zpkg import-deb FILE.deb... --repo DIR`: turn Debian packages into zpkg packages and publish them together. */
import type { Command } from 'commander';
import type { DebPackage } from '../../build/deb/index.js';
import type { PublishResult } from '../../repo/publish.js';
import { formatBytes } from '../../report/table.js';
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
      const { packageFromDeb } = await import('../../build/deb/index.js');
      const { openRepoWriter } = await import('../../repo/open.js');
      const { publishPackages } = await import('../../repo/publish.js');
      const { rmSync } = await import('node:fs');
      const report = ctx.report(cmd);
      const built: DebPackage[] = [];
      try {
        // Every archive is read and checked before anything is published: one bad .deb publishes nothing.
        const progress = report.progress('convert', debs.length);
        for (const deb of debs) {
          const p = packageFromDeb(deb, { derive: opts.derive });
          built.push(p);
          for (const w of p.warnings) report.warn(w);
          progress.tick(1, p.contentBytes);
        }
        progress.done(`${built.length} packages`);
        let published: PublishResult | undefined;
        if (opts.repo) {
          const total = built.reduce((n, b) => n + b.blobs.size, 0);
          const pub = report.progress('publish', total);
          published = await publishPackages(openRepoWriter(opts.repo), built, { replace: opts.replace, level: Number(opts.level), signer: await signerFrom(opts), onBlob: (n) => pub.tick(1, n) });
          pub.done(`${published.blobsWritten} blobs written, ${published.blobsReused} already there`);
        }
        const doc = {
          packages: built.map((b, i) => ({
            name: b.manifest.name,
            version: b.manifest.version,
            manifest: b.digest,
            files: b.files,
            bytes: b.contentBytes,
            depends: b.manifest.depends,
            provides: b.manifest.provides,
            config: b.manifest.actions.filter((a) => a.type === 'file' && a.config).map((a) => (a as { path: string }).path),
            warnings: b.warnings,
            ...(published ? { status: published.packages[i]!.status } : {}),
          })),
          ...(published ? { publish: published } : {}),
        };
        report.result(doc, (d) =>
          d.packages
            .map((p) => `${p.name} ${p.version}: ${p.status ? `${p.status} in ${opts.repo}` : 'converted (not published: no --repo)'} — ${p.files} files, ${formatBytes(p.bytes)}, ${p.depends.length} depends, ${p.provides.length} provides`)
            .join('\n'),
        );
      } finally {
        for (const b of built) rmSync(b.workDir, { recursive: true, force: true });
      }
    });
}
