/** `zpkg lint DIR|PACKAGE... [--repo R]...`: findings about a set of packages; exit 1 when any is an error. */
import type { Command } from 'commander';
import type { LintResult } from '../../build/lint/index.js';
import type { Context } from '../context.js';
import { counted } from '../../report/table.js';

function render(r: LintResult): string {
  const out: string[] = [];
  for (const f of r.findings) {
    out.push(`${f.severity} ${f.code} ${f.package}${f.path ? ` /${f.path}` : ''}: ${f.message}`);
    out.push(`  hint: ${f.hint}`);
  }
  out.push(`${counted(r.packages.length, 'package')}: ${counted(r.errors, 'error')}, ${counted(r.warnings, 'warning')}`);
  return out.join('\n');
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function register(program: Command, ctx: Context): void {
  program
    .command('lint')
    .description('check a set of packages: overlapping paths, unmet dependencies and libraries, modes, paths, licenses')
    .argument('<target...>', 'recipe directories, repository directories, or package names (looked up in --repo)')
    .option('--repo <dir>', 'a repository whose packages may satisfy relations (repeatable)', collect, [])
    .action(async (targets: string[], opts: { repo: string[] }, cmd: Command) => {
      const { lint } = await import('../../build/lint/index.js');
      const report = ctx.report(cmd);
      const progress = report.progress('lint', targets.length);
      const result = await lint({ targets, repos: opts.repo, onPackage: () => progress.tick() });
      progress.done(counted(result.packages.length, 'package'));
      report.result(result, render);
      if (result.errors > 0) process.exitCode = 1;
    });
}
