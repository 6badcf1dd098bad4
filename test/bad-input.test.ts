// Bad input gets a typed error, a non-zero exit, and changes nothing on disk.
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { digestOf, type Digest } from '../src/core/digest.js';
import { DirBackend } from '../src/repo/dir-backend.js';
import { readSnapshot } from '../src/repo/snapshot.js';
import { tamperBlob } from '../bench/shared/tamper-pack.js';
import { craft, garbleFrame, removePack, rewriteRecord } from './helpers/packs.js';
import { ok, snapshot, tempDir, writePackage, zpkg, TEST_KEY, TRUST } from './helpers/zpkg.js';

let work: string;

const fileAction = (path: string, content: Buffer) => ({ type: 'file', path, mode: '0644', owner: 'root', group: 'root', size: content.length, digest: digestOf(content) });
const meta = (name: string, actions: unknown[]) => ({ format: 1, name, version: '1.0', arch: 'all', summary: '', description: '', license: 'MIT', depends: [], conflicts: [], provides: [], replaces: [], actions });

/** What must not change: the image tree outside zpkg's cache, and every row of state.db. */
function state(root: string): unknown {
  const tree = snapshot(root, (rel) => rel.startsWith('var/lib/zpkg'));
  const dbPath = join(root, 'var/lib/zpkg/state.db');
  if (!existsSync(dbPath)) return { tree, db: null };
  const db = new Database(dbPath, { readonly: true });
  const rows = Object.fromEntries(['packages', 'files', 'dirs', 'history'].map((t) => [t, db.prepare(`SELECT * FROM ${t}`).all()]));
  db.close();
  return { tree, db: rows };
}

function freshImage(name: string, repo: string, setup?: (root: string) => void): string {
  const root = join(work, name);
  mkdirSync(root, { recursive: true });
  setup?.(root);
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  ok(['--root', root, 'refresh']);
  return root;
}

function refuse(root: string, args: string[], code: string, message: RegExp): void {
  const before = state(root);
  const r = zpkg(['--root', root, '--json', ...args]);
  expect(r.status, r.stdout + r.stderr).not.toBe(0);
  expect(r.json?.error?.code, r.stdout).toBe(code);
  expect(r.json.error.message).toMatch(message);
  expect(state(root)).toEqual(before);
  // No staged temporaries anywhere in the image.
  expect(snapshot(root).filter((l) => l.includes('.zpkg-'))).toEqual([]);
}

beforeAll(() => {
  work = tempDir();
});

describe('bad repositories', () => {
  it('a corrupt blob aborts the install before anything changes, even after other files were staged', async () => {
    const repo = join(work, 'repo-corrupt');
    ok(['repo', 'create', repo]);
    const files: Record<string, string> = {};
    // More files than the inline limit, so staging runs in worker threads.
    for (let i = 0; i < 400; i++) files[`usr/share/many/f${String(i).padStart(3, '0')}`] = `content ${i}\n`;
    writePackage(join(work, 'src-many'), { name: 'many', version: '1' }, files);
    ok(['build', join(work, 'src-many'), '--repo', repo]);
    const victim = digestOf(Buffer.from('content 399\n'));
    // Valid zstd, a valid pack, a blob map to match: only the content is wrong.
    tamperBlob(repo, victim, () => Buffer.from('content 39X\n'));
    const root = freshImage('img-corrupt', repo);
    refuse(root, ['install', 'many'], 'E_DIGEST_MISMATCH', /content 399|is corrupt: it decompresses to content hashing to/);
    // Nothing from that pack entered the cache.
    expect(existsSync(join(root, 'var/lib/zpkg/cache/packs')) ? readdirSync(join(root, 'var/lib/zpkg/cache/packs')) : []).toEqual([]);
    garbleFrame(repo, victim);
    refuse(root, ['install', 'many'], 'E_DIGEST_MISMATCH', /is corrupt: not a valid zstd frame/);
    expect(zpkg(['repo', 'verify', repo]).status).toBe(1);
  });

  it('a missing blob aborts the install (worker path)', () => {
    const repo = join(work, 'repo-missing-many');
    ok(['repo', 'create', repo]);
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i++) files[`opt/m/f${i}`] = `m ${i}\n`;
    writePackage(join(work, 'src-missmany'), { name: 'missmany', version: '1' }, files);
    ok(['build', join(work, 'src-missmany'), '--repo', repo]);
    removePack(repo, digestOf(Buffer.from('m 150\n')));
    const root = freshImage('img-missing-many', repo);
    refuse(root, ['install', 'missmany'], 'E_BLOB_MISSING', /pack sha256:[0-9a-f]+ is missing/);
  });

  it('a missing blob aborts the install', () => {
    const repo = join(work, 'repo-missing');
    ok(['repo', 'create', repo]);
    writePackage(join(work, 'src-miss'), { name: 'miss', version: '1' }, { 'etc/a': 'a\n', 'etc/b': 'b\n' });
    ok(['build', join(work, 'src-miss'), '--repo', repo]);
    removePack(repo, digestOf(Buffer.from('b\n')));
    const root = freshImage('img-missing', repo);
    refuse(root, ['install', 'miss'], 'E_BLOB_MISSING', /pack sha256:[0-9a-f]+ is missing/);
    const v = zpkg(['--json', 'repo', 'verify', repo]);
    expect(v.status).toBe(1);
    expect(v.json.problems[0].problem).toMatch(/is missing \(needed by miss 1\)/);
  });

  it('a corrupt manifest is refused by its digest', async () => {
    const repo = join(work, 'repo-badmanifest');
    ok(['repo', 'create', repo]);
    writePackage(join(work, 'src-m'), { name: 'mpkg', version: '1' }, { 'etc/m': 'm\n' });
    ok(['build', join(work, 'src-m'), '--repo', repo]);
    const snap = await readSnapshot(new DirBackend(repo));
    rewriteRecord(repo, snap.entries[0]!.manifest as Digest, { manifestBytes: Buffer.from('{"format":1}') });
    const root = freshImage('img-badmanifest', repo);
    refuse(root, ['install', 'mpkg'], 'E_DIGEST_MISMATCH', /manifest .* is corrupt/);
  });

  it.each([
    ['a `..` path', 'dotdot', '../../escape', /the path contains `\.\.`/],
    ['an absolute path', 'absolute', '/etc/shadow', /the path is absolute/],
    ['a path in zpkg state', 'statepath', 'var/lib/zpkg/state.db', /state directory/],
  ])('a manifest with %s fails validation', async (_what, name, path, message) => {
    const repo = join(work, `repo-${name}`);
    ok(['repo', 'create', repo]);
    const content = Buffer.from('evil\n');
    await craft(repo, meta(name, [fileAction(path, content)]), [content]);
    const root = freshImage(`img-${name}`, repo);
    refuse(root, ['install', name], 'E_MANIFEST_INVALID', message);
    expect(existsSync(join(work, 'escape'))).toBe(false);
  });
});

describe('unsafe images and unknown packages', () => {
  let repo: string;
  beforeAll(() => {
    repo = join(work, 'repo-paths');
    ok(['repo', 'create', repo]);
    writePackage(join(work, 'src-opt'), { name: 'optpkg', version: '1.0' }, { 'opt/tool/bin': 'tool\n' });
    ok(['build', join(work, 'src-opt'), '--repo', repo]);
  });

  it('refuses to write through a symlink in the image that leaves it (absolute)', () => {
    const outside = join(work, 'outside-abs');
    mkdirSync(outside);
    const root = freshImage('img-symabs', repo, (r) => symlinkSync(outside, join(r, 'opt')));
    refuse(root, ['install', 'optpkg'], 'E_PATH_UNSAFE', /`opt`.*a symlink that leaves the image/);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('refuses to write through a relative symlink that climbs out of the image', () => {
    const root = freshImage('img-symrel', repo, (r) => {
      mkdirSync(join(work, 'outside-rel'));
      symlinkSync('../outside-rel', join(r, 'opt'));
    });
    refuse(root, ['install', 'optpkg'], 'E_PATH_UNSAFE', /symlink that leaves the image/);
    expect(readdirSync(join(work, 'outside-rel'))).toEqual([]);
  });

  it('installs through a symlink that stays inside the image (merged /usr style)', () => {
    const root = freshImage('img-symin', repo, (r) => {
      mkdirSync(join(r, 'srv/opt'), { recursive: true });
      symlinkSync('srv/opt', join(r, 'opt'));
    });
    ok(['--root', root, 'install', 'optpkg']);
    expect(existsSync(join(root, 'srv/opt/tool/bin'))).toBe(true);
    expect(zpkg(['--root', root, 'verify']).status).toBe(0);
  });

  it('an unknown package and a version that does not exist are refused', () => {
    const root = freshImage('img-unknown', repo);
    refuse(root, ['install', 'nosuch'], 'E_PACKAGE_UNKNOWN', /no package named `nosuch`/);
    refuse(root, ['install', 'optpkg=9.9'], 'E_VERSION_UNKNOWN', /no version of `optpkg` satisfies `optpkg \(= 9.9\)`/);
    refuse(root, ['remove', 'nosuch'], 'E_NOT_INSTALLED', /nosuch is not installed/);
  });

  it('a bad flag or spec is a usage error with exit 2', () => {
    const root = freshImage('img-usage', repo);
    const flag = zpkg(['--root', root, '--json', 'install', '--bogus', 'x']);
    expect(flag.status).toBe(2);
    expect(flag.json.error.code).toBe('E_USAGE');
    const spec = zpkg(['--root', root, '--json', 'install', 'optpkg (>= )']);
    expect(spec.status).toBe(2);
    expect(spec.json.error.message).toMatch(/package spec/);
  });

  it('a thread count that is not one (--threads, ZPKG_THREADS) is a usage error, and nothing is installed', () => {
    const root = freshImage('img-threads', repo);
    for (const bad of ['0', '-1', '1.5', 'many', '257']) {
      const r = zpkg(['--root', root, '--json', '--threads', bad, 'install', 'optpkg']);
      expect([r.status, r.json?.error?.code], bad).toEqual([2, 'E_USAGE']);
      expect(r.json.error.message).toMatch(/--threads/);
    }
    const env = zpkg(['--root', root, '--json', 'install', 'optpkg'], { env: { ZPKG_THREADS: 'lots' } });
    expect([env.status, env.json?.error?.code]).toEqual([2, 'E_USAGE']);
    expect(env.json.error.message).toMatch(/ZPKG_THREADS=lots is not a thread count/);
    expect(ok(['--root', root, '--json', 'list']).json.packages).toEqual([]);
    // The flag wins over the environment; a good count installs.
    ok(['--root', root, '--threads', '1', 'install', 'optpkg'], { env: { ZPKG_THREADS: 'lots' } });
    expect(ok(['--root', root, '--json', 'list']).json.packages).toMatchObject([{ name: 'optpkg' }]);
  });
});

describe('bad recipes leave the repository unchanged', () => {
  it.each([
    ['an unknown key', { name: 'x', version: '1', colour: 'red' }, /unknown key `colour`/],
    ['no version', { name: 'x' }, /`version` is missing/],
    ['a bad version', { name: 'x', version: 'v1' }, /does not start with a digit/],
    ['a bad relation', { name: 'x', version: '1', depends: ['y (=> 2)'] }, /`depends`/],
    ['a bad mode', { name: 'x', version: '1', attributes: [{ path: 'a', mode: '9999' }] }, /must be octal/],
    ['a missing root', { name: 'x', version: '1', root: 'nowhere' }, /does not exist/],
  ])('%s', (_what, recipe, message) => {
    const repo = join(work, `repo-recipe-${Math.random().toString(36).slice(2)}`);
    ok(['repo', 'create', repo]);
    const src = writePackage(tempDir('zpkg-recipe-'), recipe, { a: 'a\n' });
    const before = snapshot(repo);
    const r = zpkg(['--json', 'build', src, '--repo', repo]);
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_RECIPE_INVALID');
    expect(r.json.error.message).toMatch(message);
    expect(snapshot(repo)).toEqual(before);
  });
});
