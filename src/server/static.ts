/**
 * The depot's read side: the repository's static layout over HTTP, as any web
 * server would serve it, with the caching a CDN needs. Content-addressed files
 * never change: `immutable`, a year. `root.json` changes with every publish:
 * cacheable for a few seconds, always revalidated with its ETag. Single byte
 * ranges (`Range: bytes=a-b`, `a-`, `-n`) are honoured, with `If-Range`.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { digestFromPath, ROOT_FILE } from '../repo/layout.js';

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const ROOT_CACHE = 'public, max-age=5, must-revalidate';
const SMALL_FILE = 256 * 1024;

/** A repository-relative path from a request path, or undefined when it is not one a repository serves. */
export function repoPathOf(urlPath: string): string | undefined {
  let p: string;
  try {
    p = decodeURIComponent(urlPath.split('?')[0]!).replace(/^\/+/, '');
  } catch {
    return undefined;
  }
  if (p === ROOT_FILE) return p;
  if (!/^(blobs|manifests)\/[0-9a-f]{2}\/[0-9a-f]{64}\.(zst|json)$|^(catalog|files)\/[0-9a-f]{64}\.zst$/.test(p)) return undefined;
  return p;
}

function parseRange(header: string, size: number): { start: number; end: number } | 'invalid' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'invalid';
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || end < start) return 'invalid';
  return { start, end };
}

export async function serveFile(dir: string, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const path = repoPathOf(req.url);
  if (!path) return reply.code(404).send({ error: 'not found' });
  const abs = join(dir, path);
  let st;
  try {
    st = await stat(abs);
  } catch {
    return reply.code(404).send({ error: 'not found' });
  }
  if (!st.isFile()) return reply.code(404).send({ error: 'not found' });
  const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
  reply.header('etag', etag);
  reply.header('last-modified', st.mtime.toUTCString());
  reply.header('cache-control', digestFromPath(path) ? IMMUTABLE : ROOT_CACHE);
  reply.header('accept-ranges', 'bytes');
  reply.type(path.endsWith('.json') ? 'application/json' : 'application/zstd');
  const inm = req.headers['if-none-match'];
  if (inm !== undefined && inm.split(',').some((t) => t.trim() === etag || t.trim() === '*')) return reply.code(304).send();
  const ims = req.headers['if-modified-since'];
  if (inm === undefined && ims !== undefined && Math.floor(st.mtimeMs / 1000) <= Math.floor(Date.parse(ims) / 1000)) return reply.code(304).send();
  const rangeHeader = req.headers.range;
  const ifRange = req.headers['if-range'];
  if (rangeHeader && (ifRange === undefined || ifRange === etag)) {
    const r = parseRange(rangeHeader, st.size);
    if (r === 'invalid') return reply.code(416).header('content-range', `bytes */${st.size}`).send();
    if (r) {
      reply.code(206).header('content-range', `bytes ${r.start}-${r.end}/${st.size}`).header('content-length', r.end - r.start + 1);
      return reply.send(createReadStream(abs, { start: r.start, end: r.end }));
    }
  }
  reply.header('content-length', st.size);
  // Small files (root metadata, manifests, most blobs) go out as one buffer: cheaper than a stream.
  if (st.size <= SMALL_FILE) return reply.send(await readFile(abs));
  return reply.send(createReadStream(abs));
}
