/** `zpkg build SRC_DIR... [--repo DIR]`: pack each recipe's tree and publish it; without --repo, a checked dry build. */
import type { Command } from 'commander';
import type { BuildResult } from '../../build/build.js';
import type { PublishResult } from '../../repo/publish.js';
import { formatBytes } from '../../report/table.js';
import type { Context } from '../context.js';

interface BuildOpts {
  repo?: string;
  replace?: boolean;
  level?: string;
  token?: string;
}

export function register(program: Command, ctx: Context): void {
  program
    .command('build')
    .description('build packages from recipe directories (SRC_DIR/zpkg.yaml) and publish them to a repository')
    .argument('<src...>', 'package source directories')
    .option('--repo <url>', 'repository to publish into: a directory, s3://… or a depot http(s)://… (without it: build, check and print the manifests only)')
    .option('--token <token>', 'bearer token when --repo is a depot (default: $ZPKG_TOKEN)')
    .option('--replace', 'replace an already published package of the same name and version')
    .option('--level <n>', 'zstd compression level (1–19)', '3')
    .action(async (srcs: string[], opts: BuildOpts, cmd: Command) => {
      const { buildPackage } = await import('../../build/build.js');
      const { openRepoWriter } = await import('../../repo/open.js');
      const { publishPackages } = await import('../../repo/publish.js');
      const report = ctx.report(cmd);
      const built: BuildResult[] = [];
      for (const src of srcs) {
        const progress = report.progress(`pack ${src}`, 0);
        const b = buildPackage(src, (n) => progress.tick(1, n));
        progress.done(`${b.manifest.name} ${b.manifest.version}: ${b.files} files, ${formatBytes(b.contentBytes)}`);
        built.push(b);
      }
      let published: PublishResult | undefined;
      if (opts.repo) {
        const total = built.reduce((n, b) => n + b.blobs.size, 0);
        const progress = report.progress('publish', total);
        published = await publishPackages(openRepoWriter(opts.repo, { token: opts.token }), built, { replace: opts.replace, level: Number(opts.level), onBlob: (n) => progress.tick(1, n) });
        progress.done(`${published.blobsWritten} blobs written, ${published.blobsReused} already there`);
      }
      const doc = {
        packages: built.map((b) => ({ name: b.manifest.name, version: b.manifest.version, manifest: b.digest, files: b.files, bytes: b.contentBytes, ...(opts.repo ? {} : { actions: b.manifest.actions.length }) })),
        ...(published ? { publish: published } : {}),
      };
      report.result(doc, (d) =>
        d.packages
          .map((p, i) => {
            const status = published?.packages[i]?.status;
            return `${p.name} ${p.version}: ${status ? `${status} in ${opts.repo}` : 'built (not published: no --repo)'} — ${p.files} files, ${formatBytes(p.bytes)}, manifest ${p.manifest}`;
          })
          .join('\n'),
      );
    });
}
