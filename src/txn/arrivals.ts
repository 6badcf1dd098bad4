/**
 * Arrivals: packs still downloading while staging begins. A download writes
 * its frames from the start of its file, back to back, so a frame can be
 * staged once the file's written length passes its end; staging takes what
 * has arrived and waits for the rest (stage.ts `runJobs`), and a fresh
 * install over a slow link decodes and writes while the bytes come instead
 * of after the last one.
 *
 * `done` never rejects: it says whether every download ended whole. The
 * first failure stops the others (their shared signal). Whoever holds the
 * arrivals awaits `done` on every path out, so nothing writes under the
 * cache's tmp/ once the transaction has returned.
 */
import { ZpkgError } from '../core/errors.js';
import { forEachLimited } from './concurrency.js';

export class Arrivals {
  /** Written length of each file still downloading; a file not here is whole. */
  private readonly written = new Map<string, number>();
  private waiters: (() => void)[] = [];
  private readonly controller = new AbortController();
  private settled: Promise<Error | undefined> = Promise.resolve(undefined);
  private started = Date.now();
  /** The first download failure (or the stop that ended them). */
  failure: Error | undefined;
  ended = false;
  /** Compressed bytes the downloads brought. */
  bytes = 0;
  /** Seconds from the first download's start to the last one's end. */
  seconds = 0;

  constructor(files: readonly string[]) {
    for (const f of files) this.written.set(f, 0);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Runs the downloads: `done` settles once all have ended, whole or not. */
  run(downloads: readonly (() => Promise<void>)[], parallel: number): void {
    this.started = Date.now();
    // After a failure or a stop no download begins; the first failure aborts those under way.
    const each = async (download: () => Promise<void>): Promise<void> => {
      if (this.failure) return;
      try {
        await download();
      } catch (err) {
        this.fail(err instanceof Error ? err : new Error(String(err)));
        throw err;
      }
    };
    this.settled = forEachLimited(downloads, parallel, each)
      .catch(() => undefined)
      .then(() => {
        this.ended = true;
        this.seconds = (Date.now() - this.started) / 1000;
        this.wake();
        return this.failure;
      });
  }

  /** Resolves when every download has ended: undefined when all are whole, else the first failure. */
  get done(): Promise<Error | undefined> {
    return this.settled;
  }

  wrote(file: string, length: number): void {
    this.written.set(file, length);
    this.wake();
  }

  /** FILE is whole. */
  finished(file: string): void {
    this.written.delete(file);
    this.wake();
  }

  /** Whether the bytes of FILE before END have been written. */
  has(file: string, end: number): boolean {
    const w = this.written.get(file);
    return w === undefined || end <= w;
  }

  /** Stops every download (the transaction failed): their reads end at once, and `done` resolves with the stop. */
  stop(): void {
    this.fail(new ZpkgError('E_IO', 'the download was stopped: the transaction failed'));
  }

  /** Resolves at the next write, end or failure. */
  changed(): Promise<void> {
    if (this.ended || this.failure) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.controller.abort(err);
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }
}
