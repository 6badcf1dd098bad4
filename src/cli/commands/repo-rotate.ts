/**
 * `zpkg repo rotate DIR --key CURRENT… --new-key NEW… [--threshold N]`: replace
 * the key set. Signed by the current keys and the new ones; clients that
 * trusted the current keys follow the change.
 */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import type { Context } from '../context.js';
import { signerFrom, withSigningOptions, type SigningOpts } from '../signing.js';
import { renderResign } from './repo-sign.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function register(repo: Command, ctx: Context): void {
  withSigningOptions(
    repo
      .command('rotate')
      .description("replace a repository's signing keys (--new-key: the whole new set, private key files) or its threshold")
      .argument('<dir>', 'repository directory')
      .option('--new-key <file>', 'a private key of the new set (repeatable; keep a current key by naming it here too)', collect)
      .option('--threshold <n>', 'how many keys must sign each root metadata from now on'),
  ).action(async (dir: string, opts: SigningOpts & { newKey?: string[]; threshold?: string }, cmd: Command) => {
    const { openRepoWriter } = await import('../../repo/open.js');
    const { readSigningKey } = await import('../../repo/trust/key-file.js');
    const { resignRepo } = await import('../../repo/trust/resign.js');
    const threshold = opts.threshold === undefined ? undefined : Number(opts.threshold);
    if (threshold !== undefined && !Number.isInteger(threshold)) throw new ZpkgError('E_USAGE', `--threshold \`${opts.threshold}\` is not an integer`);
    if (!opts.newKey?.length && threshold === undefined) throw new ZpkgError('E_USAGE', 'nothing to rotate: give --new-key FILE and/or --threshold N');
    const newKeys = (opts.newKey ?? []).map(readSigningKey);
    const signer = await signerFrom(opts);
    // The new keys sign too: a key joins the set only with its holder's signature.
    const r = await resignRepo(openRepoWriter(dir), { signer: { ...signer, keys: [...signer.keys, ...newKeys] }, newKeys, threshold });
    ctx.report(cmd).result(r, renderResign);
  });
}
