/**
 * The depot's read side: the repository's static layout over HTTP, as any web
 * server would serve it, with the caching a CDN needs. Packs, catalogs and
 * file indexes never change: `immutable`, a year. `root.json` changes with
 * every publish, and records and deltas when `repo repack` moves blobs:
 * cacheable for a few seconds, always revalidated with their ETag. Byte ranges
 * (`Range: bytes=a-b`, `a-`, `-n`) are honoured, with `If-Range`: one range
 * is a plain `206`, several are one `206` of `multipart/byteranges` (how a
 * client fetches the frames of a pack it lacks in one request).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isImmutablePath, parseRepoPath, ROOT_FILE } from '../repo/layout.js';

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
  if (p === ROOT_FILE || /^keys\/[1-9][0-9]*\.json$/.test(p)) return p;
  // Format 2's files are served too, so `repo upgrade` can read them through the depot (uploads refuse them).
  return parseRepoPath(p) === undefined ? undefined : p;
}

/** Ranges a request may ask for at once (nginx asks no limit; this bounds the work one request makes). */
const MAX_RANGES = 1024;

/** The satisfiable ranges of a `Range` header, sorted and merged; 'invalid' when none is. */
function parseRanges(header: string, size: number): { start: number; end: number }[] | 'invalid' {
  const m = /^bytes=(.+)$/.exec(header.trim());
  if (!m) return 'invalid';
  const specs = m[1]!.split(',');
  if (specs.length > MAX_RANGES) return 'invalid';
  const out: { start: number; end: number }[] = [];
  for (const spec of specs) {
    const r = parseRange(spec.trim(), size);
    if (r !== 'invalid') out.push(r);
  }
  if (!out.length) return 'invalid';
  out.sort((a, b) => a.start - b.start);
  const merged = [out[0]!];
  for (const r of out.slice(1)) {
    const last = merged[merged.length - 1]!;
    if (r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
    else merged.push(r);
  }
  return merged;
}

function parseRange(spec: string, size: number): { start: number; end: number } | 'invalid' {
  const m = /^(\d*)-(\d*)$/.exec(spec);
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
  reply.header('cache-control', isImmutablePath(path) ? IMMUTABLE : ROOT_CACHE);
  reply.header('accept-ranges', 'bytes');
  const type = path.endsWith('.json') ? 'application/json' : path.endsWith('.pack') ? 'application/octet-stream' : 'application/zstd';
  reply.type(type);
  const inm = req.headers['if-none-match'];
  if (inm !== undefined && inm.split(',').some((t) => t.trim() === etag || t.trim() === '*')) return reply.code(304).send();
  const ims = req.headers['if-modified-since'];
  if (inm === undefined && ims !== undefined && Math.floor(st.mtimeMs / 1000) <= Math.floor(Date.parse(ims) / 1000)) return reply.code(304).send();
  const rangeHeader = req.headers.range;
  const ifRange = req.headers['if-range'];
  if (rangeHeader && (ifRange === undefined || ifRange === etag)) {
    const ranges = parseRanges(rangeHeader, st.size);
    if (ranges === 'invalid') return reply.code(416).header('content-range', `bytes */${st.size}`).send();
    if (ranges.length === 1) {
      const r = ranges[0]!;
      reply.code(206).header('content-range', `bytes ${r.start}-${r.end}/${st.size}`).header('content-length', r.end - r.start + 1);
      return reply.send(createReadStream(abs, { start: r.start, end: r.end }));
    }
    return sendParts(reply, abs, st.size, type, ranges);
  }
  reply.header('content-length', st.size);
  // Small files (root metadata, manifests, most blobs) go out as one buffer: cheaper than a stream.
  if (st.size <= SMALL_FILE) return reply.send(await readFile(abs));
  return reply.send(createReadStream(abs));
}

/** Several ranges as one `multipart/byteranges` body (RFC 9110 §14.6), each part streamed from the file. */
function sendParts(reply: FastifyReply, abs: string, size: number, type: string, ranges: { start: number; end: number }[]): FastifyReply {
  const boundary = randomBytes(12).toString('hex');
  const heads = ranges.map((r, i) => Buffer.from(`${i ? '\r\n' : ''}--${boundary}\r\nContent-Type: ${type}\r\nContent-Range: bytes ${r.start}-${r.end}/${size}\r\n\r\n`));
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const length = heads.reduce((n, h) => n + h.length, 0) + ranges.reduce((n, r) => n + r.end - r.start + 1, 0) + tail.length;
  async function* body(): AsyncGenerator<Buffer> {
    for (let i = 0; i < ranges.length; i++) {
      yield heads[i]!;
      for await (const chunk of createReadStream(abs, { start: ranges[i]!.start, end: ranges[i]!.end })) yield chunk as Buffer;
    }
    yield tail;
  }
  reply.code(206).header('content-type', `multipart/byteranges; boundary=${boundary}`).header('content-length', length);
  return reply.send(Readable.from(body()));
}
