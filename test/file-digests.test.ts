/**
 * hashTree hands files to its workers in batches as its walk finds them
 * (src/build/file-digests.ts): every file of a tree of several batches, in
 * nested directories, must come out with its own digest, size and head;
 * symlinks are not followed, and a small tree is left to be read on demand.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashTree, knownFacts } from '../src/build/file-digests.js';

const top = mkdtempSync(join(tmpdir(), 'zpkg-file-digests-'));
afterAll(() => rmSync(top, { recursive: true, force: true }));

function tree(name: string, files: number): Map<string, Buffer> {
  const dir = join(top, name);
  const made = new Map<string, Buffer>();
  for (let i = 0; i < files; i++) {
    const sub = join(dir, `d${i % 7}`, `e${i % 3}`);
    mkdirSync(sub, { recursive: true });
    const content = Buffer.from(`file ${i} of ${name}\n`.repeat(1 + (i % 50)));
    writeFileSync(join(sub, `f${i}`), content);
    made.set(join(sub, `f${i}`), content);
  }
  symlinkSync('/etc/hostname', join(dir, 'link'));
  return made;
}

describe('hashTree', () => {
  it('knows every file of a tree of several batches, with its digest, size and head', async () => {
    const made = tree('big', 700);
    await hashTree(join(top, 'big'));
    for (const [abs, content] of made) {
      const f = knownFacts(abs, lstatSync(abs));
      expect(f, abs).toBeDefined();
      expect(f!.digest).toBe(`sha256:${createHash('sha256').update(content).digest('hex')}`);
      expect(f!.size).toBe(content.length);
      expect(f!.head.equals(content.subarray(0, f!.head.length))).toBe(true);
    }
    expect(knownFacts(join(top, 'big', 'link'), lstatSync(join(top, 'big', 'link')))).toBeUndefined();
  });

  it('leaves a tree of a few files to be read when asked for', async () => {
    const made = tree('small', 10);
    await hashTree(join(top, 'small'));
    for (const abs of made.keys()) expect(knownFacts(abs, lstatSync(abs))).toBeUndefined();
  });
});
