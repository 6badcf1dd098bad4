// A full disk during a transaction: a clear E_NO_SPACE, and the image exactly as it was.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, snapshot, tempDir, writePackage, zpkg, TRUST } from './helpers/zpkg.js';

let work: string;
let root: string;
let repo: string;

beforeAll(() => {
  work = tempDir();
  root = join(work, 'img');
  mkdirSync(root);
  // A 4 MiB filesystem of its own for the image (tests run as root).
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', root]);
  repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  const big = (fill: () => Buffer): Record<string, { content: Buffer; mode: number }> =>
    Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`opt/big/part${i}`, { content: fill(), mode: 0o644 }]));
  writePackage(join(work, 'small1'), { name: 'small', version: '1' }, { 'etc/small': 'one\n' });
  writePackage(join(work, 'small2'), { name: 'small', version: '2' }, { 'etc/small': 'two\n', ...big(() => Buffer.alloc(1536 * 1024)) });
  writePackage(join(work, 'noise'), { name: 'noise', version: '1' }, big(() => randomBytes(1536 * 1024)));
  ok(['build', join(work, 'small1'), join(work, 'small2'), join(work, 'noise'), '--repo', repo]);
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  ok(['--root', root, 'install', 'small=1']);
});

afterAll(() => {
  execFileSync('umount', [root]);
});

function refusedNoSpace(args: string[], where: RegExp): void {
  const before = snapshot(root, (r) => r.startsWith('var/lib/zpkg'));
  const r = zpkg(['--root', root, '--json', ...args]);
  expect(r.status, r.stdout).toBe(1);
  expect(r.json.error.code).toBe('E_NO_SPACE');
  expect(r.json.error.message).toMatch(/no space left on the image's filesystem/);
  expect(r.json.error.message).toMatch(where);
  expect(snapshot(root, (x) => x.startsWith('var/lib/zpkg'))).toEqual(before);
  expect(snapshot(root).filter((l) => /\.zpkg-|\.part /.test(l))).toEqual([]);
  expect(zpkg(['--root', root, 'verify']).status).toBe(0);
}

describe('disk full', () => {
  it('while fetching blobs into the cache (incompressible content)', () => {
    refusedNoSpace(['install', 'noise'], /for the content cache/);
  });

  it('while staging an upgrade (content that compresses well but not on disk): the old version stays', () => {
    refusedNoSpace(['install', 'small=2'], /while writing `opt\/big\/part\d`/);
    expect(ok(['--root', root, '--json', 'list']).json.packages).toMatchObject([{ name: 'small', version: '1' }]);
  });
});
