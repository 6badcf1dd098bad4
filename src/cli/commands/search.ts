/** `zpkg search TERM [--file]`: names and summaries across remotes, or with --file the paths packages deliver. */
import type { Command } from 'commander';
import { table } from '../../report/table.js';
import type { Context } from '../context.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('search')
    .description('find packages by name or summary; with --file, by a path they deliver')
    .argument('<term>', 'a substring (case-insensitive); with --file, a leading / starts at a path component (/usr/bin/hello)')
    .option('--file', 'search the paths packages deliver instead')
    .action(async (term: string, opts: { file?: boolean }, cmd: Command) => {
      const { searchPackages, searchPaths } = await import('../../txn/query.js');
      const image = ctx.image(cmd);
      const report = ctx.report(cmd);
      if (opts.file) {
        report.result({ matches: await searchPaths(image, term) }, (r) =>
          r.matches.length ? table(r.matches.map((h) => [h.path, `${h.package} ${h.version}`, h.installed ? '[installed]' : ''])) : `no package delivers a path matching \`${term}\``,
        );
        return;
      }
      report.result({ matches: await searchPackages(image, term, (m) => report.warn(m)) }, (r) =>
        r.matches.length ? table(r.matches.map((m) => [m.name, m.version, m.installed === null ? '' : m.installed === m.version ? '[installed]' : `[installed ${m.installed}]`, m.summary])) : `no package matches \`${term}\``,
      );
    });
}
