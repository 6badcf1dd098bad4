/**
 * rfs's directory store (`src/store/dir.rs`, scheme `dir://PATH`): block ID
 * (hex) is the file `PATH/ID[0:2]/ID`; `get` also looks at `PATH/ID`, the
 * older flat layout, as rfs does. Unlike rfs, reading never creates the
 * directory, and a block is written beside its name and renamed into place,
 * so a reader never sees half a block.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { ZpkgError } from '../../core/errors.js';
import { writeFileAtomic } from '../../fs/atomic.js';
import { syncFilesystem } from '../../fs/syncfs.js';
import { oversize, type BlockStore } from './types.js';

export class DirStore implements BlockStore {
  readonly display: string;
  constructor(readonly url: string, private readonly root: string) {
    this.display = url;
  }

  private paths(id: Buffer): string[] {
    const hex = id.toString('hex');
    return [join(this.root, hex.slice(0, 2), hex), join(this.root, hex)];
  }

  async get(id: Buffer, maxBytes: number): Promise<Buffer | undefined> {
    for (const path of this.paths(id)) {
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
        throw new ZpkgError('E_IO', `${this.display}: cannot read block ${id.toString('hex')}: ${(err as Error).message}`, { cause: err });
      }
      try {
        const size = fstatSync(fd).size;
        if (size > maxBytes) throw oversize(this.display, id, size, maxBytes);
        const buf = Buffer.alloc(size);
        let off = 0;
        while (off < size) {
          const n = readSync(fd, buf, off, size - off, off);
          if (n === 0) break;
          off += n;
        }
        return buf.subarray(0, off);
      } finally {
        closeSync(fd);
      }
    }
    return undefined;
  }

  async has(id: Buffer): Promise<boolean> {
    return this.paths(id).some((p) => existsSync(p));
  }

  async set(id: Buffer, data: Buffer): Promise<void> {
    try {
      writeFileAtomic(this.paths(id)[0]!, data);
    } catch (err) {
      throw new ZpkgError(((err as NodeJS.ErrnoException).code === 'ENOSPC' ? 'E_NO_SPACE' : 'E_IO'), `${this.display}: cannot write block ${id.toString('hex')}: ${(err as Error).message}`, { cause: err });
    }
  }

  async sync(): Promise<void> {
    if (existsSync(this.root)) syncFilesystem(this.root);
  }

  async close(): Promise<void> {}
}
