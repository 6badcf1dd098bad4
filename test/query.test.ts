/**
 * The library behind `zpkg search` and `zpkg info` (src/txn/query.ts), called
 * directly on a real image whose remote is a real repository: what matches,
 * which version is shown, what is installed, and a never-refreshed remote
 * refreshed on first use.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImage, type Image } from '../src/image/image.js';
import { addRemote } from '../src/image/remotes.js';
import { resolveTrustedKey } from '../src/repo/trust/key-file.js';
import { packageInfo, searchPackages, searchPaths } from '../src/txn/query.js';
import { ok, tempDir, TEST_PUB, writePackage } from './helpers/zpkg.js';

let work: string;
let repo: string;
let root: string;
let image: Image;

beforeAll(() => {
  work = tempDir('zpkg-query-');
  repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  const src = (name: string, recipe: Record<string, unknown>, files: Record<string, string>): string => writePackage(join(work, name), recipe, files);
  ok(['build',
    src('tool-1', { name: 'tool', version: '1.0', summary: 'a useful tool' }, { 'usr/bin/tool': 'one\n' }),
    src('tool-2', { name: 'tool', version: '1.10', summary: 'a useful tool' }, { 'usr/bin/tool': 'two\n', 'usr/share/doc/tool/README': 'doc\n' }),
    src('tool-0', { name: 'tool', version: '1.9', summary: 'a useful tool' }, { 'usr/bin/tool': 'nine\n' }),
    src('libuse', { name: 'libuse', version: '2.0', summary: 'helpers', depends: ['tool (>= 1.0)'], provides: ['usefulness'] }, { 'usr/lib/libuse.so': 'lib\n' }),
    src('other', { name: 'other', version: '1', summary: 'nothing to see' }, { 'usr/share/other/README': 'x\n' }),
    '--repo', repo]);
  root = join(work, 'image');
  image = openImage(root, { create: true });
  addRemote(image, { name: 'main', url: repo, keys: [resolveTrustedKey(TEST_PUB)] });
});
afterAll(() => image?.close());

describe('searchPackages', () => {
  it('matches names and summaries case-insensitively, newest version of each, sorted by name; refreshes the remote first', async () => {
    expect(existsSync(join(root, 'var/lib/zpkg/repos/main/catalog.zst'))).toBe(false);
    expect(await searchPackages(image, 'USE')).toEqual([
      { name: 'libuse', version: '2.0', summary: 'helpers', remote: 'main', installed: null },
      { name: 'tool', version: '1.10', summary: 'a useful tool', remote: 'main', installed: null },
    ]);
    expect(existsSync(join(root, 'var/lib/zpkg/repos/main/catalog.zst'))).toBe(true);
    expect(await searchPackages(image, 'no-such-thing')).toEqual([]);
  });
});

describe('searchPaths', () => {
  it('finds the package versions delivering a matching path, sorted by path', async () => {
    expect(await searchPaths(image, 'README')).toEqual([
      { path: 'usr/share/doc/tool/README', package: 'tool', version: '1.10', remote: 'main', installed: false },
      { path: 'usr/share/other/README', package: 'other', version: '1', remote: 'main', installed: false },
    ]);
    expect((await searchPaths(image, 'usr/bin/tool')).map((h) => h.version).sort()).toEqual(['1.0', '1.10', '1.9']);
  });
});

describe('packageInfo', () => {
  it('a package only offered: the newest version describes it, every version listed newest first', async () => {
    expect(await packageInfo(image, 'libuse')).toEqual({
      name: 'libuse',
      installed: null,
      available: [{ version: '2.0', remote: 'main', arch: 'all', out: null }],
      hold: null,
      arch: 'all',
      summary: 'helpers',
      depends: ['tool (>= 1.0)'],
      conflicts: [],
      provides: ['usefulness'],
      replaces: [],
      recommends: [],
      suggests: [],
      // The catalog carries neither: they come from the offered version's manifest (fetched and checked, as `apt show` prints them).
      license: 'MIT',
      description: '',
    });
    expect((await packageInfo(image, 'tool')).available.map((a) => a.version)).toEqual(['1.10', '1.9', '1.0']);
  });

  it('an installed package: as installed, and search marks it', async () => {
    // Installed by another process (the real binary) while this one holds the image open.
    ok(['--root', root, 'install', 'tool=1.9']);
    const info = await packageInfo(image, 'tool');
    expect(info.installed).toMatchObject({ version: '1.9', requested: true, held: false, remote: 'main' });
    expect(info.summary).toBe('a useful tool');
    expect(info.available).toHaveLength(3);
    expect((await searchPackages(image, 'tool')).find((m) => m.name === 'tool')).toMatchObject({ version: '1.10', installed: '1.9' });
    expect((await searchPaths(image, 'usr/bin/tool')).filter((h) => h.installed).map((h) => h.version)).toEqual(['1.9']);
  });

  it('a name nobody knows', async () => {
    await expect(packageInfo(image, 'nope')).rejects.toMatchObject({ code: 'E_PACKAGE_UNKNOWN', message: 'no package named `nope` is installed or offered by a remote' });
  });
});
