/**
 * GETs through Node's own `http`/`https` with a keep-alive agent: the
 * transport of a repository's direct GETs (HttpBackend). undici costs a
 * command ~120 ms of CPU to load here before its first request can leave —
 * the whole of a fresh install's first round trip on a 50 ms link — where
 * `node:http` is part of Node. undici stays for requests through a proxy
 * (CONNECT tunnels, NO_PROXY) and for the depot's requests with a body.
 *
 * Idle kept-alive sockets do not hold the process open (Node unrefs them).
 */
import type { Agent, IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** What a GET answered: the subset of undici's ResponseData the backend reads. */
export interface Answer {
  statusCode: number;
  headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>;
  body: AnswerBody;
}

export interface AnswerBody extends AsyncIterable<unknown> {
  readonly destroyed: boolean;
  destroy(): void;
  /** Reads the rest of the body and drops it. */
  dump(): Promise<void>;
  text(): Promise<string>;
}

export class NodeHttp {
  private agent: Agent | undefined;

  constructor(
    private readonly secure: boolean,
    private readonly connections: number,
    private readonly timeoutMs: number,
  ) {}

  /** Rejects (a plain Error: the caller decides what is transient) when the connection fails or stays silent for `timeoutMs`. */
  async get(url: string, headers: Record<string, string>): Promise<Answer> {
    const mod = this.secure ? await import('node:https') : await import('node:http');
    this.agent ??= new mod.Agent({ keepAlive: true, maxSockets: this.connections });
    return new Promise<Answer>((resolve, reject) => {
      const req = mod.get(url, { headers, agent: this.agent }, (res) => resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: bodyOf(res) }));
      // Idle time of the socket, headers and body alike (undici's headersTimeout and bodyTimeout).
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer for ${this.timeoutMs} ms`)));
      req.on('error', reject);
    });
  }

  close(): void {
    this.agent?.destroy();
  }
}

function bodyOf(res: IncomingMessage): AnswerBody {
  return {
    get destroyed() {
      return res.destroyed;
    },
    destroy: () => {
      res.destroy();
    },
    dump: () =>
      new Promise<void>((resolve) => {
        // Complete is not enough: bytes received but not read keep the socket from going back to the pool.
        if (res.readableEnded || res.destroyed) return resolve();
        res.once('end', resolve).once('close', resolve).once('error', () => resolve());
        res.resume();
      }),
    text: async () => {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    [Symbol.asyncIterator]: () => res[Symbol.asyncIterator](),
  };
}
