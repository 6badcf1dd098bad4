/** `zpkg adopt NAME VERSION [PATH...]`: record what the image held before zpkg (its base) as an installed, essential package. */
import type { Command } from 'commander';
import type { AdoptResult } from '../../txn/adopt.js';
import { counted, formatBytes } from '../../report/table.js';
import type { Context } from '../context.js';

function render(r: AdoptResult): string {
  const lines = [
    `${r.dryRun ? 'would adopt' : 'adopted'} ${r.name} ${r.version}${r.replaced ? ` (replacing ${r.replaced})` : ''}: ${counted(r.files, 'file')} (${formatBytes(r.bytes)}), ${counted(r.links, 'link')}, ${counted(r.dirs, 'directory', 'directories')}${r.id ? `; transaction ${r.id}` : ''}`,
    `provides: ${r.provides.length ? r.provides.join(', ') : 'nothing the builder derives'}`,
  ];
  for (const s of r.skipped) lines.push(`skipped /${s.path}: ${s.why}`);
  return lines.join('\n');
}

export function register(program: Command, ctx: Context): void {
  program
    .command('adopt')
    .description('record the files already in the image (its base: what it held before zpkg) as an installed, essential package whose so:/file: provides the solver sees')
    .argument('<name>', 'the package name to record them under (e.g. zos-base)')
    .argument('<version>', 'its version (e.g. the base image release)')
    .argument('[path...]', 'image paths to adopt, each with everything below it (default: every unowned path of the image)')
    .option('-n, --dry-run', 'show what would be adopted and change nothing')
    .option('--no-wait', 'fail at once when another zpkg holds the image')
    .action(async (name: string, version: string, paths: string[], opts: { dryRun?: boolean; wait: boolean }, cmd: Command) => {
      const { adopt } = await import('../../txn/adopt.js');
      const { describeBase } = await import('../../build/base.js');
      const report = ctx.report(cmd);
      const image = ctx.image(cmd, !opts.dryRun);
      const result = await adopt(image, { name, version, paths, command: ctx.commandLine(), report, dryRun: opts.dryRun, noWait: !opts.wait, describe: describeBase });
      report.result(result, render);
    });
}
