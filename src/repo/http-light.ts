/**
 * One GET through Node's own `http`/`https`, body read whole into memory: what
 * a `refresh` with nothing new needs (one conditional request for root.json,
 * answered 304). undici costs a command ~250 ms of CPU to load and start
 * (issue 15, measured with the bundle's node); `node:http` about a quarter of
 * that. Only direct requests come here: through a proxy, the backend keeps
 * undici's proxy agents (CONNECT tunnels, NO_PROXY), see http-backend.ts.
 *
 * No connection is kept (`agent: false`): the one request is usually all the
 * command sends, and a kept socket would hold the process open.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface LightResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * GETs `url`. Rejects (an Error, never a ZpkgError: the caller decides what is
 * transient) on a connection failure, on no headers or no body progress for
 * `timeoutMs`, and on a body shorter than its Content-Length.
 */
export async function lightGet(url: string, headers: Record<string, string>, timeoutMs: number): Promise<LightResponse> {
  const { get } = url.startsWith('https:') ? await import('node:https') : await import('node:http');
  return new Promise<LightResponse>((resolve, reject) => {
    const req = get(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        size += c.length;
      });
      res.on('error', reject);
      res.on('aborted', () => reject(new Error(`cut after ${size} bytes`)));
      res.on('end', () => {
        if (!res.complete) return reject(new Error(`cut after ${size} bytes`));
        const expected = Number(res.headers['content-length'] ?? NaN);
        if (Number.isFinite(expected) && size < expected) return reject(new Error(`cut after ${size} bytes`));
        resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks, size) });
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer for ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}
