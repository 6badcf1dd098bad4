/**
 * rfs's zdb store (`src/store/zdb.rs`): a 0-db server spoken to in RESP.
 *
 *   zdb://[USER[:PASSWORD]@]HOST[:PORT]/[NAMESPACE]     TCP, port 9900 by default
 *   zdb:///path/to/socket                               a unix socket (no namespace)
 *
 * As rfs does (`WithNamespace::on_acquire`): each connection first sends
 * `SELECT NAMESPACE [PASSWORD]` unless the namespace is absent or `default`;
 * the URL's password is used only there (never `AUTH`), the user name not at
 * all. Blocks are binary keys: `GET id` (nil: not there; an empty value is
 * not a block either), `EXISTS id` before `SET id data` (0-db answers a SET
 * with the key, or nil when the value is unchanged).
 *
 * One connection, never reconnected: a reconnected client would be back in
 * the `default` namespace without knowing it (0-db keeps the namespace per
 * connection), so a lost connection fails the operation instead.
 */
import type { Redis } from 'ioredis';
import { ZpkgError } from '../../core/errors.js';
import { oversize, type BlockStore } from './types.js';

export interface ZdbLocation {
  host?: string;
  port?: number;
  socket?: string;
  namespace?: string;
  password?: string;
}

export function parseZdbUrl(url: string): ZdbLocation {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ZpkgError('E_URL_INVALID', `store URL \`${url}\` is not a valid URL`);
  }
  if (u.protocol !== 'zdb:') throw new ZpkgError('E_URL_INVALID', `store URL \`${url}\`: not zdb://`);
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  if (!u.hostname) {
    if (!u.pathname || u.pathname === '/') throw new ZpkgError('E_URL_INVALID', `store URL \`${url}\`: name a host (zdb://HOST:PORT/NAMESPACE) or a socket (zdb:///path)`);
    return { socket: decodeURIComponent(u.pathname), ...(password ? { password } : {}) };
  }
  const segments = u.pathname.split('/').filter((s, i) => i > 0);
  const namespace = segments.length ? decodeURIComponent(segments[segments.length - 1]!) : '';
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 9900,
    ...(namespace ? { namespace } : {}),
    ...(password ? { password } : {}),
  };
}

export class ZdbStore implements BlockStore {
  private readonly at: ZdbLocation;
  private client: Promise<Redis> | undefined;

  constructor(readonly url: string, readonly display: string) {
    this.at = parseZdbUrl(url);
  }

  private where(): string {
    return this.at.socket ?? `${this.at.host}:${this.at.port}`;
  }

  private unreachable(what: string, err: unknown): ZpkgError {
    const message = (err as Error).message;
    if (/Access denied|protected and private|read-only|Permission denied/i.test(message)) {
      return new ZpkgError('E_AUTH', `${this.display}: ${what}: ${message}`, { hint: 'the namespace needs its password: put it in the store URL (zdb://:PASSWORD@HOST:PORT/NAMESPACE)', cause: err });
    }
    return new ZpkgError('E_REMOTE_UNREACHABLE', `${this.display}: ${what}: ${message}`, { cause: err });
  }

  private connect(): Promise<Redis> {
    this.client ??= (async () => {
      const { Redis } = await import('ioredis');
      const r = new Redis({
        ...(this.at.socket ? { path: this.at.socket } : { host: this.at.host, port: this.at.port }),
        lazyConnect: true,
        enableReadyCheck: false,
        disableClientInfo: true, // no CLIENT SETINFO: 0-db answers "-Command not supported"
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        connectTimeout: 10_000,
        commandTimeout: 60_000, // a zdb that stops answering fails the command instead of hanging the import
      });
      r.on('error', () => {}); // failures reach the caller through the command that meets them
      try {
        await r.connect();
      } catch (err) {
        r.disconnect();
        throw this.unreachable(`cannot connect to ${this.where()}`, err);
      }
      const ns = this.at.namespace;
      if (ns !== undefined && ns !== 'default') {
        try {
          await r.call('SELECT', ns, ...(this.at.password !== undefined ? [this.at.password] : []));
        } catch (err) {
          r.disconnect();
          throw this.unreachable(`SELECT ${ns}`, err);
        }
      }
      return r;
    })();
    return this.client;
  }

  async get(id: Buffer, maxBytes: number): Promise<Buffer | undefined> {
    const r = await this.connect();
    let data: Buffer | null;
    try {
      data = await r.getBuffer(id);
    } catch (err) {
      throw this.unreachable(`GET ${id.toString('hex')}`, err);
    }
    if (data === null) return undefined;
    if (data.length > maxBytes) throw oversize(this.display, id, data.length, maxBytes);
    return data;
  }

  async has(id: Buffer): Promise<boolean> {
    const r = await this.connect();
    try {
      return (await r.exists(id)) === 1;
    } catch (err) {
      throw this.unreachable(`EXISTS ${id.toString('hex')}`, err);
    }
  }

  async set(id: Buffer, data: Buffer): Promise<void> {
    const r = await this.connect();
    try {
      await r.set(id, data);
    } catch (err) {
      throw this.unreachable(`SET ${id.toString('hex')}`, err);
    }
  }

  async sync(): Promise<void> {}

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) (await c.catch(() => undefined))?.disconnect();
  }
}
