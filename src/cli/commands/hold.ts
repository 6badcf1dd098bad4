/** `zpkg hold [SPEC...] [--reason TEXT]` / `zpkg unhold NAME...` */
import type { Command } from 'commander';
import { table } from '../../report/table.js';
import type { Context } from '../context.js';

interface HoldLine {
  name: string;
  version: string | null;
  held: boolean;
  range: string | null;
  reason: string | null;
}

function line(h: HoldLine): string {
  const what = h.range ? `only ${h.range}` : h.held ? `held at ${h.version}` : 'no longer held';
  return `${h.name}${h.version ? ` ${h.version}` : ''}: ${what}${h.reason ? ` — ${h.reason}` : ''}`;
}

export function register(program: Command, ctx: Context): void {
  program
    .command('hold')
    .description('keep installed packages at their version, or lock a package to a range ("NAME (< 2.0)"); with no argument, list the holds')
    .argument('[spec...]', 'NAME (keep the installed version) or "NAME (OP VERSION)" (only versions in the range land)')
    .option('--reason <text>', 'why: shown by `zpkg hold`, `info` and `why-not`')
    .action(async (specs: string[], opts: { reason?: string }, cmd: Command) => {
      const { hold, listHoldViews } = await import('../../txn/holds.js');
      const report = ctx.report(cmd);
      if (specs.length === 0) {
        const holds = listHoldViews(ctx.image(cmd));
        report.result({ holds }, (r) => (r.holds.length ? table(r.holds.map((h) => [h.name, h.version ?? '-', h.range ?? (h.held ? `= ${h.version}` : ''), h.reason ?? '']), ['NAME', 'INSTALLED', 'HOLD', 'REASON']) : 'no holds'));
        return;
      }
      // An exact hold needs the package installed; only a range (a lock before the first install) may start an image's state.
      const image = specs.some((s) => s.includes('(')) ? ctx.image(cmd, true) : ctx.installedImage(cmd, true);
      const packages = hold(image, specs, opts.reason);
      report.result({ packages }, (r) => r.packages.map(line).join('\n'));
    });
  program
    .command('unhold')
    .description('let held or locked packages move again')
    .argument('<name...>', 'held packages')
    .action(async (names: string[], _o, cmd: Command) => {
      const { unhold } = await import('../../txn/holds.js');
      const packages = unhold(ctx.installedImage(cmd, true), names);
      ctx.report(cmd).result({ packages }, (r) => r.packages.map(line).join('\n'));
    });
}
