/**
 * rfs's HTTP store (`src/store/http.rs`, schemes `http`/`https`): block ID
 * (hex) is `URL/ID[0:2]/ID`, and on a 404 the legacy flat `URL/ID`. Read
 * only, as in rfs. Requests go through the repository http backend (one
 * keep-alive pool, retries with backoff on transient failures).
 */
import { ZpkgError } from '../../core/errors.js';
import { HttpBackend } from '../../repo/http-backend.js';
import { oversize, type BlockStore } from './types.js';

export class HttpStore implements BlockStore {
  readonly display: string;
  private readonly http: HttpBackend;

  constructor(readonly url: string) {
    this.display = url;
    this.http = new HttpBackend(url);
  }

  async get(id: Buffer, maxBytes: number): Promise<Buffer | undefined> {
    const hex = id.toString('hex');
    const data = (await this.http.read(`${hex.slice(0, 2)}/${hex}`)) ?? (await this.http.read(hex));
    if (data !== undefined && data.length > maxBytes) throw oversize(this.display, id, data.length, maxBytes);
    return data;
  }

  async has(id: Buffer): Promise<boolean> {
    return (await this.get(id, Number.MAX_SAFE_INTEGER)) !== undefined;
  }

  async set(): Promise<void> {
    throw new ZpkgError('E_URL_INVALID', `${this.display}: an http(s) store is read-only (rfs cannot upload to one either)`, { hint: 'export into a dir://, s3:// or zdb:// store and serve that over HTTP' });
  }

  async sync(): Promise<void> {}

  async close(): Promise<void> {
    await this.http.close();
  }
}
