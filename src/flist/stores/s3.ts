/**
 * rfs's S3 store (`src/store/s3store.rs`):
 *
 *   s3://ACCESS_KEY:SECRET@HOST:PORT/BUCKET[?region=R]     http
 *   s3s://… or s3+tls://…                                   https
 *
 * The port is required (`get_config`: "port not found"), the bucket is the
 * path, the object of block ID is the hex of ID at the bucket's top, and the
 * bucket is addressed path-style (`with_path_style`). Unless the URL holds
 * both the key and the secret (a recorded route has its secret stripped),
 * the usual AWS chain applies (AWS_ACCESS_KEY_ID…).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { ZpkgError } from '../../core/errors.js';
import { oversize, type BlockStore } from './types.js';

export interface S3StoreLocation {
  endpoint: string;
  bucket: string;
  region: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export function parseS3StoreUrl(url: string): S3StoreLocation {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ZpkgError('E_URL_INVALID', `store URL \`${url}\` is not a valid URL`);
  }
  const scheme = u.protocol.slice(0, -1);
  const tls = scheme === 's3s' || scheme === 's3+tls';
  if (!tls && scheme !== 's3') throw new ZpkgError('E_URL_INVALID', `store URL \`${url}\`: not s3://, s3s:// or s3+tls://`);
  if (!u.hostname || !u.port) throw new ZpkgError('E_URL_INVALID', `store URL \`${url}\`: an s3 store needs HOST:PORT (rfs requires the port)`, { hint: 'write s3://KEY:SECRET@HOST:PORT/BUCKET?region=R' });
  const bucket = decodeURIComponent(u.pathname.replace(/^\/+/, '').replace(/\/+$/, ''));
  if (!bucket || bucket.includes('/')) throw new ZpkgError('E_URL_INVALID', `store URL \`${url}\`: the path must name one bucket`);
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  return {
    endpoint: `${tls ? 'https' : 'http'}://${u.host}`,
    bucket,
    region: u.searchParams.get('region') || 'us-east-1',
    // A route rfs recorded keeps the access key but not the secret (stripped): the AWS chain supplies both then.
    ...(user && pass ? { credentials: { accessKeyId: user, secretAccessKey: pass } } : {}),
  };
}

function notFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

export class S3Store implements BlockStore {
  private client: S3Client | undefined;
  private sdk: typeof import('@aws-sdk/client-s3') | undefined;
  private readonly at: S3StoreLocation;

  constructor(readonly url: string, readonly display: string) {
    this.at = parseS3StoreUrl(url);
  }

  private async s3(): Promise<{ c: S3Client; sdk: typeof import('@aws-sdk/client-s3') }> {
    this.sdk ??= await import('@aws-sdk/client-s3');
    this.client ??= new this.sdk.S3Client({ endpoint: this.at.endpoint, region: this.at.region, forcePathStyle: true, maxAttempts: 5, ...(this.at.credentials ? { credentials: this.at.credentials } : {}) });
    return { c: this.client, sdk: this.sdk };
  }

  private fail(what: string, err: unknown): ZpkgError {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    return new ZpkgError(status === 401 || status === 403 ? 'E_AUTH' : 'E_REMOTE_UNREACHABLE', `${this.display}: ${what}: ${(err as Error).name}: ${(err as Error).message}`, { cause: err });
  }

  async get(id: Buffer, maxBytes: number): Promise<Buffer | undefined> {
    const key = id.toString('hex');
    try {
      const { c, sdk } = await this.s3();
      const r = await c.send(new sdk.GetObjectCommand({ Bucket: this.at.bucket, Key: key }));
      if (r.ContentLength !== undefined && r.ContentLength > maxBytes) {
        await r.Body?.transformToByteArray().catch(() => undefined);
        throw oversize(this.display, id, r.ContentLength, maxBytes);
      }
      const data = Buffer.from(await r.Body!.transformToByteArray());
      if (data.length > maxBytes) throw oversize(this.display, id, data.length, maxBytes);
      return data;
    } catch (err) {
      if (err instanceof ZpkgError) throw err;
      if (notFound(err)) return undefined;
      throw this.fail(`GET ${key}`, err);
    }
  }

  async has(id: Buffer): Promise<boolean> {
    const key = id.toString('hex');
    try {
      const { c, sdk } = await this.s3();
      await c.send(new sdk.HeadObjectCommand({ Bucket: this.at.bucket, Key: key }));
      return true;
    } catch (err) {
      if (notFound(err)) return false;
      throw this.fail(`HEAD ${key}`, err);
    }
  }

  async set(id: Buffer, data: Buffer): Promise<void> {
    const key = id.toString('hex');
    try {
      const { c, sdk } = await this.s3();
      await c.send(new sdk.PutObjectCommand({ Bucket: this.at.bucket, Key: key, Body: data }));
    } catch (err) {
      throw this.fail(`PUT ${key}`, err);
    }
  }

  async sync(): Promise<void> {}

  async close(): Promise<void> {
    this.client?.destroy();
  }
}
