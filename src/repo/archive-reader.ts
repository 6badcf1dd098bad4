/** Reads a repository archive (`archive-format.ts`) in place: one positional read per file. */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { ZpkgError } from '../core/errors.js';
import { own, v } from '../core/shape.js';
import { kindOf } from '../fs/in-root.js';
import type { ByteRange, DownloadOptions, FreshRead, RangeReadOptions, RangeSink, RepoReader } from './backend.js';
import { readFileRanges } from './file-ranges.js';
import { writeDownloaded } from './local-write.js';
import { REPO_FILE_LIMIT, tooLarge } from './read-limit.js';
import { rangePastEnd, SinkFailure } from './ranges.js';
import { ARCHIVE_FORMAT, ARCHIVE_MAGIC, TRAILER_SIZE, type ArchiveIndex } from './archive-format.js';

/** A file's place in the archive: [offset, length], both non-negative safe integers. */
const SPAN = v.strictTuple([v.pipe(v.number(), v.safeInteger(), v.minValue(0)), v.pipe(v.number(), v.safeInteger(), v.minValue(0))]);

/**
 * The index's shape: `format` and `files` read from the document's own keys;
 * `files` an object of path → span, checked on the own-key copy (valibot's
 * record would skip a `__proto__` or `constructor` path without a word).
 */
const INDEX = own(
  v.object({
    format: v.optional(v.unknown()),
    files: own(v.pipe(v.custom<Record<string, unknown>>(() => true), v.check((files) => Object.values(files).every((span) => v.is(SPAN, span)), 'a file entry is not [offset, length]')), 'files is not an object'),
  }),
  'the index is not an object',
);

export class ArchiveReader implements RepoReader {
  readonly location: string;
  private fd: number | undefined;
  private index: ArchiveIndex['files'] | undefined;

  constructor(readonly file: string) {
    this.location = file;
  }

  private bad(reason: string): ZpkgError {
    return new ZpkgError('E_REPO_INVALID', `${this.file} is not a zpkg repository archive: ${reason}`, { hint: 'make one with `zpkg repo archive REPO FILE`' });
  }

  private pread(offset: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = readSync(this.fd!, buf, got, length - got, offset + got);
      if (n === 0) throw this.bad(`truncated at byte ${offset + got}`);
      got += n;
    }
    return buf;
  }

  private open(): ArchiveIndex['files'] {
    if (this.index) return this.index;
    // Non-blocking, and only a regular file: a FIFO or device in its place is refused unread.
    try {
      this.fd = openSync(this.file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENXIO') throw this.bad('it is a socket or a FIFO, not a regular file');
      throw err;
    }
    const st = fstatSync(this.fd);
    if (!st.isFile()) {
      closeSync(this.fd);
      this.fd = undefined;
      throw this.bad(`it is ${kindOf(st)}, not a regular file`);
    }
    const size = st.size;
    if (size < ARCHIVE_MAGIC.length + TRAILER_SIZE) throw this.bad('too short');
    if (!this.pread(0, 8).equals(ARCHIVE_MAGIC)) throw this.bad('no archive magic at the start');
    const trailer = this.pread(size - TRAILER_SIZE, TRAILER_SIZE);
    if (!trailer.subarray(16).equals(ARCHIVE_MAGIC)) throw this.bad('no trailer (an interrupted write?)');
    const at = Number(trailer.readBigUInt64LE(0));
    const len = Number(trailer.readBigUInt64LE(8));
    if (at < 8 || at + len > size - TRAILER_SIZE) throw this.bad('the index lies outside the file');
    let raw: unknown;
    try {
      raw = JSON.parse(this.pread(at, len).toString('utf8'));
    } catch (err) {
      throw this.bad(`the index is not JSON (${(err as Error).message})`);
    }
    const parsed = v.safeParse(INDEX, raw, { abortEarly: true });
    if (!parsed.success) {
      const issue = parsed.issues[0];
      throw this.bad(issue.path ? `the index is invalid: ${issue.path.map((p) => String(p.key)).join('.')}: ${issue.message}` : issue.message);
    }
    if (parsed.output.format !== ARCHIVE_FORMAT) throw this.bad(`unknown index format ${String(parsed.output.format)}`);
    // A plain object holding exactly the document's own paths (`__proto__` included, as data).
    const files = Object.fromEntries(Object.entries(parsed.output.files as Record<string, [number, number]>)) as ArchiveIndex['files'];
    const doc: ArchiveIndex = { format: ARCHIVE_FORMAT, files };
    for (const [path, span] of Object.entries(doc.files)) {
      if (span[0] < 8 || span[0] + span[1] > at) throw this.bad(`the index entry for \`${path}\` points outside the data`);
    }
    this.index = doc.files;
    return this.index;
  }

  /** Every path the archive holds. */
  paths(): string[] {
    return Object.keys(this.open());
  }

  async read(path: string, max = REPO_FILE_LIMIT): Promise<Buffer | undefined> {
    const span = Object.hasOwn(this.open(), path) ? this.open()[path] : undefined;
    if (span && span[1] > max) throw tooLarge(this.file, path, max, span[1]);
    return span ? this.pread(span[0], span[1]) : undefined;
  }

  localPath(): string | undefined {
    return undefined;
  }

  async download(path: string, dest: string, options: DownloadOptions = {}): Promise<number | undefined> {
    const bytes = await this.read(path, options.max);
    if (!bytes) return undefined;
    const out = openSync(dest, 'w');
    try {
      writeDownloaded(out, bytes, dest);
    } finally {
      closeSync(out);
    }
    options.onBytes?.(bytes.length);
    return bytes.length;
  }

  async readFresh(path: string, _validator?: string, max?: number): Promise<FreshRead> {
    const bytes = await this.read(path, max);
    return bytes ? { status: 'read', bytes } : { status: 'missing' };
  }

  async readRanges(path: string, ranges: readonly ByteRange[], sink: RangeSink, options: RangeReadOptions = {}): Promise<boolean> {
    const span = Object.hasOwn(this.open(), path) ? this.open()[path] : undefined;
    if (!span) return false;
    try {
      readFileRanges(this.fd!, span[0], ranges, sink, options.skip, span[1]);
    } catch (err) {
      if (err instanceof SinkFailure) throw err.original;
      if (err instanceof RangeError) throw rangePastEnd(`${this.file}: ${path}`, err.message);
      throw err;
    }
    return true;
  }

  async close(): Promise<void> {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.index = undefined;
  }
}
