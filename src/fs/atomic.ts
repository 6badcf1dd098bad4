/**
 * Atomic replacement of small files: write beside the target, optionally fsync,
 * rename over it. A reader sees the old content or the new one, never a mix.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync, unlinkSync, mkdirSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

let counter = 0;

export function tempPathBeside(path: string, tmpDir?: string): string {
  counter += 1;
  return join(tmpDir ?? dirname(path), `.${basename(path)}.zpkg-tmp-${process.pid}-${counter}`);
}

export interface AtomicWriteOptions {
  /** fsync the file before the rename and the directory after it. */
  durable?: boolean;
  mode?: number;
  /** Where the temporary goes (same filesystem), so an interrupted writer's leftovers are found in one place. */
  tmpDir?: string;
}

export function writeFileAtomic(path: string, data: Uint8Array | string, options: AtomicWriteOptions = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  if (options.tmpDir) mkdirSync(options.tmpDir, { recursive: true });
  const tmp = tempPathBeside(path, options.tmpDir);
  // O_EXCL: a link planted at the temporary's name is never followed (a stale one from a dead pid is removed first).
  rmSync(tmp, { force: true });
  const fd = openSync(tmp, 'wx', options.mode ?? 0o644);
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
