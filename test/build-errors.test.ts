// Bad recipes and failing builds: each gets its typed error naming the thing and the reason, exits 1,
// and publishes nothing. URL sources are fetched from a real HTTP server on loopback.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tarball, writeRecipe, zpkgAsync } from './helpers/recipes.js';
import { ok, snapshot, tempDir, zpkg } from './helpers/zpkg.js';

let work: string;
let repo: string;
let n = 0;

beforeAll(() => {
  work = tempDir('zpkg-build-errors-');
  repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  mkdirSync(join(work, 'outside'));
  writeFileSync(join(work, 'outside/secret'), 'not yours\n');
});

const INSTALL = 'mkdir -p "$ZPKG_DESTDIR/opt" && echo x > "$ZPKG_DESTDIR/opt/x"';

/** Builds the recipe into the shared repository and expects the error; the repository and the recipe's state stay as they were. */
function refuse(recipe: Record<string, unknown>, files: Record<string, string>, code: string, message: RegExp, setup?: (dir: string) => void): any {
  const dir = writeRecipe(join(work, `r${n++}`), { name: 'bad', version: '1', ...recipe }, files);
  setup?.(dir);
  const before = snapshot(repo);
  const r = zpkg(['--json', 'build', dir, '--repo', repo], { env: { XDG_CACHE_HOME: join(work, 'cache') } });
  expect(r.status, r.stdout + r.stderr).toBe(1);
  expect(r.json.error.code).toBe(code);
  expect(r.json.error.message).toMatch(message);
  expect(snapshot(repo)).toEqual(before);
  expect(existsSync(join(dir, '.zpkg-build/state.json'))).toBe(false);
  return r.json.error;
}

describe('bad recipes', () => {
  it.each([
    ['an unknown key', { sourcs: [], build: INSTALL }, {}, /unknown key `sourcs`/],
    ['no tree at all', {}, {}, /say where the tree comes from: one of `root`, `build`/],
    ['both root and build', { root: 'tree', build: INSTALL }, { 'tree/a': 'a' }, /`root` and `build` exclude each other/],
    ['a missing local source', { sources: [{ path: 'nowhere.tar.gz' }], build: INSTALL }, {}, /source `nowhere.tar.gz` does not exist/],
    ['a source path climbing out', { sources: [{ path: '../outside/secret' }], build: INSTALL }, {}, /escapes the recipe directory/],
    ['sources without a build script', { root: 'tree', sources: [{ path: 'tree/a' }] }, { 'tree/a': 'a' }, /`sources` are unpacked for a `build:` script/],
    ['a URL without sha256', { sources: [{ url: 'http://127.0.0.1:1/x.tar.gz' }], build: INSTALL }, {}, /needs `sha256`/],
    ['a bad sha256', { sources: [{ path: 'a', sha256: 'abc' }], build: INSTALL }, { a: 'a' }, /`sha256` must be 64 hex digits/],
    ['extracting a file that is no archive', { sources: [{ path: 'a.txt', extract: true }], build: INSTALL }, { 'a.txt': 'a' }, /`a.txt` is not an archive/],
    ['a files glob with ..', { build: INSTALL, files: { include: ['../outside/**'] } }, {}, /files.include`\[0\] `..\/outside\/\*\*` contains `.` or `..`/],
    ['an absolute files glob', { build: INSTALL, files: { exclude: ['/etc/**'] } }, {}, /is absolute/],
    ['an unknown files key', { build: INSTALL, files: { only: ['x'] } }, {}, /`files`: unknown key `only`/],
    ['an include that matches nothing', { build: INSTALL, files: { include: ['opt/**', 'usr/bin/bad'] } }, {}, /`files.include` `usr\/bin\/bad` matched nothing in the tree/],
    ['a root climbing out', { root: '../outside' }, {}, /`root` `..\/outside` escapes the recipe directory/],
    ['an absolute root', { root: '/etc' }, {}, /`root` `\/etc` is absolute/],
    ['the recipe directory as root', { root: '.' }, {}, /`root` must be a directory below the recipe/],
    ['an unknown hook phase', { build: INSTALL, hooks: { 'post-build': 'h.sh' } }, { 'h.sh': '#!/bin/sh\n' }, /unknown hook phase `post-build`/],
    ['a missing hook file', { build: INSTALL, hooks: { 'post-install': 'h.sh' } }, {}, /hooks.post-install: hook `h.sh` does not exist/],
    ['a hook outside the recipe', { build: INSTALL, hooks: { 'post-install': '../outside/secret' } }, {}, /escapes the recipe directory/],
    ['a bad hook timeout', { build: INSTALL, hooks: { 'post-install': { path: 'h.sh', timeout: -1 } } }, { 'h.sh': '#!/bin/sh\n' }, /`timeout` must be a positive/],
    ['a bad service restart', { build: INSTALL, services: [{ name: 'svc', restart: 'sometimes' }] }, {}, /`restart` must be on-upgrade, always or never/],
    ['a service declared twice', { build: INSTALL, services: [{ name: 'svc' }, { name: 'svc' }] }, {}, /service `svc` is declared twice/],
    ['a bad restart in attributes', { build: INSTALL, attributes: [{ path: 'opt/x', restart: ['no good'] }] }, {}, /`restart` must be a list of service names/],
  ])('%s', (_what, recipe, files, message) => {
    refuse(recipe, files as Record<string, string>, 'E_RECIPE_INVALID', message);
  });

  it('a root that leads outside through a symlink', () => {
    refuse({ root: 'tree' }, {}, 'E_RECIPE_INVALID', /`root` `tree` leads outside the recipe directory through a symlink/, (dir) => symlinkSync(join(work, 'outside'), join(dir, 'tree')));
  });

  it('a tag no YAML schema knows (`!foo`): named, and no warning printed outside the report', () => {
    const tagged = (d: string) => writeFileSync(join(d, 'zpkg.yaml'), 'name: bad\nversion: "1"\nlicense: MIT\nbuild: !foo "true"\n');
    refuse({}, {}, 'E_RECIPE_INVALID', /not valid YAML: Unresolved tag: !foo at line 4/, tagged);
    const dir = writeRecipe(join(work, `r${n++}`), {});
    tagged(dir);
    const r = zpkg(['build', dir, '--repo', repo]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Unresolved tag: !foo/);
    expect(r.stderr).not.toMatch(/YAMLWarning|TAG_RESOLVE/);
  });

  it('a local source whose sha256 does not match', () => {
    const wrong = 'f'.repeat(64);
    refuse({ sources: [{ path: 'a.txt', sha256: wrong }], build: INSTALL }, { 'a.txt': 'a\n' }, 'E_DIGEST_MISMATCH', new RegExp(`source \`a.txt\`: sha256 mismatch: the recipe pins ${wrong}, the file hashes to ${createHash('sha256').update('a\n').digest('hex')}`));
  });
});

describe('failing builds', () => {
  it('a failing script shows the tail of its log and where the log is', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `echo line ${i + 1}`).join('\n');
    const err = refuse({ build: `${lines}\necho "last words" >&2\nexit 3\necho never` }, {}, 'E_BUILD_FAILED', /the build script of bad 1 failed \(exit status 3\); last lines of .*\.zpkg-build\/build\.log/);
    expect(err.explanation).toHaveLength(20);
    expect(err.explanation.at(-1)).toBe('last words');
    expect(err.explanation.at(-2)).toBe('line 30');
    expect(err.explanation).not.toContain('never');
    expect(readFileSync(err.log, 'utf8')).toMatch(/line 1\n[^]*last words\n$/);
    // The text rendering shows the same tail.
    const text = zpkg(['build', join(work, `r${n - 1}`), '--repo', repo]);
    expect(text.stderr).toMatch(/error: the build script of bad 1 failed \(exit status 3\)[^]*\n {2}line 30\n {2}last words\nhint: the whole log is /);
  });

  it('a command that does not exist fails the build (sh -e)', () => {
    refuse({ build: `no-such-command-zpkg\n${INSTALL}` }, {}, 'E_BUILD_FAILED', /exit status 127/);
  });

  it('a build writing beside ZPKG_DESTDIR (through ..) escapes it', () => {
    refuse({ build: `${INSTALL}\necho out > "$ZPKG_DESTDIR/../escaped"` }, {}, 'E_PATH_UNSAFE', /wrote outside ZPKG_DESTDIR: `.*\/escaped`/);
  });

  it('a build replacing ZPKG_DESTDIR by a link to elsewhere escapes it', () => {
    refuse({ build: `rm -rf "$ZPKG_DESTDIR"\nln -s ${join(work, 'outside')} "$ZPKG_DESTDIR"` }, {}, 'E_PATH_UNSAFE', /replaced ZPKG_DESTDIR with a link or a file/);
  });

  it('an archive with a member climbing out through .. is refused by tar', () => {
    refuse({ sources: [{ path: 'evil.tar.gz' }], build: INSTALL }, {}, 'E_BUILD_FAILED', /source `evil.tar.gz` cannot be unpacked: .*Member name contains '\.\.'/, (dir) => {
      mkdirSync(join(dir, 'stage/sub'), { recursive: true });
      writeFileSync(join(dir, 'stage/evil'), 'evil\n');
      // -P keeps the `../evil` member name as written.
      expect(spawnSync('tar', ['-czPf', join(dir, 'evil.tar.gz'), '../evil'], { cwd: join(dir, 'stage/sub') }).status).toBe(0);
    });
  });
});

describe('URL sources over loopback HTTP', () => {
  let server: Server;
  let base: string;
  let tgz: Buffer;
  let hits = 0;
  /** The loopback server: the tarball at /dl/tool-1.0.tar.gz, 404 for anything else; counts requests. */
  const serveTool = (req: IncomingMessage, res: ServerResponse): void => {
    hits += 1;
    if (req.url === '/dl/tool-1.0.tar.gz') res.end(tgz);
    else {
      res.statusCode = 404;
      res.end('not here');
    }
  };
  beforeAll(async () => {
    tgz = readFileSync(tarball(join(work, 'served/tool-1.0.tar.gz'), 'tool-1.0', { 'tool.sh': '#!/bin/sh\necho tool\n' }));
    server = createServer(serveTool);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const recipe = (dir: string, url: string, sha256: string): string =>
    writeRecipe(join(work, dir), { name: 'tool', version: '1.0', sources: [{ url, sha256, strip: 1 }], build: 'install -D -m 0755 "$ZPKG_SRCDIR/tool.sh" "$ZPKG_DESTDIR/usr/bin/tool"' });

  it('downloads once into the cache, checks the sha256, and builds from the cache without network', async () => {
    const cache = join(work, 'url-cache');
    const sha = createHash('sha256').update(tgz).digest('hex');
    const dir = recipe('url-ok', `${base}/dl/tool-1.0.tar.gz`, sha);
    const r = await zpkgAsync(['--json', 'build', dir, '--repo', repo], { XDG_CACHE_HOME: cache });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.json.built[0]).toMatchObject({ name: 'tool', files: 1, status: 'added' });
    expect(readFileSync(join(cache, 'zpkg/sources', `sha256-${sha}`))).toEqual(tgz);
    const seen = hits;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const again = await zpkgAsync(['--json', 'build', '--force', dir, '--repo', repo], { XDG_CACHE_HOME: cache });
    expect(again.status, again.stdout + again.stderr).toBe(0);
    expect(again.json.built[0].status).toBe('unchanged');
    expect(hits).toBe(seen);
    // Without network and without the cache: a clear error that says where the file could go.
    const none = await zpkgAsync(['--json', 'build', '--force', dir, '--repo', repo], { XDG_CACHE_HOME: join(work, 'empty-cache') });
    expect(none.status).toBe(1);
    expect(none.json.error.code).toBe('E_SOURCE_UNAVAILABLE');
    expect(none.json.error.message).toMatch(/source `http:\/\/127\.0\.0\.1:\d+\/dl\/tool-1\.0\.tar\.gz` cannot be downloaded: ECONNREFUSED/);
    expect(none.json.error.hint).toContain(join(work, 'empty-cache/zpkg/sources', `sha256-${sha}`));
    server = createServer(serveTool);
    await new Promise<void>((resolve) => server.listen(Number(new URL(base).port), '127.0.0.1', resolve));
  });

  it('a download whose sha256 does not match is refused and not cached', async () => {
    const cache = join(work, 'bad-cache');
    const wrong = '0'.repeat(64);
    const dir = recipe('url-bad', `${base}/dl/tool-1.0.tar.gz`, wrong);
    const before = snapshot(repo);
    const r = await zpkgAsync(['--json', 'build', dir, '--repo', repo], { XDG_CACHE_HOME: cache });
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_DIGEST_MISMATCH');
    expect(r.json.error.message).toMatch(/sha256 mismatch: the recipe pins 0{64}/);
    expect(snapshot(join(cache, 'zpkg/sources'))).toEqual([]);
    expect(snapshot(repo)).toEqual(before);
  });

  it('an HTTP error names the status', async () => {
    const dir = recipe('url-404', `${base}/dl/missing.tar.gz`, 'a'.repeat(64));
    const r = await zpkgAsync(['--json', 'build', dir, '--repo', repo], { XDG_CACHE_HOME: join(work, 'c404') });
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_SOURCE_UNAVAILABLE');
    expect(r.json.error.message).toMatch(/cannot be downloaded: HTTP 404/);
  });
});
