/** `zpkg serve REPO --listen HOST:PORT`: the depot — the repository over HTTP, publishes for token holders. */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import type { Context } from '../context.js';

interface ServeOpts {
  listen: string;
  token: string[];
  tokensFile?: string;
}

export function register(program: Command, ctx: Context): void {
  program
    .command('serve')
    .description('serve a repository directory over HTTP (static layout, caching headers, ranges) and accept publishes from token holders')
    .argument('<repo>', 'repository directory')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8080')
    .option('--token <token>', 'a bearer token allowed to publish (repeatable; also $ZPKG_DEPOT_TOKENS, comma-separated)', (v: string, acc: string[]) => [...acc, v], [])
    .option('--tokens-file <file>', 'a file with one allowed token per line')
    .action(async (repo: string, opts: ServeOpts, cmd: Command) => {
      const { readFileSync, existsSync } = await import('node:fs');
      const { resolve, join } = await import('node:path');
      const { createDepot } = await import('../../server/depot.js');
      const m = /^(.+):(\d+)$/.exec(opts.listen);
      if (!m || Number(m[2]) > 65535) throw new ZpkgError('E_USAGE', `--listen \`${opts.listen}\` must be HOST:PORT`);
      const dir = resolve(repo);
      if (!existsSync(join(dir, 'root.json'))) throw new ZpkgError('E_REPO_INVALID', `${dir} is not a zpkg repository (no root.json)`, { hint: `create one with \`zpkg repo create ${repo}\`` });
      const tokens = [...opts.token, ...(process.env.ZPKG_DEPOT_TOKENS ?? '').split(',')];
      if (opts.tokensFile) {
        let text: string;
        try {
          text = readFileSync(opts.tokensFile, 'utf8');
        } catch (err) {
          const missing = ['ENOENT', 'ENOTDIR', 'EISDIR'].includes((err as NodeJS.ErrnoException).code ?? '');
          throw new ZpkgError(missing ? 'E_NOT_FOUND' : 'E_IO', `--tokens-file ${opts.tokensFile}: ${(err as Error).message}`);
        }
        tokens.push(...text.split('\n'));
      }
      const allowed = tokens.map((t) => t.trim()).filter((t) => t.length > 0);
      const report = ctx.report(cmd);
      const { app } = createDepot({ dir, tokens: allowed });
      const address = await app.listen({ host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) });
      report.result({ listening: address, repository: dir, publishing: allowed.length > 0 }, (x) =>
        `serving ${x.repository} on ${x.listening}${x.publishing ? '' : ' (read-only: no tokens configured)'}`,
      );
      await new Promise<void>((done) => {
        const stop = (): void => {
          void app.close().then(() => done());
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
