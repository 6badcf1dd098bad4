/**
 * Publishing to a depot (`zpkg serve`) over HTTP: the RepoWriter interface
 * mapped onto the depot's API (server/depot.ts) with a bearer token. Reads are
 * the plain static layout, as from any web server; the depot verifies every
 * upload and commits `root.json` only under the lease this writer holds.
 */
import { readFileSync } from 'node:fs';
import { ZpkgError } from '../core/errors.js';
import type { RepoWriter } from './backend.js';
import { HttpBackend, type HttpOptions } from './http-backend.js';

export class DepotWriter extends HttpBackend implements RepoWriter {
  private lease: string | undefined;

  constructor(url: string, private readonly token: string, options: HttpOptions = {}) {
    super(url, options);
  }

  protected override headers(): Record<string, string> {
    return { ...super.headers(), authorization: `Bearer ${this.token}`, ...(this.lease ? { 'x-zpkg-lease': this.lease } : {}) };
  }

  private async call(method: 'POST' | 'PUT' | 'DELETE' | 'GET' | 'HEAD', path: string, body?: Uint8Array): Promise<{ status: number; json: any; headers: Record<string, unknown> }> {
    return this.retrying(`${method} ${this.url(path)}`, async () => {
      const res = await this.send(method, path, body ? { 'content-type': 'application/octet-stream' } : {}, body);
      const text = method === 'HEAD' ? (await res.body.dump(), '') : await res.body.text();
      if (res.statusCode === 401) throw new ZpkgError('E_AUTH', `${this.location} refused the token: ${text}`, { hint: 'check --token / ZPKG_TOKEN against the depot\'s tokens' });
      let json: any;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      if (res.statusCode >= 400 && res.statusCode !== 404) {
        const e = json?.error;
        throw new ZpkgError(e?.code ?? 'E_REMOTE_UNREACHABLE', `${this.location}: ${method} ${path} refused (HTTP ${res.statusCode}): ${e?.message ?? text}`, { hint: e?.hint });
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
    return r.json.paths as string[];
  }

  async sync(): Promise<void> {
    // The depot makes uploads durable before it accepts root.json.
  }

  async lock(options: { noWait?: boolean; onWait?: () => void } = {}): Promise<() => void> {
    void options;
    const r = await this.call('POST', '_zpkg/lock');
    this.lease = r.json.lease as string;
    const id = this.lease;
    return () => {
      this.lease = undefined;
      void this.call('DELETE', `_zpkg/lock/${id}`).catch(() => undefined);
    };
  }
}
