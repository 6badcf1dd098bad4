/**
 * The `dir` backend: a repository in a local directory (a path or `file://` URL).
 *
 * Only regular files are read from it: a FIFO, device, socket or directory
 * where a repository file should be is refused (`E_REPO_INVALID`) before a
 * byte is read — every open is non-blocking, so a FIFO cannot hang it — and
 * a read never goes past the size the file had when opened. Nothing but a
 * regular file is offered for hard-linking into an image's cache.
 */
import { closeSync, constants, copyFileSync, existsSync, fstatSync, lstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZpkgError } from '../core/errors.js';
import { tempPathBeside, writeFileAtomic } from '../fs/atomic.js';
import { kindOf, readBounded } from '../fs/in-root.js';
import { acquireLock } from '../fs/lock.js';
import { syncFilesystem } from '../fs/syncfs.js';
import type { ByteRange, DownloadOptions, FreshRead, RangeReadOptions, RangeSink, RepoWriter } from './backend.js';
import { readFileRanges } from './file-ranges.js';
import { notARepository, ROOT_FILE } from './layout.js';
import { writeDownloaded } from './local-write.js';
import { REPO_FILE_LIMIT, tooLarge } from './read-limit.js';
import { rangePastEnd, SinkFailure } from './ranges.js';

/** Local directory of a `file://` URL or plain path; undefined for other schemes. */
export function localDirOf(url: string): string | undefined {
  if (url.startsWith('file://')) return fileURLToPath(url);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return undefined;
  return resolve(url);
}

export class DirBackend implements RepoWriter {
  readonly location: string;

  constructor(readonly dir: string) {
    this.location = dir;
  }

  private abs(path: string): string {
    if (path.startsWith('/') || path.split('/').includes('..')) {
      throw new ZpkgError('E_PATH_UNSAFE', `repository path \`${path}\` escapes the repository`);
    }
    return join(this.dir, path);
  }

  private refuse(path: string, why: string): ZpkgError {
    return new ZpkgError('E_REPO_INVALID', `${join(this.dir, path)} ${why}`, { hint: 'a repository holds only regular files; check it with `zpkg repo verify`', details: { path } });
  }

  /** An open, non-blocking descriptor of the regular file at `path`, or undefined when it does not exist. */
  private openRegular(path: string): number | undefined {
    let fd: number;
    try {
      fd = openSync(this.abs(path), constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code === 'ENXIO') throw this.refuse(path, 'is a socket or a FIFO, not a regular file; it was not read');
      if (code === 'ENOTDIR') throw this.refuse(path, 'lies below something that is not a directory');
      throw err;
    }
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      throw this.refuse(path, `is ${kindOf(st)}, not a regular file; it was not read`);
    }
    return fd;
  }

  async read(path: string, max = REPO_FILE_LIMIT): Promise<Buffer | undefined> {
    return readBounded(this.abs(path), { maxBytes: max, code: 'E_REPO_INVALID', what: join(this.dir, path), hint: 'a repository holds only regular files; check it with `zpkg repo verify`' });
  }

  /**
   * The file's path when it is a regular file itself (not a link: linking one
   * into a cache would link the link; not a FIFO or device), or the
   * repository's own directory for `''`; else undefined, and it is read instead.
   */
  localPath(path: string): string | undefined {
    const abs = this.abs(path);
    if (path === '') return abs;
    try {
      return lstatSync(abs).isFile() ? abs : undefined;
    } catch {
      return undefined;
    }
  }

  async download(path: string, dest: string, options: DownloadOptions = {}): Promise<number | undefined> {
    const fd = this.openRegular(path);
    if (fd === undefined) return undefined;
    let size: number;
    try {
      size = fstatSync(fd).size;
      const max = options.max ?? REPO_FILE_LIMIT;
      if (size > max) throw tooLarge(this.dir, path, max, size);
      copyRegular(fd, size, dest);
    } finally {
      closeSync(fd);
    }
    options.onBytes?.(size);
    return size;
  }

  async readFresh(path: string, _validator?: string, max?: number): Promise<FreshRead> {
    const bytes = await this.read(path, max);
    return bytes ? { status: 'read', bytes } : { status: 'missing' };
  }

  async readRanges(path: string, ranges: readonly ByteRange[], sink: RangeSink, options: RangeReadOptions = {}): Promise<boolean> {
    const fd = this.openRegular(path);
    if (fd === undefined) return false;
    try {
      readFileRanges(fd, 0, ranges, sink, options.skip, fstatSync(fd).size);
    } catch (err) {
      if (err instanceof SinkFailure) throw err.original;
      if (err instanceof RangeError) throw rangePastEnd(`${this.dir}/${path}`, err.message);
      throw err;
    } finally {
      closeSync(fd);
    }
    return true;
  }

  async size(path: string): Promise<number | undefined> {
    const fd = this.openRegular(path);
    if (fd === undefined) return undefined;
    try {
      return fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  }

  async write(path: string, data: Uint8Array, options: { durable?: boolean } = {}): Promise<void> {
    writeFileAtomic(this.abs(path), data, options);
  }

  async writeFile(path: string, source: string): Promise<void> {
    const dest = this.abs(path);
    mkdirSync(dirname(dest), { recursive: true });
    try {
      renameSync(source, dest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      // Another filesystem: copied beside the target, then renamed over it.
      const tmp = tempPathBeside(dest);
      try {
        copyFileSync(source, tmp);
        renameSync(tmp, dest);
      } catch (copyErr) {
        rmSync(tmp, { force: true });
        throw copyErr;
      }
    }
  }

  async remove(path: string): Promise<void> {
    await rm(this.abs(path), { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    const base = this.abs(prefix);
    const out: string[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const e of entries) {
        const r = `${rel}${e.name}`;
        if (e.isDirectory()) await walk(join(dir, e.name), `${r}/`);
        else out.push(r);
      }
    };
    await walk(base, prefix.endsWith('/') || prefix === '' ? prefix : `${prefix}/`);
    return out.sort();
  }

  async sync(): Promise<void> {
    syncFilesystem(this.dir);
  }

  async lock(options: { noWait?: boolean; onWait?: () => void; create?: boolean } = {}): Promise<() => Promise<void>> {
    // `repo gc /some/dir` must not leave a directory and a lock file where no repository is.
    if (!options.create && (await this.size(ROOT_FILE)) === undefined) throw notARepository(this.location);
    await mkdir(this.dir, { recursive: true });
    const lock = acquireLock(join(this.dir, '.zpkg-lock'), { ...options, code: 'E_REPO_LOCKED', what: `repository ${this.dir}` });
    return async () => lock.release();
  }
}

/** Copies exactly `size` bytes of the open regular file `fd` to `dest` (created or truncated). */
function copyRegular(fd: number, size: number, dest: string): void {
  const out = openSync(dest, 'w');
  try {
    const buf = Buffer.allocUnsafe(Math.min(size, 1 << 20) || 1);
    let at = 0;
    while (at < size) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, size - at), at);
      if (n === 0) break;
      writeDownloaded(out, buf.subarray(0, n), dest);
      at += n;
    }
  } finally {
    closeSync(out);
  }
}

export function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

