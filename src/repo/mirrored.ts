/**
 * Mirrors of one repository, tried in order: a read that fails on one (it is
 * unreachable, or lacks the file) goes to the next. All serve the same
 * content-addressed files, and everything read is verified by digest above
 * this layer, so a mirror can be stale or wrong but never trusted blindly.
 */
import { ZpkgError } from '../core/errors.js';
import type { ByteRange, DownloadOptions, FreshRead, RangeReadOptions, RangeSink, RepoReader } from './backend.js';

export class MirroredReader implements RepoReader {
  readonly location: string;
  /** Index of the mirror that answered last: later reads start there. */
  private current = 0;

  constructor(private readonly readers: readonly RepoReader[]) {
    this.location = readers[0]!.location;
  }

  /** `local`: an error that is not the mirror's (the sink's), thrown as it is. */
  private async each<T>(op: (r: RepoReader) => Promise<T | undefined>, local?: (err: unknown) => boolean): Promise<T | undefined> {
    const errors: string[] = [];
    let missing = false;
    for (let k = 0; k < this.readers.length; k++) {
      const i = (this.current + k) % this.readers.length;
      try {
        const v = await op(this.readers[i]!);
        if (v !== undefined) {
          this.current = i;
          return v;
        }
        missing = true;
      } catch (err) {
        if (local?.(err) || (err instanceof ZpkgError && err.code !== 'E_REMOTE_UNREACHABLE')) throw err;
        errors.push(`${this.readers[i]!.location}: ${(err as Error).message}`);
      }
    }
    if (missing) return undefined;
    throw new ZpkgError('E_REMOTE_UNREACHABLE', `every mirror failed:\n  ${errors.join('\n  ')}`);
  }

  read(path: string, max?: number): Promise<Buffer | undefined> {
    return this.each((r) => r.read(path, max));
  }

  localPath(path: string): string | undefined {
    return this.readers[this.current]!.localPath(path);
  }

  download(path: string, dest: string, options?: DownloadOptions): Promise<number | undefined> {
    return this.each((r) => r.download(path, dest, options));
  }

  async readFresh(path: string, validator?: string, max?: number): Promise<FreshRead> {
    const r = await this.each(async (x) => {
      const v = await x.readFresh(path, this.readers.indexOf(x) === this.current ? validator : undefined, max);
      return v.status === 'missing' ? undefined : v;
    });
    return r ?? { status: 'missing' };
  }

  /** A mirror that fails midway hands over to the next one from the byte it reached. */
  async readRanges(path: string, ranges: readonly ByteRange[], sink: RangeSink, options: RangeReadOptions = {}): Promise<boolean> {
    let delivered = options.skip ?? 0;
    // What the sink threw comes back out of the mirror's readRanges as it was: it is the disk's, not the mirror's.
    const failed = new Set<unknown>();
    const counting: RangeSink = (chunk) => {
      try {
        sink(chunk);
      } catch (err) {
        failed.add(err);
        throw err;
      }
      delivered += chunk.length;
    };
    const found = await this.each(async (r) => ((await r.readRanges(path, ranges, counting, { ...options, skip: delivered })) ? true : undefined), (err) => failed.has(err));
    return found === true;
  }

  async close(): Promise<void> {
    for (const r of this.readers) await r.close?.();
  }
}
