/**
 * The `http(s)` backend: a repository served by any static web server, CDN or
 * the zpkg depot. One keep-alive connection pool per repository (Node's own
 * http when direct, http-node.ts; undici through a proxy and for uploads);
 * transient failures (connection errors, timeouts, 408/425/429/5xx, a body cut
 * short) are retried with exponential backoff, and a download cut short is
 * resumed with a `Range` request from the byte it reached. Content-addressed
 * files never change, so resuming them needs no validator; `root.json` is
 * read whole, conditionally (`If-None-Match` / `If-Modified-Since`).
 */
import { closeSync, existsSync, ftruncateSync, openSync, statSync } from 'node:fs';
import type { Agent, Dispatcher } from 'undici';
import { ZpkgError } from '../core/errors.js';
import { v } from '../core/shape.js';
import type { ByteRange, DownloadOptions, FreshRead, RangeReadOptions, RangeSink, RepoReader } from './backend.js';
import { isImmutablePath } from './layout.js';
import { NodeHttp, type Answer } from './http-node.js';
import { boundaryOf, ByteRangesReader, MAX_PART_HEADER, MultipartError } from './multipart.js';
import { writeDownloaded } from './local-write.js';
import { BoundedChunks, REPO_FILE_LIMIT, tooLarge } from './read-limit.js';
import { RangeCursor, rangeHeader, rangePastEnd, SinkFailure, stopIfAborted } from './ranges.js';
import { effectiveProxy, proxyLabel, type ProxySettings } from './proxy.js';

/** A stored validator (readFresh's `validator`, kept in the image's cache): the ETag and Last-Modified of the last full read. */
const VALIDATOR_SHAPE = v.object({ etag: v.optional(v.string()), lastModified: v.optional(v.string()) });

/** The stored validator's headers; a damaged one counts as none, so the file is read again whole. */
function validatorOf(text: string): v.InferOutput<typeof VALIDATOR_SHAPE> | undefined {
  try {
    const r = v.safeParse(VALIDATOR_SHAPE, JSON.parse(text));
    return r.success ? r.output : undefined;
  } catch {
    return undefined;
  }
}

export interface HttpOptions {
  /** Attempts after the first on a transient failure (default 4). */
  retries?: number;
  /** First backoff delay; doubles per attempt (default 100 ms). */
  backoffMs?: number;
  /** Parallel connections to the server (default 8). */
  connections?: number;
  /** Headers and idle-body timeout (default 30 s). */
  timeoutMs?: number;
  /** The image's configured proxies; the environment's HTTP(S)_PROXY / NO_PROXY override them (proxy.ts). */
  proxy?: ProxySettings;
}

const TRANSIENT_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);
/** Ranges asked for in one request: the Range header stays far below servers' header limits (nginx: 8 KiB). */
const MAX_RANGES = 128;

/** A failure worth another attempt. */
class Transient extends Error {}

/**
 * Where a GET's body goes: memory (BoundedChunks) or a local file, appended
 * across resumed attempts. `write` throws only ZpkgErrors (too large, a
 * failed write), which `get` passes out unretried.
 */
interface Sink {
  readonly size: number;
  write(chunk: Buffer): void;
  reset(): void;
  /** Throws when an answer of `length` more bytes would not fit (before any is read). */
  declared?(length: number): void;
}

class FileSink implements Sink {
  size: number;
  private readonly fd: number;
  /** `what` names the file for a refusal: the repository and its path. */
  constructor(private readonly dest: string, private readonly max: number, private readonly what: { location: string; path: string }, private readonly onBytes?: (n: number) => void) {
    // A partial file a previous attempt (or run) left is resumed: its path names immutable content.
    this.size = existsSync(dest) ? statSync(dest).size : 0;
    this.fd = openSync(dest, 'a');
  }
  declared(length: number): void {
    if (Number.isFinite(length) && this.size + length > this.max) throw tooLarge(this.what.location, this.what.path, this.max, this.size + length);
  }
  write(chunk: Buffer): void {
    if (this.size + chunk.length > this.max) throw tooLarge(this.what.location, this.what.path, this.max);
    writeDownloaded(this.fd, chunk, this.dest);
    this.size += chunk.length;
    this.onBytes?.(chunk.length);
  }
  reset(): void {
    ftruncateSync(this.fd, 0);
    this.size = 0;
  }
  close(): void {
    closeSync(this.fd);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class HttpBackend implements RepoReader {
  readonly location: string;
  protected readonly base: string;
  private agent: Dispatcher | undefined;
  /** The proxies this backend's requests go through (undefined: direct). */
  readonly proxy: ProxySettings | undefined;
  private undici: typeof import('undici') | undefined;
  /** Direct GETs (http-node.ts); undefined through a proxy. */
  private readonly direct: NodeHttp | undefined;
  private readonly connections: number;
  protected readonly retries: number;
  protected readonly backoffMs: number;
  protected readonly timeoutMs: number;
  /** Requests made, attempts included (for tests and benchmarks). */
  requests = 0;

  constructor(url: string, options: HttpOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ZpkgError('E_URL_INVALID', `repository URL \`${url}\` is not a valid URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ZpkgError('E_URL_INVALID', `repository URL \`${url}\`: not http(s)`);
    parsed.search = '';
    parsed.hash = '';
    this.base = parsed.href.endsWith('/') ? parsed.href : `${parsed.href}/`;
    this.location = url;
    this.retries = options.retries ?? 4;
    this.backoffMs = options.backoffMs ?? 100;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.connections = options.connections ?? 8;
    this.proxy = effectiveProxy(options.proxy);
    this.direct = this.proxy ? undefined : new NodeHttp(parsed.protocol === 'https:', this.connections, this.timeoutMs);
  }

  /** undici takes ~120 ms to load: only requests through a proxy and the depot's uploads pay it, once. */
  private async client(): Promise<{ agent: Dispatcher; request: typeof import('undici').request }> {
    this.undici ??= await import('undici');
    const options: Agent.Options = { connections: this.connections, keepAliveTimeout: 30_000, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs };
    // Through a proxy: undici's ProxyAgent per scheme (CONNECT for https, a forward request for http), NO_PROXY hosts direct.
    this.agent ??= this.proxy
      ? new this.undici.EnvHttpProxyAgent({ ...options, proxyTunnel: false, httpProxy: this.proxy.http ?? '', httpsProxy: this.proxy.https ?? this.proxy.http ?? '', noProxy: this.proxy.noProxy ?? '' })
      : new this.undici.Agent(options);
    return { agent: this.agent, request: this.undici.request };
  }

  protected url(path: string): string {
    if (path.startsWith('/') || path.split('/').includes('..')) {
      throw new ZpkgError('E_PATH_UNSAFE', `repository path \`${path}\` escapes the repository`);
    }
    const q = path.indexOf("?");
    const p = q < 0 ? path : path.slice(0, q);
    return this.base + p.split("/").map(encodeURIComponent).join("/") + (q < 0 ? "" : path.slice(q));
  }

  protected headers(): Record<string, string> {
    return { 'user-agent': 'zpkg' };
  }

  /** Runs `attempt` until it succeeds, fails for good, or the retries are spent. */
  protected async retrying<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    let last: unknown;
    for (let i = 0; i <= this.retries; i++) {
      if (i > 0) await sleep(this.backoffMs * 2 ** (i - 1));
      try {
        this.requests += 1;
        return await attempt();
      } catch (err) {
        if (err instanceof ZpkgError || err instanceof SinkFailure) throw err;
        last = err;
      }
    }
    const via = this.proxyFor();
    throw new ZpkgError('E_REMOTE_UNREACHABLE', `${what}${via ? ` through the proxy ${proxyLabel(via)}` : ''}: ${(last as Error).message} (after ${this.retries + 1} attempts)`, {
      hint: via ? 'check the proxy (HTTP(S)_PROXY, NO_PROXY, `proxy:` in etc/zpkg/zpkg.yaml) and the URL; transient failures were retried with backoff' : 'check the URL and the network; transient failures were retried with backoff',
      cause: last,
    });
  }

  /** The proxy a request to this repository goes through, if any (NO_PROXY aside: undici decides that per host). */
  private proxyFor(): string | undefined {
    if (!this.proxy) return undefined;
    return this.base.startsWith('https:') ? (this.proxy.https ?? this.proxy.http) : this.proxy.http;
  }

  private proxyAuthRequired(): ZpkgError {
    return new ZpkgError('E_AUTH', `${this.location}: the proxy ${proxyLabel(this.proxyFor() ?? '')} asks for credentials it was not given or refused (HTTP 407)`, {
      hint: 'give them in the proxy URL: http://USER:PASSWORD@HOST:PORT (HTTP(S)_PROXY or `proxy:` in etc/zpkg/zpkg.yaml)',
    });
  }

  /** One request; connection-level failures and transient statuses become Transient. */
  protected async send(method: Dispatcher.HttpMethod, path: string, headers: Record<string, string>, body?: Uint8Array | string): Promise<Dispatcher.ResponseData> {
    let res: Dispatcher.ResponseData;
    const { agent, request } = await this.client();
    try {
      res = await request(this.url(path), { dispatcher: agent, method, headers: { ...this.headers(), ...headers }, body });
    } catch (err) {
      if (err instanceof ZpkgError) throw err;
      // The proxy answered 407 (undici throws it, for a CONNECT and for a forwarded request): credentials, not a transient failure.
      if (/^Proxy (response|Authentication Required) \(407\)/.test((err as Error).message)) throw this.proxyAuthRequired();
      throw new Transient((err as Error).message);
    }
    if (res.statusCode === 407) {
      await res.body.dump();
      throw this.proxyAuthRequired();
    }
    if (TRANSIENT_STATUS.has(res.statusCode)) {
      await res.body.dump();
      throw new Transient(`HTTP ${res.statusCode}`);
    }
    return res;
  }

  /** A GET: through Node's http when direct (no undici to load), else `send`; the same failures become Transient. */
  private async sendGet(path: string, headers: Record<string, string>): Promise<Answer> {
    if (!this.direct) return this.send('GET', path, headers);
    let res: Answer;
    try {
      res = await this.direct.get(this.url(path), { ...this.headers(), ...headers });
    } catch (err) {
      if (err instanceof ZpkgError) throw err;
      throw new Transient((err as Error).message);
    }
    if (TRANSIENT_STATUS.has(res.statusCode)) {
      await res.body.dump();
      throw new Transient(`HTTP ${res.statusCode}`);
    }
    return res;
  }

  protected async fail(method: string, path: string, res: Answer): Promise<never> {
    const text = (await res.body.text().catch(() => '')).slice(0, 300);
    throw new ZpkgError(res.statusCode === 401 || res.statusCode === 403 ? 'E_AUTH' : 'E_REMOTE_UNREACHABLE', `${method} ${this.url(path)}: HTTP ${res.statusCode}${text ? ` — ${text}` : ''}`);
  }

  /**
   * GETs `path` into `sink`, resuming with `Range` after a cut. Returns
   * 'missing' for 404/410, 'unchanged' for 304, else the response validators.
   */
  private get(path: string, sink: Sink, conditional: Record<string, string> = {}): Promise<{ etag?: string; lastModified?: string } | 'missing' | 'unchanged'> {
    return this.retrying(`GET ${this.url(path)}`, async () => {
      // Only content-addressed files resume: the rest (root.json) may have changed between attempts.
      if (sink.size > 0 && !isImmutablePath(path)) sink.reset();
      const headers: Record<string, string> = { ...conditional };
      if (sink.size > 0) headers.range = `bytes=${sink.size}-`;
      const res = await this.sendGet(path, headers);
      if (res.statusCode === 404 || res.statusCode === 410) {
        await res.body.dump();
        return 'missing';
      }
      if (res.statusCode === 304) {
        await res.body.dump();
        return 'unchanged';
      }
      if (res.statusCode === 416 && sink.size > 0) {
        // The partial file is already whole (or longer than the file): start over.
        await res.body.dump();
        sink.reset();
        throw new Transient(`range not satisfiable, restarting`);
      }
      if (res.statusCode === 206) {
        const start = Number(/^bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''))?.[1]);
        if (start !== sink.size) {
          await res.body.dump();
          sink.reset();
          throw new Transient(`the server answered another range, restarting`);
        }
      } else if (res.statusCode === 200) {
        if (sink.size > 0) sink.reset();
      } else {
        await this.fail('GET', path, res);
      }
      const expected = Number(res.headers['content-length'] ?? NaN);
      if (sink.declared) {
        try {
          sink.declared(expected);
        } catch (err) {
          res.body.destroy();
          throw err;
        }
      }
      const before = sink.size;
      try {
        for await (const chunk of res.body) sink.write(chunk as Buffer);
      } catch (err) {
        // The sinks throw only ZpkgErrors (too large, a failed write): never a cut to resume.
        if (err instanceof ZpkgError) throw err;
        throw new Transient(`cut after ${sink.size} bytes (${(err as Error).message})`);
      }
      if (Number.isFinite(expected) && sink.size - before < expected) {
        throw new Transient(`cut after ${sink.size} bytes`);
      }
      const etag = res.headers.etag;
      const lastModified = res.headers['last-modified'];
      return { etag: typeof etag === 'string' ? etag : undefined, lastModified: typeof lastModified === 'string' ? lastModified : undefined };
    });
  }

  async read(path: string, max = REPO_FILE_LIMIT): Promise<Buffer | undefined> {
    const sink = new BoundedChunks(max, this.location, path);
    const r = await this.get(path, sink);
    if (r === 'missing') return undefined;
    return sink.bytes();
  }

  localPath(): string | undefined {
    return undefined;
  }

  async download(path: string, dest: string, options: DownloadOptions = {}): Promise<number | undefined> {
    const sink = new FileSink(dest, options.max ?? REPO_FILE_LIMIT, { location: this.location, path }, options.onBytes);
    try {
      const r = await this.get(path, sink);
      return r === 'missing' ? undefined : sink.size;
    } finally {
      sink.close();
    }
  }

  /**
   * Up to MAX_RANGES ranges per request. Whatever the server answers — the
   * ranges as multipart/byteranges, one merged range, or the whole file (a
   * server that ignores Range) — only the requested bytes reach the sink; an
   * answer cut short or missing some ranges is followed by a request for
   * what is left, from the byte reached.
   */
  async readRanges(path: string, ranges: readonly ByteRange[], sink: RangeSink, options: RangeReadOptions = {}): Promise<boolean> {
    const cursor = new RangeCursor(ranges, sink, options.skip);
    const signal = options.signal;
    try {
      while (!cursor.done) {
        stopIfAborted(signal);
        const batch = cursor.remaining().slice(0, MAX_RANGES);
        const found = await this.retrying(`GET ${this.url(path)} (${batch.length} range${batch.length === 1 ? '' : 's'})`, () => this.getRanges(path, batch, cursor, signal));
        if (!found) return false;
      }
    } catch (err) {
      throw SinkFailure.unwrap(err);
    }
    return true;
  }

  /** One request for `batch`; false when the file does not exist. A `signal` that fires ends the answer at once. */
  private async getRanges(path: string, batch: ByteRange[], cursor: RangeCursor, signal?: AbortSignal): Promise<boolean> {
    stopIfAborted(signal);
    const before = cursor.delivered;
    const last = batch[batch.length - 1]!;
    const end = last.start + last.length;
    const res = await this.sendGet(path, { range: rangeHeader(batch) });
    const onAbort = (): void => void res.body.destroy();
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.readRangeAnswer(path, res, batch, end, before, cursor, signal);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private async readRangeAnswer(path: string, res: Answer, batch: ByteRange[], end: number, before: number, cursor: RangeCursor, signal?: AbortSignal): Promise<boolean> {
    if (res.statusCode === 404 || res.statusCode === 410) {
      await res.body.dump();
      return false;
    }
    if (res.statusCode === 416) {
      await res.body.dump();
      throw rangePastEnd(this.url(path), `the server has no bytes ${batch[0]!.start}-${end - 1} (HTTP 416)`);
    }
    if (res.statusCode !== 200 && res.statusCode !== 206) await this.fail('GET', path, res);
    const boundary = res.statusCode === 206 ? boundaryOf(String(res.headers['content-type'] ?? '')) : undefined;
    let pos = 0;
    if (res.statusCode === 206 && boundary === undefined) {
      const m = /^bytes (\d+)-(\d+)\//.exec(String(res.headers['content-range'] ?? ''));
      if (!m) {
        await res.body.dump();
        throw new Transient('a 206 answer without a Content-Range');
      }
      pos = Number(m[1]);
    }
    const parts = boundary === undefined ? undefined : new ByteRangesReader(boundary, (at, data) => cursor.feed(at, data));
    // No answer to this request needs more than the file up to the batch's end and a header per part
    // (a chunk that starts within that may run past it: the whole file's answer stops in the chunk holding `end`).
    const most = end + (batch.length + 1) * MAX_PART_HEADER;
    let received = 0;
    try {
      for await (const chunk of res.body) {
        if (received > most) throw new ZpkgError('E_REMOTE_UNREACHABLE', `GET ${this.url(path)}: the answer to ${batch.length} range${batch.length === 1 ? '' : 's'} ending at byte ${end} runs past ${most} bytes, more than any answer to them holds`);
        received += (chunk as Buffer).length;
        if (parts) {
          parts.push(chunk as Buffer);
          // Every byte asked for is in: what follows (the closing delimiter) is not needed.
          if (cursor.next >= end) break;
        } else {
          cursor.feed(pos, chunk as Buffer);
          pos += (chunk as Buffer).length;
          // The whole file came (Range ignored): stop once the batch is in.
          if (pos >= end || cursor.next >= end) break;
        }
      }
    } catch (err) {
      if (err instanceof SinkFailure || err instanceof ZpkgError) throw err;
      stopIfAborted(signal);
      if (err instanceof MultipartError) throw new ZpkgError('E_REMOTE_UNREACHABLE', `GET ${this.url(path)}: a malformed multipart/byteranges answer: ${err.message}`);
      if (cursor.delivered > before) return true; // progress: the caller asks for the rest
      throw new Transient(`cut after ${cursor.delivered - before} bytes (${(err as Error).message})`);
    } finally {
      if (!res.body.destroyed) res.body.destroy();
    }
    if (cursor.delivered === before) throw new Transient('the answer held none of the bytes asked for');
    return true;
  }

  async readFresh(path: string, validator?: string, max = REPO_FILE_LIMIT): Promise<FreshRead> {
    const conditional: Record<string, string> = {};
    const known = validator === undefined ? undefined : validatorOf(validator);
    if (known?.etag) conditional['if-none-match'] = known.etag;
    if (known?.lastModified) conditional['if-modified-since'] = known.lastModified;
    const sink = new BoundedChunks(max, this.location, path);
    const r = await this.get(path, sink, conditional);
    if (r === 'missing') return { status: 'missing' };
    if (r === 'unchanged') return { status: 'unchanged' };
    const next = r.etag || r.lastModified ? JSON.stringify(r) : undefined;
    return { status: 'read', bytes: sink.bytes(), validator: next };
  }

  async close(): Promise<void> {
    this.direct?.close();
    await this.agent?.close();
  }
}

export { Transient };
