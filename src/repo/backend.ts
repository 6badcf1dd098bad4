/**
 * A repository backend: where the static files of a repository live. Nothing
 * above this interface knows whether it talks to a directory, HTTP or S3.
 * Paths are repository-relative (`root.json`, `packs/ab/ab….pack`).
 */
import type { ByteRange, RangeReadOptions, RangeSink } from './ranges.js';

export type { ByteRange, RangeReadOptions, RangeSink };

export interface RepoReader {
  /** Where the repository is, for messages. */
  readonly location: string;
  /**
   * The file's bytes, or undefined when it does not exist. More than `max`
   * bytes (default REPO_FILE_LIMIT, read-limit.ts) is refused (E_REPO_INVALID)
   * without holding more than that.
   */
  read(path: string, max?: number): Promise<Buffer | undefined>;
  /** A local filesystem path for the file when the backend has one (lets installs read blobs in place). */
  localPath(path: string): string | undefined;
  /**
   * Copies the file to the local path `dest` (created or overwritten; resumed
   * where a previous attempt left it when the backend can). Returns the bytes
   * it holds, or undefined when the file does not exist.
   */
  download(path: string, dest: string, options?: DownloadOptions): Promise<number | undefined>;
  /**
   * Reads a file unless it is unchanged since `validator` (a value an earlier
   * call returned). Backends without cheap validators just read it. Bounded
   * by `max` as `read` is.
   */
  readFresh(path: string, validator?: string, max?: number): Promise<FreshRead>;
  /**
   * Streams the bytes of `ranges` (sorted, not overlapping) of a file into
   * `sink`, back to back, each byte once and in order, in as few requests as
   * the backend can (http: one multi-range request per batch; s3: one per
   * range; a file: positional reads). Retries and resumes like `download`.
   * Returns false when the file does not exist. An error `sink` throws (the
   * disk it writes to is full…) ends the read as it is: the source did not
   * fail, so it is neither retried nor handed to another mirror.
   */
  readRanges(path: string, ranges: readonly ByteRange[], sink: RangeSink, options?: RangeReadOptions): Promise<boolean>;
  /** Releases connections and file handles. */
  close?(): Promise<void>;
}

export interface DownloadOptions {
  /** Called with each chunk's size as bytes arrive. */
  onBytes?: (n: number) => void;
  /** The most bytes the file may be (default REPO_FILE_LIMIT): more is refused (E_REPO_INVALID), no more than that written. */
  max?: number;
  signal?: AbortSignal;
}

export type FreshRead =
  | { status: 'unchanged' }
  | { status: 'missing' }
  | { status: 'read'; bytes: Buffer; validator?: string };

export interface RepoWriter extends RepoReader {
  /** Size in bytes of the stored file, or undefined when it does not exist. */
  size(path: string): Promise<number | undefined>;
  /** Atomic: readers see the old file or the new one. */
  write(path: string, data: Uint8Array, options?: { durable?: boolean }): Promise<void>;
  /** Stores the local file `source` at `path` (a pack: too big to hold in memory); `source` may be moved. Atomic like `write`. */
  writeFile(path: string, source: string): Promise<void>;
  remove(path: string): Promise<void>;
  /** Repository-relative paths of every file under a prefix (`blobs/`). */
  list(prefix: string): Promise<string[]>;
  /** Makes every write so far durable. */
  sync(): Promise<void>;
  /**
   * Serializes publishers; released by the returned function, which never
   * fails (a lock it cannot give back lapses on its own) and is awaited, so
   * that a command's end does not cut the release short. `create`: the
   * repository does not exist yet (`repo create`); without it, a directory
   * that holds no repository is refused before anything is written there.
   */
  lock(options?: { noWait?: boolean; onWait?: () => void; create?: boolean }): Promise<() => Promise<void>>;
}
