/**
 * Issue 16 §3 "Local repositories": a FIFO, a device, a directory or a link in
 * place of a file of a directory repository (root.json, a catalog, a record, a
 * pack) is refused before a byte of it is read — every open is non-blocking,
 * so nothing hangs — a read stops at the size the file had, and only a
 * regular file is ever hard-linked into an image's content cache
 * (src/repo/dir-backend.ts, src/repo/archive-reader.ts, src/fs/in-root.ts).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { digestOf, type Digest } from '../../src/core/digest.js';
import { packPath, recordPath } from '../../src/repo/layout.js';
import { craft, readRecordParts } from '../helpers/packs.js';
import { expectRefused, fileAction, hostileImage, hostileWorld, manifestOf, type HostileWorld } from '../helpers/hostile.js';
import { ok, snapshot, zpkg } from '../helpers/zpkg.js';

const LONG = 10 * 60_000;
const canMknod = process.getuid?.() === 0;

const mkfifo = (path: string): void => {
  execFileSync('mkfifo', [path]);
};
/** Replaces the file at `path` by `make(path)` (a FIFO, a link, a directory, a device). */
const replace = (path: string, make: (p: string) => void): void => {
  rmSync(path, { force: true, recursive: true });
  make(path);
};
const files = (dir: string): string[] => {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
};

/** Publishes `plain` and returns its record digest and the path of the pack holding its blob. */
async function publishPlain(world: HostileWorld): Promise<{ digest: Digest; pack: string; record: string }> {
  const content = Buffer.from('hello from a pack\n');
  const digest = await craft(world.repo, manifestOf('plain', [fileAction('usr/share/plain', content)]), [content]);
  const { map } = readRecordParts(world.repo, digest);
  const packDigest = JSON.stringify(map).match(/sha256:[0-9a-f]{64}/g)!.find((d) => statExists(join(world.repo, packPath(d as Digest))))! as Digest;
  expect(digestOf(content)).not.toBe(packDigest);
  return { digest, pack: join(world.repo, packPath(packDigest)), record: join(world.repo, recordPath(digest)) };
}

const statExists = (p: string): boolean => {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
};

/** The new catalog file a publish made. */
async function newCatalog(world: HostileWorld, publish: () => Promise<unknown>): Promise<string> {
  const before = new Set(files(join(world.repo, 'catalog')));
  await publish();
  const added = files(join(world.repo, 'catalog')).filter((n) => !before.has(n));
  expect(added).toHaveLength(1);
  return join(world.repo, 'catalog', added[0]!);
}

/** What the image's content cache holds that is not a regular file or a directory (nothing, ever). */
function oddCacheEntries(root: string): string[] {
  return snapshot(join(root, 'var/lib/zpkg/cache')).filter((l) => !/ (file|dir)( |$)/.test(l));
}

/** A fresh image directory (no state yet). */
const bare = (world: HostileWorld, name: string): string => {
  const root = join(world.work, name);
  mkdirSync(root);
  return root;
};

// Reading root.json is how a remote is reached: a repository refused there is `E_REMOTE_UNREACHABLE`
// (image/remotes.ts, so that a mirror is tried next), its message naming the file and the reason.
describe('root.json of a directory repository', () => {
  it('a FIFO: `refresh` refuses without hanging', () => {
    const world = hostileWorld();
    const root = hostileImage(world, 'img');
    replace(join(world.repo, 'root.json'), mkfifo);
    expectRefused(world, root, ['refresh'], { code: 'E_REMOTE_UNREACHABLE', message: /root\.json: is a FIFO/ });
  }, LONG);

  it('a link to /dev/zero: refused unread', () => {
    const world = hostileWorld();
    const root = hostileImage(world, 'img');
    replace(join(world.repo, 'root.json'), (p) => symlinkSync('/dev/zero', p));
    expectRefused(world, root, ['refresh'], { code: 'E_REMOTE_UNREACHABLE', message: /root\.json: is a character device/ });
  }, LONG);

  it('a directory: refused typed', () => {
    const world = hostileWorld();
    const root = hostileImage(world, 'img');
    replace(join(world.repo, 'root.json'), (p) => mkdirSync(p));
    expectRefused(world, root, ['refresh'], { code: 'E_REMOTE_UNREACHABLE', message: /root\.json: is a directory/ });
  }, LONG);

  it('a FIFO before the first refresh: refused without hanging', async () => {
    const world = hostileWorld();
    await publishPlain(world);
    const root = bare(world, 'img');
    ok(['--root', root, 'remote', 'add', 'main', world.repo, '--insecure']);
    replace(join(world.repo, 'root.json'), mkfifo);
    expectRefused(world, root, ['refresh'], { code: 'E_REMOTE_UNREACHABLE', message: /FIFO/ });
  }, LONG);

  it.skipIf(!canMknod)('a character device node in the repository itself: refused unread', () => {
    const world = hostileWorld();
    const root = hostileImage(world, 'img');
    replace(join(world.repo, 'root.json'), (p) => execFileSync('mknod', [p, 'c', '1', '5']));
    expectRefused(world, root, ['refresh'], { code: 'E_REMOTE_UNREACHABLE', message: /character device/ });
  }, LONG);
});

describe('the repository location itself', () => {
  it('a FIFO given as the repository: refused without hanging', () => {
    const world = hostileWorld();
    const fifo = join(world.work, 'repo.fifo');
    mkfifo(fifo);
    const root = bare(world, 'img');
    ok(['--root', root, 'remote', 'add', 'main', fifo, '--insecure']);
    expectRefused(world, root, ['refresh'], { code: 'E_REMOTE_UNREACHABLE', message: /not a directory/ });
  }, LONG);

  it('/dev/zero given as the repository: refused without reading it', () => {
    const world = hostileWorld();
    const root = bare(world, 'img');
    ok(['--root', root, 'remote', 'add', 'main', '/dev/zero', '--insecure']);
    expectRefused(world, root, ['refresh'], { code: 'E_REMOTE_UNREACHABLE', message: /not a directory/ });
  }, LONG);
});

describe('catalogs of a directory repository', () => {
  it('a FIFO in place of the new catalog: `refresh` refuses without hanging', async () => {
    const world = hostileWorld();
    const root = hostileImage(world, 'img');
    const catalog = await newCatalog(world, () => publishPlain(world));
    replace(catalog, mkfifo);
    expectRefused(world, root, ['refresh'], { code: 'E_REPO_INVALID', message: /catalog.*FIFO/ });
  }, LONG);

  it('a link to /dev/zero in place of the new catalog: refused unread', async () => {
    const world = hostileWorld();
    const root = hostileImage(world, 'img');
    const catalog = await newCatalog(world, () => publishPlain(world));
    replace(catalog, (p) => symlinkSync('/dev/zero', p));
    expectRefused(world, root, ['refresh'], { code: 'E_REPO_INVALID', message: /catalog.*character device/ });
  }, LONG);

  it('a directory in place of the new catalog: refused typed', async () => {
    const world = hostileWorld();
    const root = hostileImage(world, 'img');
    const catalog = await newCatalog(world, () => publishPlain(world));
    replace(catalog, (p) => mkdirSync(p));
    expectRefused(world, root, ['refresh'], { code: 'E_REPO_INVALID', message: /directory/ });
  }, LONG);
});

describe('records and packs of a directory repository', () => {
  it('a FIFO in place of a record: `install` refuses without hanging', async () => {
    const world = hostileWorld();
    const { record } = await publishPlain(world);
    const root = hostileImage(world, 'img');
    replace(record, mkfifo);
    expectRefused(world, root, ['install', 'plain'], { code: 'E_REPO_INVALID', message: /FIFO/ });
  }, LONG);

  it('a link to another record outside the repository: read as a regular file and refused by its digest', async () => {
    const world = hostileWorld();
    const { record } = await publishPlain(world);
    const other = Buffer.from('other\n');
    const otherDigest = await craft(world.repo, manifestOf('other', [fileAction('usr/share/other', other)]), [other]);
    const outside = join(world.work, 'outside.zst');
    copyFileSync(join(world.repo, recordPath(otherDigest)), outside);
    const root = hostileImage(world, 'img');
    replace(record, (p) => symlinkSync(outside, p));
    expectRefused(world, root, ['install', 'plain'], { code: 'E_DIGEST_MISMATCH' });
  }, LONG);

  it('a FIFO in place of a pack: `install` refuses without hanging, and nothing odd enters the cache', async () => {
    const world = hostileWorld();
    const { pack } = await publishPlain(world);
    const root = hostileImage(world, 'img');
    replace(pack, mkfifo);
    expectRefused(world, root, ['install', 'plain'], { code: 'E_REPO_INVALID', message: /FIFO/ });
    expect(oddCacheEntries(root)).toEqual([]);
  }, LONG);

  it('a link to /dev/zero in place of a pack: refused unread, never hard-linked into the cache', async () => {
    const world = hostileWorld();
    const { pack } = await publishPlain(world);
    const root = hostileImage(world, 'img');
    replace(pack, (p) => symlinkSync('/dev/zero', p));
    expectRefused(world, root, ['install', 'plain'], { code: 'E_REPO_INVALID', message: /character device/ });
    expect(oddCacheEntries(root)).toEqual([]);
  }, LONG);

  it('a directory in place of a pack: refused typed', async () => {
    const world = hostileWorld();
    const { pack } = await publishPlain(world);
    const root = hostileImage(world, 'img');
    replace(pack, (p) => mkdirSync(p));
    expectRefused(world, root, ['install', 'plain'], { code: 'E_REPO_INVALID', message: /directory/ });
    expect(oddCacheEntries(root)).toEqual([]);
  }, LONG);

  it('a pack that is a link to a regular copy: installed, and the cache holds a regular file, not the link', async () => {
    const world = hostileWorld();
    const { pack } = await publishPlain(world);
    const root = hostileImage(world, 'img');
    const copy = join(world.work, 'elsewhere.pack');
    copyFileSync(pack, copy);
    replace(pack, (p) => symlinkSync(copy, p));
    ok(['--root', root, 'install', 'plain']);
    expect(oddCacheEntries(root)).toEqual([]);
    expect(snapshot(join(root, 'var/lib/zpkg/cache')).some((l) => / file /.test(l))).toBe(true);
    ok(['--root', root, 'verify']);
  }, LONG);
});

describe('repository archives', () => {
  it('a FIFO where the archive was: `refresh` refuses without hanging', async () => {
    const world = hostileWorld();
    await publishPlain(world);
    const archive = join(world.work, 'repo.zpar');
    ok(['repo', 'archive', world.repo, archive]);
    const root = hostileImage(world, 'img', { repo: archive });
    replace(archive, mkfifo);
    expectRefused(world, root, ['refresh'], { code: 'E_REMOTE_UNREACHABLE', message: /not a directory/ });
  }, LONG);

  it('an archive replaced by a link to /dev/zero: refused unread', async () => {
    const world = hostileWorld();
    await publishPlain(world);
    const archive = join(world.work, 'repo.zpar');
    ok(['repo', 'archive', world.repo, archive]);
    const root = hostileImage(world, 'img', { repo: archive });
    replace(archive, (p) => symlinkSync('/dev/zero', p));
    expectRefused(world, root, ['refresh'], { code: 'E_REMOTE_UNREACHABLE', message: /not a directory/ });
  }, LONG);
});
