/**
 * Publishing to a depot (`zpkg serve`) over HTTP: the RepoWriter interface
 * mapped onto the depot's API (server/depot.ts) with a bearer token. Reads are
 * the plain static layout, as from any web server; the depot verifies every
 * upload and commits `root.json` only under the lease this writer holds.
 */
import { readFileSync } from 'node:fs';
import { ZpkgError, type ErrorCode } from '../core/errors.js';
import { v } from '../core/shape.js';
import type { RepoWriter } from './backend.js';
import { HttpBackend, type HttpOptions } from './http-backend.js';

/** What a depot answers (server/depot.ts): its errors, its listings, its leases. Anything else is not a depot speaking. */
const bounded = (max: number) => v.pipe(v.string(), v.maxLength(max));
/** A depot's answers are small JSON documents: more than this is not one. */
const MAX_ANSWER = 1 << 20;
const ERROR_BODY = v.object({ error: v.object({ code: v.pipe(v.string(), v.regex(/^E_[A-Z0-9_]{1,48}$/)), message: bounded(4096), hint: v.optional(v.nullable(bounded(4096))) }) });
const LIST_BODY = v.object({ paths: v.array(bounded(4096)) });
/** `idleMs`: how long the depot keeps a silent lease (a depot from before renewal says nothing: 60 s). */
const LEASE_BODY = v.object({
  lease: v.pipe(bounded(200), v.regex(/^[\x21-\x7e]+$/)),
  idleMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(300), v.maxValue(24 * 3600 * 1000)), 60_000),
});
/** Renewals per idle period: two may be lost, or late, before the lease lapses. */
const RENEWALS_PER_IDLE = 3;

async function answerText(body: AsyncIterable<Uint8Array> & { destroy(): unknown }, what: string): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    n += c.length;
    if (n > MAX_ANSWER) {
      body.destroy();
      throw new ZpkgError('E_REMOTE_UNREACHABLE', `${what}: the answer is larger than ${MAX_ANSWER} bytes, which no depot sends`);
    }
    chunks.push(Buffer.from(c));
  }
  return Buffer.concat(chunks).toString('utf8');
}

export class DepotWriter extends HttpBackend implements RepoWriter {
  private lease: string | undefined;
  /** Set when the depot said the lease lapsed: nothing more is written under it. */
  private lapsed: ZpkgError | undefined;

  constructor(url: string, private readonly token: string, options: HttpOptions = {}) {
    super(url, options);
  }

  protected override headers(): Record<string, string> {
    return { ...super.headers(), authorization: `Bearer ${this.token}`, ...(this.lease ? { 'x-zpkg-lease': this.lease } : {}) };
  }

  private async call(method: 'POST' | 'PUT' | 'DELETE' | 'GET' | 'HEAD', path: string, body?: Uint8Array): Promise<{ status: number; json: any; headers: Record<string, unknown> }> {
    if (this.lapsed && (method === 'PUT' || method === 'DELETE')) throw this.lapsed;
    return this.retrying(`${method} ${this.url(path)}`, async () => {
      const res = await this.send(method, path, body ? { 'content-type': 'application/octet-stream' } : {}, body);
      const text = method === 'HEAD' ? (await res.body.dump(), '') : await answerText(res.body, `${this.location}: ${method} ${path}`);
      if (res.statusCode === 401) throw new ZpkgError('E_AUTH', `${this.location} refused the token: ${text}`, { hint: 'check --token / ZPKG_TOKEN against the depot\'s tokens' });
      let json: any;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      if (res.statusCode >= 400 && res.statusCode !== 404) {
        // The depot's own error passes through; a body of any other shape is shown, cut short, under a code of ours.
        const e = v.safeParse(ERROR_BODY, json);
        if (e.success) throw new ZpkgError(e.output.error.code as ErrorCode, `${this.location}: ${method} ${path} refused (HTTP ${res.statusCode}): ${e.output.error.message}`, { hint: e.output.error.hint ?? undefined });
        throw new ZpkgError('E_REMOTE_UNREACHABLE', `${this.location}: ${method} ${path} refused (HTTP ${res.statusCode}): ${text.slice(0, 300)}`);
      }
      return { status: res.statusCode, json, headers: res.headers };
    });
  }

  async size(path: string): Promise<number | undefined> {
    const r = await this.call('HEAD', path);
    return r.status === 404 ? undefined : Number(r.headers['content-length']);
  }

  async write(path: string, data: Uint8Array): Promise<void> {
    await this.call('PUT', path, data);
  }

  async writeFile(path: string, source: string): Promise<void> {
    // The depot checks an upload whole before storing it, so it is sent whole.
    await this.call('PUT', path, readFileSync(source));
  }

  async remove(path: string): Promise<void> {
    await this.call('DELETE', path);
  }

  async list(prefix: string): Promise<string[]> {
    const r = await this.call('GET', `_zpkg/list?prefix=${encodeURIComponent(prefix)}`);
    return this.shaped(LIST_BODY, r.json, 'GET _zpkg/list').paths;
  }

  async sync(): Promise<void> {
    // The depot makes uploads durable before it accepts root.json.
  }

  /**
   * Takes the depot's publish lease and renews it while held, so a publish
   * longer than the depot's idle period (a big pack over a slow link) keeps
   * it. A renewal the depot refuses (the lease lapsed: this process was
   * stalled, or the network was down for the whole period) stops every
   * later write with E_REPO_LOCKED; one that does not arrive is retried at
   * the next tick. A depot from before renewal answers 404 and keeps the
   * lease as it always did.
   */
  async lock(options: { noWait?: boolean; onWait?: () => void } = {}): Promise<() => Promise<void>> {
    void options;
    const r = await this.call('POST', '_zpkg/lock');
    const granted = this.shaped(LEASE_BODY, r.json, 'POST _zpkg/lock');
    const id = granted.lease;
    this.lease = id;
    this.lapsed = undefined;
    const renew = setInterval(() => void this.renew(id), granted.idleMs / RENEWALS_PER_IDLE);
    renew.unref();
    return async () => {
      clearInterval(renew);
      this.lease = undefined;
      this.lapsed = undefined;
      // A lease not given back lapses after the depot's idle period.
      await this.call('DELETE', `_zpkg/lock/${id}`).catch(() => undefined);
    };
  }

  private async renew(id: string): Promise<void> {
    try {
      await this.call('POST', `_zpkg/lock/${id}`);
    } catch (err) {
      if (this.lease === id && err instanceof ZpkgError && err.code === 'E_REPO_LOCKED') {
        this.lapsed ??= new ZpkgError('E_REPO_LOCKED', `${this.location}: the publish lease lapsed before this publish was committed; another publisher may hold the repository now`, { hint: 'nothing was committed: publish again' });
      }
    }
  }

  private shaped<S extends v.GenericSchema>(schema: S, json: unknown, call: string): v.InferOutput<S> {
    const r = v.safeParse(schema, json);
    if (r.success) return r.output;
    throw new ZpkgError('E_REMOTE_UNREACHABLE', `${this.location}: the answer to ${call} is not a depot's: ${v.summarize(r.issues).split('\n')[0]}`, { hint: 'is this URL a `zpkg serve` depot? nothing was published' });
  }
}
