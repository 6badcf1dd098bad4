/**
 * A shaped link on loopback (this machine has no netem): a TCP proxy in front
 * of a server that delays every chunk by half the round trip in each
 * direction and paces each direction's bytes to the link's rate — a chunk
 * leaves when the previous ones have been sent at that rate, and arrives
 * `rtt / 2` later. One queue and one timer per direction keep the bytes in
 * order. Loopback only; for benchmarks, never for tests.
 */
import { createServer, connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface LinkShape {
  /** Round trip added, in milliseconds (each direction gets half). */
  rttMs: number;
  /** Rate of each direction, bits per second. */
  bitsPerSecond: number;
}

export interface ShapedLink {
  url: string;
  port: number;
  /** Bytes carried towards the client (responses), over every connection. */
  bytesDown(): number;
  stop(): Promise<void>;
}

/** One direction of one connection. */
class Direction {
  private readonly queue: { at: number; chunk: Buffer | null }[] = [];
  private free = 0;
  private timer: NodeJS.Timeout | undefined;
  carried = 0;

  constructor(private readonly out: Socket, private readonly shape: LinkShape) {}

  push(chunk: Buffer | null): void {
    const now = performance.now();
    const start = Math.max(now, this.free);
    this.free = start + (chunk ? (chunk.length * 8 * 1000) / this.shape.bitsPerSecond : 0);
    this.queue.push({ at: this.free + this.shape.rttMs / 2, chunk });
    if (!this.timer) this.arm();
  }

  private arm(): void {
    const head = this.queue[0];
    if (!head) {
      this.timer = undefined;
      return;
    }
    this.timer = setTimeout(() => this.drain(), Math.max(0, head.at - performance.now()));
  }

  private drain(): void {
    const now = performance.now();
    while (this.queue.length && this.queue[0]!.at <= now + 0.5) {
      const { chunk } = this.queue.shift()!;
      if (chunk === null) this.out.end();
      else if (!this.out.destroyed) {
        this.carried += chunk.length;
        this.out.write(chunk);
      }
    }
    this.arm();
  }
}

export async function startShapedLink(upstreamPort: number, shape: LinkShape): Promise<ShapedLink> {
  const sockets = new Set<Socket>();
  const downs: Direction[] = [];
  const server = createServer((client) => {
    const upstream = connect(upstreamPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const up = new Direction(upstream, shape);
    const down = new Direction(client, shape);
    downs.push(down);
    client.on('data', (c) => up.push(c));
    upstream.on('data', (c) => down.push(c));
    client.on('end', () => up.push(null));
    upstream.on('end', () => down.push(null));
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    bytesDown: () => downs.reduce((n, d) => n + d.carried, 0),
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
