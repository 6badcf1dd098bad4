/**
 * The `s3` backend: a repository in an S3-compatible bucket, under a prefix.
 *
 *   s3://BUCKET[/PREFIX][?endpoint=URL&path-style=1&region=REGION]
 *
 * Credentials come from the usual AWS chain (AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws/config, instance roles);
 * `region` defaults to AWS_REGION or `us-east-1`. A PUT replaces an object
 * atomically, so publishing keeps the dir backend's order: content-addressed
 * objects first, `root.json` last. S3 has no locks: publishers serialize
 * through a lease object (`.zpkg-lock`) that expires after 60 s, best-effort
 * on stores without conditional writes (see README).
 */
import { closeSync, createReadStream, existsSync, openSync, statSync } from 'node:fs';
import type { S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { ZpkgError } from '../core/errors.js';
import { v } from '../core/shape.js';
import type { ByteRange, DownloadOptions, FreshRead, RangeReadOptions, RangeSink, RepoWriter } from './backend.js';
import { sleep } from './http-backend.js';
import { isImmutablePath } from './layout.js';
import { writeDownloaded } from './local-write.js';
import { BoundedChunks, REPO_FILE_LIMIT, tooLarge } from './read-limit.js';
import { coalesce, RangeCursor, rangePastEnd, SinkFailure, stopIfAborted } from './ranges.js';

/** The publish lease object (LOCK_FILE): who holds it and until when (ms since the epoch). */
const LEASE_SHAPE = v.object({ owner: v.string(), until: v.number() });

export interface S3Location {
  bucket: string;
  prefix: string;
  endpoint?: string;
  region: string;
  pathStyle: boolean;
}

export function parseS3Url(url: string): S3Location {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ZpkgError('E_URL_INVALID', `repository URL \`${url}\` is not a valid URL`);
  }
  if (u.protocol !== 's3:' || !u.hostname) throw new ZpkgError('E_URL_INVALID', `repository URL \`${url}\`: expected s3://BUCKET[/PREFIX][?endpoint=URL&path-style=1&region=R]`);
  const known = new Set(['endpoint', 'path-style', 'region']);
  for (const k of u.searchParams.keys()) if (!known.has(k)) throw new ZpkgError('E_URL_INVALID', `repository URL \`${url}\`: unknown parameter \`${k}\``, { hint: 'known: endpoint, path-style, region' });
  const endpoint = u.searchParams.get('endpoint') ?? undefined;
  if (endpoint !== undefined && !/^https?:\/\//.test(endpoint)) throw new ZpkgError('E_URL_INVALID', `repository URL \`${url}\`: endpoint \`${endpoint}\` must be an http(s) URL`);
  const prefix = decodeURIComponent(u.pathname).replace(/^\/+|\/+$/g, '');
  return {
    bucket: u.hostname,
    prefix: prefix ? `${prefix}/` : '',
    endpoint,
    region: u.searchParams.get('region') ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    pathStyle: ['1', 'true', 'yes'].includes(u.searchParams.get('path-style') ?? ''),
  };
}

function status(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function notFound(err: unknown): boolean {
  const name = (err as Error).name;
  return name === 'NoSuchKey' || name === 'NotFound' || status(err) === 404;
}

/** Worth another attempt: no answer, a body cut short (no status), a server error, a timeout or throttling. */
function transient(err: unknown): boolean {
  const s = status(err);
  return s === undefined || s >= 500 || s === 408 || s === 429;
}

/** Attempts of one GET (the SDK retries a failed request, not a body cut after its headers). */
const GET_ATTEMPTS = 5;

const LEASE_MS = 60_000;
/** Ranges closer than this are fetched as one (a GET costs a round trip; 64 KiB costs ~5 ms at 100 Mbit/s). */
const RANGE_GAP = 64 * 1024;
const LEASE_SETTLE_MS = 250;
const LOCK_FILE = '.zpkg-lock';

export class S3Backend implements RepoWriter {
  readonly location: string;
  private client: S3Client | undefined;
  private sdk: typeof import('@aws-sdk/client-s3') | undefined;
  private readonly at: S3Location;

  constructor(url: string) {
    this.location = url;
    this.at = parseS3Url(url);
  }

  /** The SDK is large: loaded on the first request, never by commands that do not talk to S3. */
  private async s3(): Promise<{ c: S3Client; sdk: typeof import('@aws-sdk/client-s3') }> {
    if (!this.sdk) this.sdk = await import('@aws-sdk/client-s3');
    // Checksums only where S3 requires them: a streamed upload (a pack) is then sent as plain bytes of a known length, not
    // in aws-chunked encoding with a trailing checksum, which S3-compatible stores such as s3rver store verbatim. Every
    // file is content-addressed and checked by digest when read, so the checksum adds nothing.
    this.client ??= new this.sdk.S3Client({ region: this.at.region, endpoint: this.at.endpoint, forcePathStyle: this.at.pathStyle, maxAttempts: 5, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
    return { c: this.client, sdk: this.sdk };
  }

  private key(path: string): string {
    if (path.startsWith('/') || path.split('/').includes('..')) throw new ZpkgError('E_PATH_UNSAFE', `repository path \`${path}\` escapes the repository`);
    return this.at.prefix + path;
  }

  private wrap(what: string, err: unknown): ZpkgError {
    if (err instanceof ZpkgError) return err;
    return new ZpkgError('E_REMOTE_UNREACHABLE', `${this.location}: ${what}: ${(err as Error).name}: ${(err as Error).message}`, {
      hint: 'check the bucket, the endpoint and the AWS credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE)',
      cause: err,
    });
  }

  async read(path: string, max = REPO_FILE_LIMIT): Promise<Buffer | undefined> {
    const r = await this.readFresh(path, undefined, max);
    return r.status === 'read' ? r.bytes : undefined;
  }

  /** An object's body, held up to `max` bytes: one that declares or sends more is refused and its stream destroyed. */
  private async bounded(r: { Body?: unknown; ContentLength?: number }, path: string, max: number): Promise<Buffer> {
    const held = new BoundedChunks(max, this.location, path);
    const body = r.Body as AsyncIterable<Buffer> & { destroy?: () => void };
    try {
      held.declared(r.ContentLength ?? NaN);
      for await (const chunk of body) held.write(chunk);
    } catch (err) {
      body.destroy?.();
      throw err;
    }
    return held.bytes();
  }

  localPath(): string | undefined {
    return undefined;
  }

  async download(path: string, dest: string, options: DownloadOptions = {}): Promise<number | undefined> {
    const max = options.max ?? REPO_FILE_LIMIT;
    const immutable = isImmutablePath(path);
    let size = immutable && existsSync(dest) ? statSync(dest).size : 0;
    const fd = openSync(dest, size > 0 ? 'a' : 'w');
    try {
      let last: unknown;
      for (let attempt = 0; attempt < GET_ATTEMPTS; attempt++) {
        if (attempt > 0) await sleep(100 * 2 ** (attempt - 1));
        try {
          const { c, sdk } = await this.s3();
          const r = await c.send(new sdk.GetObjectCommand({ Bucket: this.at.bucket, Key: this.key(path), Range: size > 0 ? `bytes=${size}-` : undefined }));
          const body = r.Body as AsyncIterable<Buffer> & { destroy?: () => void };
          if (r.ContentLength !== undefined && size + r.ContentLength > max) {
            body.destroy?.();
            throw tooLarge(this.location, path, max, size + r.ContentLength);
          }
          for await (const chunk of body) {
            if (size + chunk.length > max) throw tooLarge(this.location, path, max);
            writeDownloaded(fd, chunk, dest);
            size += chunk.length;
            options.onBytes?.(chunk.length);
          }
          return size;
        } catch (err) {
          if (err instanceof ZpkgError) throw err;
          if (notFound(err)) return undefined;
          if (status(err) === 416) return size;
          if (!transient(err)) throw this.wrap(`GET ${path}`, err);
          last = err;
        }
      }
      throw this.wrap(`GET ${path}`, last);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * S3 answers one range per GET: ranges closer than RANGE_GAP are merged
   * (the gap costs less than a request), then fetched in order; a GET cut
   * short is retried from the byte reached.
   */
  async readRanges(path: string, ranges: readonly ByteRange[], sink: RangeSink, options: RangeReadOptions = {}): Promise<boolean> {
    const cursor = new RangeCursor(ranges, sink, options.skip);
    for (const r of coalesce(cursor.remaining(), RANGE_GAP)) {
      let last: unknown;
      for (let attempt = 0; cursor.next < r.start + r.length; attempt++) {
        stopIfAborted(options.signal);
        if (attempt >= GET_ATTEMPTS) throw this.wrap(`GET ${path}`, last);
        if (attempt > 0) await sleep(100 * 2 ** (attempt - 1));
        const from = Math.max(r.start, cursor.next);
        try {
          const { c, sdk } = await this.s3();
          const got = await c.send(new sdk.GetObjectCommand({ Bucket: this.at.bucket, Key: this.key(path), Range: `bytes=${from}-${r.start + r.length - 1}` }), options.signal ? { abortSignal: options.signal } : {});
          // Where the body starts: its Content-Range, or the object's first byte when the store ignored Range (200).
          const m = /^bytes (\d+)-/.exec(got.ContentRange ?? '');
          let pos = m ? Number(m[1]) : got.$metadata.httpStatusCode === 206 ? from : 0;
          for await (const chunk of got.Body as AsyncIterable<Buffer>) {
            cursor.feed(pos, chunk);
            pos += chunk.length;
            // The range is in (or the answer is past it): nothing more of this body is wanted, however much more it holds
            // (leaving the loop destroys the stream).
            if (pos >= r.start + r.length) break;
          }
        } catch (err) {
          if (err instanceof SinkFailure) throw err.original;
          stopIfAborted(options.signal);
          if (notFound(err)) return false;
          if (status(err) === 416) throw rangePastEnd(`${this.location}/${path}`, `the bucket has no bytes ${from}-${r.start + r.length - 1} (HTTP 416)`);
          if (!transient(err)) throw this.wrap(`GET ${path}`, err);
          last = err;
        }
      }
    }
    return true;
  }

  /**
   * A whole object, held up to `max` bytes. An answer cut short is asked for
   * again from its start: a small object is not worth resuming, and one that
   * was replaced or removed meanwhile (the lease) must be read whole or not at all.
   */
  async readFresh(path: string, validator?: string, max = REPO_FILE_LIMIT): Promise<FreshRead> {
    let last: unknown;
    for (let attempt = 0; attempt < GET_ATTEMPTS; attempt++) {
      if (attempt > 0) await sleep(100 * 2 ** (attempt - 1));
      try {
        const { c, sdk } = await this.s3();
        const r = await c.send(new sdk.GetObjectCommand({ Bucket: this.at.bucket, Key: this.key(path), IfNoneMatch: validator }));
        return { status: 'read', bytes: await this.bounded(r, path, max), validator: r.ETag };
      } catch (err) {
        if (err instanceof ZpkgError) throw err;
        if (status(err) === 304) return { status: 'unchanged' };
        if (notFound(err)) return { status: 'missing' };
        last = err;
        if (!transient(err)) break;
      }
    }
    throw this.wrap(`GET ${path}`, last);
  }

  async size(path: string): Promise<number | undefined> {
    try {
      const { c, sdk } = await this.s3();
      const r = await c.send(new sdk.HeadObjectCommand({ Bucket: this.at.bucket, Key: this.key(path) }));
      return r.ContentLength;
    } catch (err) {
      if (notFound(err)) return undefined;
      throw this.wrap(`HEAD ${path}`, err);
    }
  }

  async write(path: string, data: Uint8Array): Promise<void> {
    try {
      const { c, sdk } = await this.s3();
      await c.send(new sdk.PutObjectCommand({ Bucket: this.at.bucket, Key: this.key(path), Body: data, ContentLength: data.length }));
    } catch (err) {
      throw this.wrap(`PUT ${path}`, err);
    }
  }

  async writeFile(path: string, source: string): Promise<void> {
    try {
      const { c, sdk } = await this.s3();
      await c.send(new sdk.PutObjectCommand({ Bucket: this.at.bucket, Key: this.key(path), Body: createReadStream(source), ContentLength: statSync(source).size }));
    } catch (err) {
      throw this.wrap(`PUT ${path}`, err);
    }
  }

  async remove(path: string): Promise<void> {
    try {
      const { c, sdk } = await this.s3();
      await c.send(new sdk.DeleteObjectCommand({ Bucket: this.at.bucket, Key: this.key(path) }));
    } catch (err) {
      if (!notFound(err)) throw this.wrap(`DELETE ${path}`, err);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    try {
      do {
        const { c, sdk } = await this.s3();
        const r = await c.send(new sdk.ListObjectsV2Command({ Bucket: this.at.bucket, Prefix: this.at.prefix + prefix, ContinuationToken: token }));
        for (const o of r.Contents ?? []) if (o.Key) out.push(o.Key.slice(this.at.prefix.length));
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      if ((err as Error).name === 'NoSuchBucket') return [];
      throw this.wrap(`LIST ${prefix}`, err);
    }
    return out.sort();
  }

  async sync(): Promise<void> {
    // Every PUT is durable once acknowledged.
  }

  /**
   * A lease object names the holder and its expiry; a holder that died frees
   * it after LEASE_MS. It is created with `If-None-Match: *` (strict on stores
   * with conditional writes: AWS S3, MinIO), then read back after a pause, which
   * catches a racing writer on stores that ignore the condition.
   */
  async lock(options: { noWait?: boolean; onWait?: () => void } = {}): Promise<() => void> {
    const me = randomBytes(8).toString('hex');
    const leaseOf = (bytes: Buffer | undefined): { owner: string; until: number } | undefined => {
      if (!bytes) return undefined;
      // A lease that is not JSON of this shape is a broken one: expired, so it is taken over.
      try {
        const r = v.safeParse(LEASE_SHAPE, JSON.parse(bytes.toString('utf8')));
        return r.success ? r.output : { owner: '?', until: 0 };
      } catch {
        return { owner: '?', until: 0 };
      }
    };
    let warned = false;
    for (;;) {
      const lease = leaseOf(await this.read(LOCK_FILE));
      if (lease && lease.until < Date.now()) await this.remove(LOCK_FILE);
      if ((!lease || lease.until < Date.now()) && (await this.createLease(me))) {
        await sleep(LEASE_SETTLE_MS);
        if (leaseOf(await this.read(LOCK_FILE))?.owner === me) break;
      }
      if (options.noWait) throw new ZpkgError('E_REPO_LOCKED', `repository ${this.location} is locked by another publisher`);
      if (!warned) {
        warned = true;
        options.onWait?.();
      }
      await sleep(200);
    }
    return () => {
      // Best effort: a lease left behind expires after LEASE_MS.
      void this.read(LOCK_FILE)
        .then((b) => (leaseOf(b)?.owner === me ? this.remove(LOCK_FILE) : undefined))
        .catch(() => undefined);
    };
  }

  /** False when another publisher created the lease first (412 from a store with conditional writes). */
  private async createLease(owner: string): Promise<boolean> {
    const body = Buffer.from(JSON.stringify({ owner, until: Date.now() + LEASE_MS }));
    try {
      const { c, sdk } = await this.s3();
      await c.send(new sdk.PutObjectCommand({ Bucket: this.at.bucket, Key: this.key(LOCK_FILE), Body: body, ContentLength: body.length, IfNoneMatch: '*' }));
      return true;
    } catch (err) {
      if (status(err) === 412 || status(err) === 409) return false;
      throw this.wrap(`PUT ${LOCK_FILE}`, err);
    }
  }

  async close(): Promise<void> {
    this.client?.destroy();
  }
}
