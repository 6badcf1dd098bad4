/**
 * `verify` reads nothing outside the image (issue 16 §1): when a directory of
 * installed paths has been replaced by a symlink leading out of the image (an
 * absolute target means the host to the kernel), every path under it is
 * reported as lying under that link, and not one host file is read — on
 * check workers and on the calling thread (where the command checks an image
 * this small), and through the command. Before, verify hashed the host's
 * files and, finding copies there, called the image intact.
 */
import { cpSync, renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ok, tempDir, TRUST, writePackage, zpkg, type TreeEntry } from '../helpers/zpkg.js';
import { verifyOn } from '../helpers/verify.js';

function imageWith(files: number): { root: string; paths: string[] } {
  const work = tempDir('zpkg-verify-outside-');
  const repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  const tree: Record<string, TreeEntry> = {};
  for (let i = 0; i < files; i++) tree[`opt/pkg/data/f${i}`] = `content ${i}\n`;
  ok(['build', writePackage(join(work, 'src'), { name: 'pkg', version: '1' }, tree), '--repo', repo]);
  const root = join(work, 'img');
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  ok(['--root', root, 'install', 'pkg']);
  return { root, paths: Object.keys(tree) };
}

/** Moves the image's `opt/pkg/data` to the host and puts an absolute link to it in its place: the host copy is identical. */
function linkOut(root: string): void {
  const host = join(tempDir('zpkg-verify-host-'), 'data');
  cpSync(join(root, 'opt/pkg/data'), host, { recursive: true });
  renameSync(join(root, 'opt/pkg/data'), join(root, 'opt/pkg/data.moved'));
  symlinkSync(host, join(root, 'opt/pkg/data'));
}

describe('verify never reads through a link that leaves the image', () => {
  it('every path under the link is named, none is read: on check workers, on the calling thread, through the command', async () => {
    const { root, paths } = imageWith(80);
    expect(ok(['--root', root, '--json', 'verify']).json.problems).toEqual([]);
    linkOut(root);
    const r = zpkg(['--root', root, '--json', 'verify']);
    expect(r.status).toBe(1);
    for (const problems of [r.json.problems as { path: string; problem: string }[], (await verifyOn(root, 'workers')).problems, (await verifyOn(root, 'thread')).problems]) {
      expect(problems.map((p) => p.path).sort()).toEqual([...paths].sort());
      for (const p of problems) expect(p.problem).toBe('lies under a symlink that leads out of the image: not read');
    }
  });

  it('a link inside the image (merged-/usr style, relative) is followed as before', () => {
    const { root } = imageWith(3);
    renameSync(join(root, 'opt/pkg/data'), join(root, 'opt/pkg/data.real'));
    symlinkSync('data.real', join(root, 'opt/pkg/data'));
    expect(ok(['--root', root, '--json', 'verify']).json.problems).toEqual([]);
  });
});
