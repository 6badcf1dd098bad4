/**
 * The depot (`zpkg serve`): a repository directory over HTTP. Reading is the
 * static layout (static.ts), exactly what nginx or a CDN would serve, so the
 * depot is never required for reading. Publishing is the RepoWriter
 * interface over HTTP, for holders of a bearer token:
 *
 *   POST   /_zpkg/lock            wait for, then take, the publish lease → {"lease": ID, "idleMs": N}
 *   POST   /_zpkg/lock/ID         renew it (it lapses after N ms without one; 409 once lapsed)
 *   DELETE /_zpkg/lock/ID         give it back
 *   PUT    /PATH                  store a file; its digest (or, for root.json, its
 *                                 validity and version) is checked first
 *   DELETE /PATH                  remove a file (gc, remove); needs the lease
 *   GET    /_zpkg/list?prefix=P   repository paths under a prefix
 *   GET    /, /p/…, …             the catalogue's pages (site.ts), when the depot has one
 *
 * `root.json` is only accepted from the lease holder, after a syncfs of what
 * was uploaded, and replaced by atomic rename: concurrent publishers are
 * serialized by the lease and readers see the old repository or the new one.
 */
import { timingSafeEqual } from 'node:crypto';
import { rm } from 'node:fs/promises';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ZpkgError } from '../core/errors.js';
import { DirBackend } from '../repo/dir-backend.js';
import { parseRepoPath, ROOT_FILE } from '../repo/layout.js';
import { LeaseManager } from './lease.js';
import type { SiteService } from './site.js';
import { serveSite } from './site-static.js';
import { repoPathOf, serveFile } from './static.js';
import { checkUpload } from './uploads.js';

export interface DepotOptions {
  /** The repository directory served. */
  dir: string;
  /** Bearer tokens allowed to publish; none: publishing is refused. */
  tokens: readonly string[];
  /** Largest accepted upload (default 2 GiB). */
  bodyLimit?: number;
  leaseIdleMs?: number;
  /** The catalogue served at `/` (site.ts); without it only repository paths are served. */
  site?: SiteService;
}

export interface Depot {
  app: FastifyInstance;
  leases: LeaseManager;
}

function tokenOk(tokens: readonly string[], header: string | undefined): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!);
  return tokens.some((t) => {
    const want = Buffer.from(t);
    return want.length === given.length && timingSafeEqual(want, given);
  });
}

/** An error response: the body is what the client (repo/depot-writer.ts) turns back into a ZpkgError with the same code. */
function sendError(reply: FastifyReply, status: number, err: ZpkgError): FastifyReply {
  return reply.code(status).send({ error: { code: err.code, message: err.message, hint: err.hint } });
}

export function createDepot(options: DepotOptions): Depot {
  const repo = new DirBackend(options.dir);
  const leases = new LeaseManager(options.dir, options.leaseIdleMs);
  const app = Fastify({ logger: false, bodyLimit: options.bodyLimit ?? 2 * 1024 ** 3 });
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const authorized = (req: FastifyRequest, reply: FastifyReply): boolean => {
    if (tokenOk(options.tokens, req.headers.authorization)) return true;
    reply.header('www-authenticate', 'Bearer realm="zpkg depot"');
    sendError(reply, 401, new ZpkgError('E_AUTH', 'publishing needs a valid bearer token', { hint: 'pass --token TOKEN or set ZPKG_TOKEN' }));
    return false;
  };
  const lease = (req: FastifyRequest): string | undefined => {
    const v = req.headers['x-zpkg-lease'];
    return typeof v === 'string' ? v : undefined;
  };

  app.post('/_zpkg/lock', async (req, reply) => {
    if (!authorized(req, reply)) return reply;
    const abort = new AbortController();
    req.raw.on('close', () => abort.abort());
    const id = await leases.acquire(abort.signal);
    if (abort.signal.aborted && req.raw.destroyed) {
      leases.release(id);
      return reply;
    }
    return reply.send({ lease: id, idleMs: leases.idleMs });
  });
  app.post<{ Params: { id: string } }>('/_zpkg/lock/:id', async (req, reply) => {
    if (!authorized(req, reply)) return reply;
    if (leases.check(req.params.id)) return reply.send({ renewed: true });
    return sendError(reply, 409, new ZpkgError('E_REPO_LOCKED', `the publish lease ${req.params.id} is not in force: it was released, or lapsed after ${leases.idleMs / 1000} s without a word from its holder`));
  });
  app.delete<{ Params: { id: string } }>('/_zpkg/lock/:id', async (req, reply) => {
    if (!authorized(req, reply)) return reply;
    return reply.send({ released: leases.release(req.params.id) });
  });
  app.get<{ Querystring: { prefix?: string } }>('/_zpkg/list', async (req, reply) => {
    if (!authorized(req, reply)) return reply;
    const prefix = req.query.prefix ?? '';
    if (prefix.startsWith('/') || prefix.split('/').includes('..')) return sendError(reply, 400, new ZpkgError('E_PATH_UNSAFE', `prefix \`${prefix}\` escapes the repository`));
    return reply.send({ paths: (await repo.list(prefix)).filter((p) => repoPathOf(p) !== undefined) });
  });
  app.put('/*', async (req, reply) => {
    if (!authorized(req, reply)) return reply;
    const path = repoPathOf(req.url);
    if (!path) return sendError(reply, 400, new ZpkgError('E_INPUT_INVALID', `\`${req.url}\` is not a repository path`));
    // Format 2's files are served and removed (for `repo upgrade` through the depot), never uploaded.
    if (parseRepoPath(path)?.kind.startsWith('legacy')) return sendError(reply, 400, new ZpkgError('E_INPUT_INVALID', `\`${path}\` is not a path of a format 3 repository`));
    const body = req.body;
    if (!Buffer.isBuffer(body)) return sendError(reply, 400, new ZpkgError('E_INPUT_INVALID', 'the upload has no body'));
    const isRoot = path === ROOT_FILE;
    // An upload from the holder renews the lease once received; root.json needs it in force.
    const held = leases.check(lease(req));
    if (isRoot && !held) return sendError(reply, 409, new ZpkgError('E_REPO_LOCKED', 'root.json is only accepted from the holder of the publish lease (POST /_zpkg/lock)'));
    try {
      await checkUpload(options.dir, path, body);
    } catch (err) {
      if (err instanceof ZpkgError) return sendError(reply, 422, err);
      throw err;
    }
    if (isRoot) await repo.sync();
    await repo.write(path, body, { durable: isRoot });
    if (isRoot) options.site?.kick();
    return reply.code(201).send({ stored: path, bytes: body.length });
  });
  app.delete('/*', async (req, reply) => {
    if (!authorized(req, reply)) return reply;
    const path = repoPathOf(req.url);
    if (!path || path === ROOT_FILE) return sendError(reply, 400, new ZpkgError('E_INPUT_INVALID', `\`${req.url}\` cannot be removed`));
    if (!leases.check(lease(req))) return sendError(reply, 409, new ZpkgError('E_REPO_LOCKED', 'removing needs the publish lease'));
    await rm(`${options.dir}/${path}`, { force: true });
    return reply.send({ removed: path });
  });
  const site = options.site;
  app.get('/*', (req, reply) => (site && repoPathOf(req.url) === undefined ? serveSite(site, req, reply) : serveFile(options.dir, req, reply)));
  app.addHook('onClose', async () => {
    leases.close();
    await site?.close();
  });
  return { app, leases };
}
