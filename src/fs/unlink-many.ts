/**
 * Unlinks many files at once on libuv's thread pool. Removing a file from a
 * disk filesystem is mostly the kernel freeing its blocks (ext4: ~95 µs a
 * file here), and several unlinks in flight overlap that work; an `lstat`
 * before each (what `rmSync` does) only adds a syscall. A path that is
 * already gone is no error; a directory is (EISDIR/EPERM), as with
 * `unlinkSync`. Every unlink is tried; the first failure is thrown after the
 * others have settled, so what can go has gone.
 */
import { unlink } from 'node:fs/promises';

export async function unlinkMany(paths: readonly string[], inFlight: number): Promise<void> {
  let next = 0;
  let failure: unknown;
  const lane = async (): Promise<void> => {
    while (next < paths.length) {
      const path = paths[next++]!;
      try {
        await unlink(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(inFlight, paths.length)) }, lane));
  if (failure !== undefined) throw failure;
}
