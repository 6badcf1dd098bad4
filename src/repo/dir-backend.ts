/** The `dir` backend: a repository in a local directory (a path or `file://` URL). */
import { closeSync, copyFileSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZpkgError } from '../core/errors.js';
import { tempPathBeside, writeFileAtomic } from '../fs/atomic.js';
import { acquireLock } from '../fs/lock.js';
import { syncFilesystem } from '../fs/syncfs.js';
import type { ByteRange, DownloadOptions, FreshRead, RangeReadOptions, RangeSink, RepoWriter } from './backend.js';
import { readFileRanges } from './file-ranges.js';
import { rangePastEnd } from './ranges.js';

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

  async read(path: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.abs(path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  localPath(path: string): string | undefined {
    return this.abs(path);
  }

  async download(path: string, dest: string, options: DownloadOptions = {}): Promise<number | undefined> {
    try {
      await copyFile(this.abs(path), dest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !existsSync(this.abs(path))) return undefined;
      throw err;
    }
    const size = (await stat(dest)).size;
    options.onBytes?.(size);
    return size;
  }

  async readFresh(path: string): Promise<FreshRead> {
    const bytes = await this.read(path);
    return bytes ? { status: 'read', bytes } : { status: 'missing' };
  }

  async readRanges(path: string, ranges: readonly ByteRange[], sink: RangeSink, options: RangeReadOptions = {}): Promise<boolean> {
    let fd: number;
    try {
      fd = openSync(this.abs(path), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    try {
      readFileRanges(fd, 0, ranges, sink, options.skip, fstatSync(fd).size);
    } catch (err) {
      if (err instanceof RangeError) throw rangePastEnd(`${this.dir}/${path}`, err.message);
      throw err;
    } finally {
      closeSync(fd);
    }
    return true;
  }

  async size(path: string): Promise<number | undefined> {
    try {
      return (await stat(this.abs(path))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
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

  async lock(options: { noWait?: boolean; onWait?: () => void } = {}): Promise<() => void> {
    await mkdir(this.dir, { recursive: true });
    const lock = acquireLock(join(this.dir, '.zpkg-lock'), { ...options, code: 'E_REPO_LOCKED', what: `repository ${this.dir}` });
    return () => lock.release();
  }
}

export function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

