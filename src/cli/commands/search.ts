/** `zpkg search TERM [--file]`: names and summaries across remotes, or with --file the paths packages deliver. */
import type { Command } from 'commander';
import { compareVersions } from '../../core/version.js';
import { table } from '../../report/table.js';
import type { Context } from '../context.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('search')
    .description('find packages by name or summary; with --file, by a path they deliver')
    .argument('<term>', 'a substring (case-insensitive)')
    .option('--file', 'search the paths packages deliver instead')
    .action(async (term: string, opts: { file?: boolean }, cmd: Command) => {
      const { listRemotes, loadCandidates, loadFileIndex } = await import('../../image/remotes.js');
      const { listPackages } = await import('../../image/state.js');
      const image = ctx.image(cmd);
      const report = ctx.report(cmd);
      const needle = term.toLowerCase();
      const installed = new Map(listPackages(image.db).map((p) => [p.name, p.version]));
      if (opts.file) {
        const hits: { path: string; package: string; version: string; remote: string; installed: boolean }[] = [];
        for (const remote of listRemotes(image)) {
          for (const [key, paths] of await loadFileIndex(image, remote)) {
            const at = key.lastIndexOf('@');
            const [name, version] = [key.slice(0, at), key.slice(at + 1)];
            for (const path of paths) if (path.toLowerCase().includes(needle)) hits.push({ path, package: name, version, remote: remote.name, installed: installed.get(name) === version });
          }
        }
        hits.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
        report.result({ matches: hits }, (r) => (r.matches.length ? table(r.matches.map((h) => [h.path, `${h.package} ${h.version}`, h.installed ? '[installed]' : ''])) : `no package delivers a path matching \`${term}\``));
        return;
      }
      const newest = new Map<string, { name: string; version: string; summary: string; remote: string }>();
      for (const c of await loadCandidates(image)) {
        if (!c.name.toLowerCase().includes(needle) && !c.summary.toLowerCase().includes(needle)) continue;
        const have = newest.get(c.name);
        if (!have || compareVersions(c.version, have.version) > 0) newest.set(c.name, { name: c.name, version: c.version, summary: c.summary, remote: c.remote });
      }
      const matches = [...newest.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((m) => ({ ...m, installed: installed.get(m.name) ?? null }));
      report.result({ matches }, (r) => (r.matches.length ? table(r.matches.map((m) => [m.name, m.version, m.installed ? `[installed ${m.installed}]` : '', m.summary])) : `no package matches \`${term}\``));
    });
}
