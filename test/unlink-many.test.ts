/**
 * fs/unlink-many.ts: many unlinks in flight on the thread pool (a removal's
 * or an upgrade's backups, after the commit). Files and links go (a link,
 * not what it points to); a path already gone is no error; a directory is,
 * thrown only after every other path was tried.
 */
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unlinkMany } from '../src/fs/unlink-many.js';
import { tempDir } from './helpers/zpkg.js';

describe('unlinkMany', () => {
  it('unlinks every file and link, a missing path included, whatever the number in flight', async () => {
    for (const inFlight of [1, 3, 64]) {
      const dir = tempDir('zpkg-unlink-');
      const outside = join(tempDir('zpkg-unlink-outside-'), 'kept');
      writeFileSync(outside, 'not the removal\'s');
      const paths: string[] = [];
      for (let i = 0; i < 50; i++) {
        writeFileSync(join(dir, `f${i}`), `${i}`);
        paths.push(join(dir, `f${i}`));
      }
      symlinkSync(outside, join(dir, 'link'));
      paths.push(join(dir, 'link'), join(dir, 'never-there'));
      await unlinkMany(paths, inFlight);
      expect(readdirSync(dir), `${inFlight} in flight`).toEqual([]);
      expect(existsSync(outside)).toBe(true);
    }
    await unlinkMany([], 8);
  });

  it('a directory among them is an error, thrown once the other paths are gone; the directory stays', async () => {
    const dir = tempDir('zpkg-unlink-dir-');
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'd/inside'), 'x');
    const paths = [join(dir, 'a'), join(dir, 'd'), join(dir, 'b'), join(dir, 'c')];
    for (const p of [paths[0]!, paths[2]!, paths[3]!]) writeFileSync(p, 'x');
    await expect(unlinkMany(paths, 2)).rejects.toMatchObject({ code: expect.stringMatching(/^(EISDIR|EPERM)$/), path: join(dir, 'd') });
    expect(readdirSync(dir)).toEqual(['d']);
    expect(readdirSync(join(dir, 'd'))).toEqual(['inside']);
  });
});
