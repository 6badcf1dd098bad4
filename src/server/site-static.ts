/**
 * Serving the catalogue's files (server/site.ts) beside the repository's:
 * any GET that is not a repository path is a site path. Hashed assets and
 * search shards never change (`immutable`); pages are revalidated by ETag.
 * Only names the site writes are served (no `..`, no dot files); the site's
 * Content-Security-Policy is sent as a header too.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IMMUTABLE } from './static.js';
import type { SiteService } from './site.js';

const SITE_FILE = /^(?:[A-Za-z0-9_@-][A-Za-z0-9._@-]*\/)?[A-Za-z0-9_@-][A-Za-z0-9._@-]*$/;
const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
};
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'";

const PENDING = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="2"><title>Rendering the catalogue</title></head>
<body><main><h1>The catalogue is being rendered</h1><p>This page reloads by itself in a moment. The repository's files are already served.</p></main></body></html>
`;

function sitePathOf(url: string): string | undefined {
  let p: string;
  try {
    p = decodeURIComponent(url.split('?')[0]!.split('#')[0]!).replace(/^\/+/, '');
  } catch {
    return undefined;
  }
  if (p === '' || p.endsWith('/')) p += 'index.html';
  return SITE_FILE.test(p) ? p : undefined;
}

function html(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').header('x-content-type-options', 'nosniff').type('text/html; charset=utf-8').send(body);
}

export async function serveSite(site: SiteService, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const state = site.state;
  if (state.kind === 'pending') return html(reply.header('retry-after', '2'), 503, PENDING);
  if (state.kind === 'error') return html(reply, 503, state.html);
  const path = sitePathOf(req.url);
  const notFound = (): FastifyReply => html(reply, 404, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title></head><body><main><h1>Not found</h1><p><a href="/">The catalogue</a></p></main></body></html>\n`);
  if (!path) return notFound();
  const abs = join(state.dir, path);
  let st;
  try {
    st = await stat(abs);
  } catch {
    return notFound();
  }
  if (!st.isFile()) return notFound();
  const etag = `"s${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
  reply.header('etag', etag);
  reply.header('cache-control', /^(assets|search)\//.test(path) ? IMMUTABLE : 'no-cache');
  reply.header('x-content-type-options', 'nosniff');
  reply.header('content-security-policy', CSP);
  reply.type(TYPES[path.slice(path.lastIndexOf('.') + 1)] ?? 'application/octet-stream');
  if (req.headers['if-none-match'] === etag) return reply.code(304).send();
  return reply.send(await readFile(abs));
}
