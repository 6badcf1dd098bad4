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
 * through lease objects `.zpkg-lock.OWNER`, one each, that lapse unless
 * renewed (see lock()).
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

/** What a waiting publisher saw of one lease: its bytes, and since when (performance.now()) they have not changed. */
type Watched = Map<string, { content: string; since: number }>;

/** A publish lease (see S3Backend.lock): who wants the repository and until when (ms since the epoch, by its writer's clock). */
const LEASE_SHAPE = v.object({ owner: v.string(), until: v.number() });

/** A lease's expiry by its writer's clock; 0 (expired long ago) for bytes that are not a lease: a broken one is taken over, never waited on. */
function leaseUntil(bytes: Buffer): number {
  try {
    const r = v.safeParse(LEASE_SHAPE, JSON.parse(bytes.toString('utf8')));
    return r.success ? r.output.until : 0;
  } catch {
    return 0;
  }
}

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

/** A lease unchanged for this long, by the clock of the publisher watching it, is its dead publisher's. */
const LEASE_MS = 60_000;
/**
 * A lease whose own expiry is this far behind the watcher's clock is dead
 * without being watched: its publisher's clock would have to be this far
 * behind for it to be alive. It lets a lease left by a publisher that died
 * long ago go at once.
 */
const SKEW_MS = 10 * 60_000;
/** A waiting publisher looks again after this, plus up to as much again at random. */
const LEASE_POLL_MS = 200;
/** The leases' names: `.zpkg-lock.OWNER`, one per publisher that wants the repository (see lock()). */
const LEASES = '.zpkg-lock.';
/** A lease is a few dozen bytes; anything longer is not one. */
const LEASE_LIMIT = 4096;
/** Ranges closer than this are fetched as one (a GET costs a round trip; 64 KiB costs ~5 ms at 100 Mbit/s). */
const RANGE_GAP = 64 * 1024;

export class S3Backend implements RepoWriter {
  readonly location: string;
  private client: S3Client | undefined;
  private sdk: typeof import('@aws-sdk/client-s3') | undefined;
  private readonly at: S3Location;
  /** How long a lease may go unchanged before it is dead, and (a third of it) how often a holder renews its own: LEASE_MS, shortened by tests. */
  leaseMs = LEASE_MS;

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
   * S3 has no locks, and stores differ in what they make atomic (s3rver and
   * others ignore `If-None-Match: *`). What every store does give is a write
   * to a key of one's own and, since 2020 on AWS, a listing that shows every
   * write acknowledged before it. So each publisher that wants the repository
   * writes a lease of its own, `.zpkg-lock.OWNER`, then lists them all: it
   * holds the repository only when no other live lease is listed; otherwise
   * it removes its own and tries again later. Two can never both hold: the
   * one that listed first would have had to miss the other's lease, so the
   * other wrote it after that listing, and then listed after it too — when
   * the first one's lease was already there. (Both may back off at once; a
   * random pause makes the next round differ.) A holder rewrites its lease
   * every LEASE_MS / 3, so a publish longer than LEASE_MS (a large pack over
   * a slow link) keeps it. A lease is dead once a waiting publisher has seen
   * it unchanged for LEASE_MS by its own clock: publishers' clocks are never
   * compared, so one running a minute behind cannot have its live lease
   * taken over. A lease whose stamped expiry is more than SKEW_MS behind the
   * watcher's clock is dead at once; one that is not a lease at all, too.
   */
  async lock(options: { noWait?: boolean; onWait?: () => void } = {}): Promise<() => Promise<void>> {
    const me = randomBytes(8).toString('hex');
    const mine = LEASES + me;
    const lease = (): Buffer => Buffer.from(JSON.stringify({ owner: me, until: Date.now() + this.leaseMs }));
    let warned = false;
    const watched: Watched = new Map();
    for (;;) {
      // While another holds it, a look costs one listing and one small read per lease, and writes nothing.
      if ((await this.liveLeases(watched)).length === 0) {
        await this.write(mine, lease());
        if ((await this.liveLeases(watched)).every((k) => k === mine)) break;
        await this.remove(mine);
      }
      if (options.noWait) throw new ZpkgError('E_REPO_LOCKED', `repository ${this.location} is locked by another publisher`);
      if (!warned) {
        warned = true;
        options.onWait?.();
      }
      await sleep(LEASE_POLL_MS + Math.floor(Math.random() * LEASE_POLL_MS));
    }
    const renew = setInterval(() => void this.write(mine, lease()).catch(() => undefined), this.leaseMs / 3);
    renew.unref();
    return async () => {
      clearInterval(renew);
      // A lease left behind (the store unreachable) is dead once watched unchanged for LEASE_MS.
      await this.remove(mine).catch(() => undefined);
    };
  }

  /**
   * The keys of the leases alive, as far as `watched` (this waiter's view
   * of each lease over time) tells; dead ones, and objects that are not
   * leases, are removed on the way.
   */
  private async liveLeases(watched: Watched): Promise<string[]> {
    const live: string[] = [];
    const now = performance.now();
    const listed = await this.list(LEASES);
    for (const key of watched.keys()) if (!listed.includes(key)) watched.delete(key);
    for (const key of listed) {
      let bytes: Buffer | undefined;
      try {
        bytes = await this.read(key, LEASE_LIMIT);
      } catch (err) {
        // Too large to be a lease: not one.
        if (!(err instanceof ZpkgError && err.code === 'E_REPO_INVALID')) throw err;
        bytes = Buffer.alloc(0);
      }
      if (!bytes) continue; // released meanwhile
      const content = bytes.toString('latin1');
      const seen = watched.get(key);
      if (seen?.content !== content) watched.set(key, { content, since: now });
      const unchangedFor = seen?.content === content ? now - seen.since : 0;
      if (leaseUntil(bytes) < Date.now() - SKEW_MS || unchangedFor >= this.leaseMs) {
        await this.remove(key);
        watched.delete(key);
      } else live.push(key);
    }
    return live;
  }

  async close(): Promise<void> {
    this.client?.destroy();
  }
}
