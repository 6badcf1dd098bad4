/**
 * A repository backend: where the static files of a repository live. Nothing
 * above this interface knows whether it talks to a directory, HTTP or S3.
 * Paths are repository-relative (`root.json`, `blobs/ab/ab….zst`).
 */
export interface RepoReader {
  /** Where the repository is, for messages. */
  readonly location: string;
  /** The file's bytes, or undefined when it does not exist. */
  read(path: string): Promise<Buffer | undefined>;
  /** A local filesystem path for the file when the backend has one (lets installs read blobs in place). */
  localPath(path: string): string | undefined;
}

export interface RepoWriter extends RepoReader {
  /** Size in bytes of the stored file, or undefined when it does not exist. */
  size(path: string): Promise<number | undefined>;
  /** Atomic: readers see the old file or the new one. */
  write(path: string, data: Uint8Array, options?: { durable?: boolean }): Promise<void>;
  remove(path: string): Promise<void>;
  /** Repository-relative paths of every file under a prefix (`blobs/`). */
  list(prefix: string): Promise<string[]>;
  /** Makes every write so far durable. */
  sync(): Promise<void>;
  /** Serializes publishers; released by the returned function. */
  lock(options?: { noWait?: boolean; onWait?: () => void }): Promise<() => void>;
}
