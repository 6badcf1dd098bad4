/**
 * The signing options every publishing command shares: `--key FILE`
 * (repeatable; else the files of ZPKG_REPO_KEY, `:`-separated) and
 * `--expires DURATION`. Loaded lazily, so commands that do not publish never
 * read a key.
 */
import type { Command } from 'commander';
import type { Signer } from '../repo/trust/sign.js';

export interface SigningOpts {
  key?: string[];
  expires?: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function withSigningOptions(cmd: Command): Command {
  return cmd
    .option('--key <file>', "the repository's private signing key (repeatable; default: the files in ZPKG_REPO_KEY)", collect)
    .option('--expires <duration>', 'how long the new root metadata stays valid: 30d, 12h, 90m, 45s', '30d');
}

export async function signerFrom(opts: SigningOpts): Promise<Signer> {
  const { readSigningKey } = await import('../repo/trust/key-file.js');
  const { parseDuration } = await import('./duration.js');
  const env = process.env.ZPKG_REPO_KEY ?? '';
  const fromEnvironment = !opts.key?.length;
  const files = opts.key?.length ? opts.key : env.split(':').filter((f) => f !== '');
  return { keys: files.map(readSigningKey), fromEnvironment, expiresIn: parseDuration(opts.expires ?? '30d') };
}
