/**
 * The direct GET transport (src/repo/http-node.ts) against a real HTTP server
 * on loopback: answers are read, dumped or iterated and the connection goes
 * back to the keep-alive pool each way; the pool never opens more connections
 * than it was given; a body cut short fails its reader; a silent server fails
 * the request after the timeout.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeHttp } from '../src/repo/http-node.js';

let server: Server | undefined;
const open = new Set<Socket>();

async function serve(handler: Parameters<typeof createServer>[0]): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  server = createServer(handler);
  server.on('connection', (s) => {
    connections += 1;
    open.add(s);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/f`, connections: () => connections };
}

afterEach(async () => {
  for (const s of open) s.destroy();
  open.clear();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

describe('node:http GETs (http-node.ts)', () => {
  it('text, iteration and dump each give the connection back: ten of each over one connection', async () => {
    const s = await serve((_req, res) => {
      res.setHeader('content-length', 5);
      res.end('hello');
    });
    const h = new NodeHttp(false, 2, 5000);
    try {
      for (let i = 0; i < 10; i++) expect(await (await h.get(s.url, {})).body.text()).toBe('hello');
      for (let i = 0; i < 10; i++) {
        const chunks: Buffer[] = [];
        for await (const c of (await h.get(s.url, {})).body) chunks.push(c as Buffer);
        expect(Buffer.concat(chunks).toString()).toBe('hello');
      }
      for (let i = 0; i < 10; i++) await (await h.get(s.url, {})).body.dump();
      expect(s.connections()).toBe(1);
    } finally {
      h.close();
    }
  });

  it('twenty requests at once use no more connections than the pool has', async () => {
    const s = await serve((_req, res) => setTimeout(() => res.end('x'), 5));
    const h = new NodeHttp(false, 3, 5000);
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, async () => (await h.get(s.url, {})).body.text()));
      expect(answers).toEqual(Array(20).fill('x'));
      expect(s.connections()).toBeLessThanOrEqual(3);
    } finally {
      h.close();
    }
  });

  it('sends the headers it is given and hands back the status and headers', async () => {
    const s = await serve((req, res) => {
      res.statusCode = req.headers.range === 'bytes=1-2' ? 206 : 200;
      res.setHeader('content-range', 'bytes 1-2/5');
      res.end('el');
    });
    const h = new NodeHttp(false, 1, 5000);
    try {
      const a = await h.get(s.url, { range: 'bytes=1-2' });
      expect(a.statusCode).toBe(206);
      expect(a.headers['content-range']).toBe('bytes 1-2/5');
      expect(await a.body.text()).toBe('el');
    } finally {
      h.close();
    }
  });

  it('a body cut short fails whoever reads it', async () => {
    const s = await serve((req, res) => {
      res.setHeader('content-length', 100);
      res.write('only part');
      setTimeout(() => req.socket.destroy(), 20);
    });
    const h = new NodeHttp(false, 1, 5000);
    try {
      await expect((await h.get(s.url, {})).body.text()).rejects.toThrow();
    } finally {
      h.close();
    }
  });

  it('a server that never answers fails the request after the timeout', async () => {
    const s = await serve(() => undefined);
    const h = new NodeHttp(false, 1, 200);
    try {
      await expect(h.get(s.url, {})).rejects.toThrow(/no answer for 200 ms/);
    } finally {
      h.close();
    }
  });
});
