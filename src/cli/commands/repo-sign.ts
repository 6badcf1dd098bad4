/** `zpkg repo sign DIR --key KEY`: re-sign the root metadata with a fresh expiry (same content, next version). */
import type { Command } from 'commander';
import type { ResignResult } from '../../repo/trust/resign.js';
import type { Context } from '../context.js';
import { signerFrom, withSigningOptions, type SigningOpts } from '../signing.js';

export const renderResign = (r: ResignResult): string =>
  `${r.location}: root metadata version ${r.version}${r.rotated ? `, key generation ${r.keyGeneration}` : ''}, signed by ${r.threshold} of ${r.keys.length} key${r.keys.length === 1 ? '' : 's'} (${r.keys.map((k) => k.slice(0, 16)).join(', ')}), expires ${r.expires}`;

export function register(repo: Command, ctx: Context): void {
  withSigningOptions(
    repo
      .command('sign')
      .description('re-sign the root metadata of a repository with a fresh expiry (run it before the old one expires)')
      .argument('<dir>', 'repository directory'),
  ).action(async (dir: string, opts: SigningOpts, cmd: Command) => {
    const { openRepoWriter } = await import('../../repo/open.js');
    const { resignRepo } = await import('../../repo/trust/resign.js');
    const r = await resignRepo(openRepoWriter(dir), { signer: await signerFrom(opts) });
    ctx.report(cmd).result(r, renderResign);
  });
}
