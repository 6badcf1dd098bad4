/**
 * Atomic replacement of small files: write beside the target, optionally fsync,
 * rename over it. A reader sees the old content or the new one, never a mix.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync, unlinkSync, mkdirSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

let counter = 0;

export function tempPathBeside(path: string): string {
  counter += 1;
  return join(dirname(path), `.${basename(path)}.zpkg-tmp-${process.pid}-${counter}`);
}

export interface AtomicWriteOptions {
  /** fsync the file before the rename and the directory after it. */
  durable?: boolean;
  mode?: number;
}

export function writeFileAtomic(path: string, data: Uint8Array | string, options: AtomicWriteOptions = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathBeside(path);
  const fd = openSync(tmp, 'w', options.mode ?? 0o644);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    if (options.durable) fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
  if (options.durable) fsyncDir(dirname(path));
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
