/** `zpkg why-not NAME[=VERSION]`: which hold, exclude, arch or relation keeps a version out. */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import type { Context } from '../context.js';
import { parseSpec } from './spec.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('why-not')
    .description('explain which hold, exclude, architecture or relation keeps a package version out of the image')
    .argument('<spec>', 'NAME=VERSION (NAME alone: its newest version)')
    .action(async (spec: string, _o, cmd: Command) => {
      const atom = parseSpec(spec);
      if (atom.constraint && atom.constraint.op !== '=') throw new ZpkgError('E_USAGE', `why-not takes NAME or NAME=VERSION, not \`${spec}\``, { hint: 'e.g. `zpkg why-not foo=2.3.1`' });
      const { whyNot } = await import('../../txn/why-not.js');
      const r = await whyNot(ctx.image(cmd), atom.name, atom.constraint?.version);
      ctx.report(cmd).result(r, (w) => {
        const head = `${w.name} ${w.version}`;
        const installed = w.reasons.some((x) => x.kind === 'installed');
        const others = w.reasons.filter((x) => x.kind !== 'installed');
        if (others.length === 0) {
          if (installed) return `${head} is installed: nothing keeps it out${w.newer ? ` (update prefers ${w.newer})` : ''}`;
          return `nothing keeps ${head} out: \`zpkg install ${w.name}=${w.version}\` would install it${w.newer ? ` (update prefers ${w.newer})` : ''}`;
        }
        return [`${head} ${installed ? 'is installed, but would be kept out now' : 'is out'} because:`, ...others.map((x) => `  - ${x.text}`)].join('\n');
      });
    });
}
