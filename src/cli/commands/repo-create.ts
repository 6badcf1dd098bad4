/** `zpkg repo create DIR [--key KEY…] [--threshold N]` */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import type { Context } from '../context.js';
import { signerFrom, withSigningOptions, type SigningOpts } from '../signing.js';

export function register(repo: Command, ctx: Context): void {
  withSigningOptions(
    repo
      .command('create')
      .description('create an empty repository in a directory, signed by the given keys (without any: unsigned)')
      .argument('<dir>', 'repository directory (created when missing; must be empty)')
      .option('--threshold <n>', 'how many of the keys must sign each root metadata', undefined),
  ).action(async (dir: string, opts: SigningOpts & { threshold?: string }, cmd: Command) => {
    const { openRepoWriter } = await import('../../repo/open.js');
    const { createRepo } = await import('../../repo/manage.js');
    const threshold = opts.threshold === undefined ? undefined : Number(opts.threshold);
    if (threshold !== undefined && !Number.isInteger(threshold)) throw new ZpkgError('E_USAGE', `--threshold \`${opts.threshold}\` is not an integer`);
    const signer = await signerFrom(opts);
    if (threshold !== undefined && signer.keys.length === 0) throw new ZpkgError('E_USAGE', '--threshold needs signing keys (--key)');
    const result = await createRepo(openRepoWriter(dir), { signer, threshold });
    ctx.report(cmd).result(result, (r) =>
      r.keys.length
        ? `created repository ${r.location}, signed by ${r.threshold} of ${r.keys.map((k) => k.slice(0, 16)).join(', ')} (root metadata expires ${r.expires})`
        : `created unsigned repository ${r.location} (images can add it only with --insecure; sign it with \`zpkg repo rotate ${r.location} --new-key KEY\`)`,
    );
  });
}
