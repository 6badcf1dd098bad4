/**
 * Byte ranges of a repository file, and the cursor that turns whatever a
 * server sends back — the ranges asked for as multipart/byteranges, fewer
 * merged ranges, or the whole file (a server that ignores `Range`) — into
 * exactly the requested bytes, back to back, each once and in order.
 */
import { ZpkgError } from '../core/errors.js';

export interface ByteRange {
  start: number;
  length: number;
}

/** Receives requested bytes back to back, in order; the buffer is the caller's only for the call. */
export type RangeSink = (chunk: Buffer) => void;

export interface RangeReadOptions {
  /** Bytes of the concatenated ranges already held (a resumed download): not delivered again. */
  skip?: number;
  signal?: AbortSignal;
}

/** Sorted by start, adjacent or overlapping ones merged, and those at most `gap` bytes apart joined. */
export function coalesce(ranges: readonly ByteRange[], gap = 0): ByteRange[] {
  const sorted = ranges.filter((r) => r.length > 0).sort((a, b) => a.start - b.start);
  const out: ByteRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.start + last.length + gap) {
      last.length = Math.max(last.length, r.start + r.length - last.start);
    } else out.push({ ...r });
  }
  return out;
}

export function totalLength(ranges: readonly ByteRange[]): number {
  return ranges.reduce((n, r) => n + r.length, 0);
}

/** `bytes=a-b,c-d` (inclusive ends, RFC 9110). */
export function rangeHeader(ranges: readonly ByteRange[]): string {
  return `bytes=${ranges.map((r) => `${r.start}-${r.start + r.length - 1}`).join(',')}`;
}

/**
 * What a range read's sink threw, on its way out of the backend that read
 * the bytes: the failure is where they were going, not where they came from,
 * so it is not retried (`SinkFailure.unwrap` gives the backend's caller the
 * sink's own error back).
 */
export class SinkFailure extends Error {
  constructor(readonly original: unknown) {
    super(original instanceof Error ? original.message : String(original));
  }

  /** The sink's own error when `err` is a SinkFailure, else `err`. */
  static unwrap(err: unknown): unknown {
    return err instanceof SinkFailure ? err.original : err;
  }
}

/**
 * Where the delivery of a list of ranges stands. `feed(pos, chunk)` takes
 * bytes the server says lie at file offset `pos` and passes on the part the
 * next requested bytes need; bytes before them (already delivered, or not
 * asked for) are dropped, and bytes after a gap are dropped too, to be asked
 * for again (`remaining()`).
 */
export class RangeCursor {
  private index = 0;
  /** Bytes of ranges[index] already delivered. */
  private within = 0;
  delivered = 0;

  constructor(private readonly ranges: readonly ByteRange[], private readonly sink: RangeSink, skip = 0) {
    this.advance(skip);
  }

  private advance(n: number): void {
    this.delivered += n;
    while (n > 0 && this.index < this.ranges.length) {
      const left = this.ranges[this.index]!.length - this.within;
      if (n < left) {
        this.within += n;
        return;
      }
      n -= left;
      this.index += 1;
      this.within = 0;
    }
    while (this.index < this.ranges.length && this.ranges[this.index]!.length === 0) this.index += 1;
  }

  get done(): boolean {
    return this.index >= this.ranges.length;
  }

  /** The file offset of the next byte wanted. */
  get next(): number {
    const r = this.ranges[this.index];
    return r ? r.start + this.within : Number.POSITIVE_INFINITY;
  }

  /** Passes on the wanted part of `chunk`, which lies at file offset `pos`. */
  feed(pos: number, chunk: Buffer): void {
    let at = pos;
    let data = chunk;
    while (data.length > 0 && !this.done) {
      const want = this.next;
      if (at + data.length <= want) return;
      if (at > want) return; // a gap: those bytes are asked for again
      const from = want - at;
      const r = this.ranges[this.index]!;
      const take = Math.min(data.length - from, r.length - this.within);
      try {
        this.sink(data.subarray(from, from + take));
      } catch (err) {
        throw new SinkFailure(err);
      }
      this.advance(take);
      at += from + take;
      data = data.subarray(from + take);
    }
  }

  /** The ranges (or parts of ranges) not delivered yet. */
  remaining(): ByteRange[] {
    if (this.done) return [];
    const first = this.ranges[this.index]!;
    return [{ start: first.start + this.within, length: first.length - this.within }, ...this.ranges.slice(this.index + 1)];
  }
}

/** Ranges a blob map asked for lie outside the file: the map or the file is damaged. */
export function rangePastEnd(where: string, reason: string): ZpkgError {
  return new ZpkgError('E_REPO_INVALID', `${where}: ${reason}`, { hint: 'a blob map points outside its pack: the repository is damaged; check it with `zpkg repo verify`' });
}

/**
 * Ends a read its caller stopped (`RangeReadOptions.signal`). The reason is
 * thrown as a ZpkgError, so no backend retries it and no mirror takes over.
 */
export function stopIfAborted(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  const reason: unknown = signal.reason;
  throw reason instanceof ZpkgError ? reason : new ZpkgError('E_IO', `the read was stopped: ${reason instanceof Error ? reason.message : String(reason)}`);
}
