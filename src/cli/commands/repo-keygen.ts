/** `zpkg repo keygen FILE`: a new ed25519 signing key (FILE, mode 0600) and its public key (FILE.pub). */
import type { Command } from 'commander';
import type { Context } from '../context.js';

export function register(repo: Command, ctx: Context): void {
  repo
    .command('keygen')
    .description('make an ed25519 signing key: FILE (private, 0600) and FILE.pub (give it, or its fingerprint, to `remote add --key`)')
    .argument('<file>', 'where to write the private key (must not exist)')
    .action(async (file: string, _o, cmd: Command) => {
      const { writeKeyPair } = await import('../../repo/trust/key-file.js');
      const r = writeKeyPair(file);
      ctx.report(cmd).result(r, (x) => [`private key: ${x.privateKey} (keep it off the repository)`, `public key:  ${x.publicKeyFile}: ${x.publicKey}`, `fingerprint: ${x.keyid}`].join('\n'));
    });
}
