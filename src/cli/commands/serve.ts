/** `zpkg serve REPO --listen HOST:PORT`: the depot — the repository over HTTP, its catalogue at `/`, publishes for token holders. */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import type { Context } from '../context.js';

interface ServeOpts {
  listen: string;
  token: string[];
  tokensFile?: string;
  site: boolean;
  siteDir?: string;
  baseUrl?: string;
  title?: string;
}

/** How long a stop waits for responses under way (a pack downloading) before it cuts them; a client resumes. */
const STOP_GRACE_MS = 5_000;

export function register(program: Command, ctx: Context): void {
  program
    .command('serve')
    .description('serve a repository directory over HTTP (static layout, caching headers, ranges) and accept publishes from token holders')
    .argument('<repo>', 'repository directory')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8080')
    .option('--token <token>', 'a bearer token allowed to publish (repeatable; also $ZPKG_DEPOT_TOKENS, comma-separated)', (v: string, acc: string[]) => [...acc, v], [])
    .option('--tokens-file <file>', 'a file with one allowed token per line')
    .option('--no-site', 'serve only the repository, not its catalogue pages at /')
    .option('--site-dir <dir>', 'where the catalogue pages are rendered (default: a temporary directory removed at exit)')
    .option('--base-url <url>', "the repository's public URL, for the catalogue's `remote add` line")
    .option('--title <text>', 'the catalogue title')
    .action(async (repo: string, opts: ServeOpts, cmd: Command) => {
      const { readFileSync, existsSync } = await import('node:fs');
      const { resolve, join } = await import('node:path');
      const { createDepot } = await import('../../server/depot.js');
      if (opts.baseUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(opts.baseUrl)) throw new ZpkgError('E_USAGE', `--base-url \`${opts.baseUrl}\` must be an http(s) URL`);
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
      let site: import('../../server/site.js').SiteService | undefined;
      let tempSite: string | undefined;
      if (opts.site) {
        const { SiteService } = await import('../../server/site.js');
        const { mkdtempSync } = await import('node:fs');
        const { tmpdir } = await import('node:os');
        const siteRoot = opts.siteDir ? resolve(opts.siteDir) : (tempSite = mkdtempSync(join(tmpdir(), 'zpkg-site-')));
        site = new SiteService({ repoDir: dir, siteRoot, ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}), ...(opts.title ? { title: opts.title } : {}) });
        site.onRender((e) => (e.ok ? report.info(`catalogue rendered: root metadata version ${e.rootVersion} (${e.seconds?.toFixed(2)} s)`) : report.warn(`the catalogue cannot be rendered: ${e.message}`)));
      }
      const { app } = createDepot({ dir, tokens: allowed, ...(site ? { site } : {}) });
      const { trackConnections } = await import('../../server/connections.js');
      const connections = trackConnections(app.server);
      const address = await app.listen({ host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) });
      report.result({ listening: address, repository: dir, publishing: allowed.length > 0, site: site !== undefined }, (x) =>
        `serving ${x.repository} on ${x.listening}${x.publishing ? '' : ' (read-only: no tokens configured)'}${x.site ? `; its catalogue at ${x.listening}/` : ''}`,
      );
      await new Promise<void>((done) => {
        const stop = (): void => {
          connections.drain(STOP_GRACE_MS);
          void app.close().then(async () => {
            if (tempSite) await (await import('node:fs/promises')).rm(tempSite, { recursive: true, force: true });
            done();
          });
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
