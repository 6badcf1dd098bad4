/** `zpkg repo site REPO --out DIR`: the repository's catalogue as static web pages. */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import type { Progress } from '../../report/report.js';
import { formatBytes } from '../../report/table.js';
import type { SiteResult } from '../../site/index.js';
import type { Context } from '../context.js';

interface SiteOpts {
  out: string;
  baseUrl?: string;
  title?: string;
  threads?: string;
}

function render(r: SiteResult): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  return [
    `site of ${r.repository} (root metadata version ${r.rootVersion}) in ${r.out}`,
    `  pages: ${n(r.pages.total)} — ${n(r.pages.packages)} packages, ${n(r.pages.virtual)} provided names, ${n(r.pages.sets)} release sets with ${n(r.pages.releases)} releases, ${n(r.pages.browse)} browse pages, index, repository, sets`,
    `  graphs: ${n(r.graphs)} dependency closures; search index: ${n(r.search.files)} files, ${formatBytes(r.search.bytes)} (${n(r.search.packages)} packages, ${n(r.search.paths)} paths)`,
    `  written: ${n(r.written.files)} files, ${formatBytes(r.written.bytes)} (${n(r.written.unchanged)} unchanged, ${n(r.written.removed)} removed)`,
    `  ${r.seconds.total.toFixed(2)} s (read ${r.seconds.read.toFixed(2)} s, model ${r.seconds.model.toFixed(2)} s, pages ${r.seconds.render.toFixed(2)} s)`,
  ].join('\n');
}

export function register(repo: Command, ctx: Context): void {
  repo
    .command('site')
    .description('render the repository as static web pages (index with search, a page per package, release set and the repository) for any web server or CDN')
    .argument('<repo>', 'repository directory or URL')
    .requiredOption('-o, --out <dir>', 'directory to write the pages to (new, empty, the repository directory, or a previous site)')
    .option('--base-url <url>', "the repository's public URL, shown in `remote add` and used for links to its files")
    .option('--title <text>', 'the site title')
    .option('--threads <n>', 'threads laying out graphs (default: up to 4 for a large repository)')
    .action(async (url: string, opts: SiteOpts, cmd: Command) => {
      if (opts.baseUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(opts.baseUrl)) throw new ZpkgError('E_USAGE', `--base-url \`${opts.baseUrl}\` must be an http(s) URL`);
      const threads = opts.threads === undefined ? undefined : Number(opts.threads);
      if (threads !== undefined && (!Number.isInteger(threads) || threads < 0 || threads > 64)) throw new ZpkgError('E_USAGE', `--threads \`${opts.threads}\` must be a whole number from 0 to 64`);
      const { resolve } = await import('node:path');
      const { openRepoReader } = await import('../../repo/open.js');
      const { renderSite } = await import('../../site/index.js');
      const report = ctx.report(cmd);
      const bars = new Map<string, { bar: Progress; done: number }>();
      const result = await renderSite(openRepoReader(url), {
        out: resolve(opts.out),
        ...(opts.baseUrl !== undefined ? { baseUrl: opts.baseUrl } : {}),
        ...(opts.title !== undefined ? { title: opts.title } : {}),
        ...(threads !== undefined ? { threads } : {}),
        onProgress: (phase, done, total) => {
          let p = bars.get(phase);
          if (!p) bars.set(phase, (p = { bar: report.progress(phase === 'packages' ? 'package pages' : phase, total), done: 0 }));
          p.bar.tick(done - p.done);
          p.done = done;
          if (done === total) p.bar.done();
        },
      });
      report.result(result, render);
    });
}
