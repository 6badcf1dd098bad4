/**
 * The bundle's V8 code cache (issue 15, packaging/loader.cjs): `npm run dist`
 * makes `app/main.js.cache` with the bundled node itself, and every command
 * compiles main.js with it. V8 checks a cache against its version, its flags
 * and the source, and refuses one that does not match: the loader then
 * compiles from source and the command runs as usual. Whole processes of a
 * bundle built by packaging/dist.mjs (cached in .cache/code-cache-bundle and
 * reused while its inputs are unchanged); `ZPKG_CODE_CACHE=check` makes the
 * loader say what V8 did with each cache.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { REPO_ROOT, tempDir } from './helpers/zpkg.js';

/** The loader's own framing of a cache file (digest + cache). */
const { cacheFileBytes } = createRequire(import.meta.url)(join(REPO_ROOT, 'packaging/loader.cjs')) as { cacheFileBytes(data: Buffer): Buffer };

const LONG = 10 * 60_000;
let work: string;
/** A copy of the built bundle's usr/lib/zpkg, whose cache the tests replace. */
let B: string;
let image: string;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** What the loader said of main.js's cache. */
  cache: string | undefined;
}

/** `zpkg ARGS` through the bundle's loader: by the launcher, or by the bundled node with `nodeFlags` instead of the launcher's. */
function run(args: string[], options: { mode?: string; nodeFlags?: string[] } = {}): Run {
  const env = { PATH: '/usr/bin:/bin', ZPKG_CODE_CACHE: options.mode ?? 'check' };
  const r = options.nodeFlags
    ? spawnSync(join(B, 'lib/ld-linux-x86-64.so.2'), ['--library-path', join(B, 'lib'), join(B, 'node'), ...options.nodeFlags, join(B, 'app/zpkg.js'), ...args], { encoding: 'utf8', env })
    : spawnSync(join(B, 'zpkg'), args, { encoding: 'utf8', env });
  const cache = new RegExp(`zpkg code cache: ${join(B, 'app/main.js')}: (\\w+)`).exec(r.stderr)?.[1];
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, cache };
}

/** Replaces the copy's main.js.cache. */
function setCache(bytes: Buffer | undefined): void {
  rmSync(join(B, 'app/main.js.cache'), { force: true });
  if (bytes) writeFileSync(join(B, 'app/main.js.cache'), bytes);
}

describe('the bundle compiles main.js with its V8 code cache, and falls back when V8 refuses it', () => {
  let built: Buffer;
  let expected: string;

  beforeAll(() => {
    work = tempDir('zpkg-code-cache-');
    const out = join(REPO_ROOT, '.cache/code-cache-bundle');
    const d = spawnSync(process.execPath, [join(REPO_ROOT, 'packaging/dist.mjs'), '--out', out, '--no-tar'], { encoding: 'utf8' });
    if (d.status !== 0) throw new Error(`dist failed:\n${d.stderr}\n${d.stdout}`);
    B = join(work, 'zpkg');
    cpSync(join(out, 'root/usr/lib/zpkg'), B, { recursive: true, verbatimSymlinks: true });
    built = readFileSync(join(B, 'app/main.js.cache'));
    image = join(work, 'image');
    const first = run(['--root', image, 'remote', 'add', 'local', join(work, 'nowhere'), '--insecure']);
    expect(first.status, first.stderr).toBe(0);
    const listed = run(['--root', image, '--json', 'remote', 'list']);
    expect(listed.status, listed.stderr).toBe(0);
    expected = listed.stdout;
  }, LONG);

  it('the cache npm run dist made is accepted by the bundled node', () => {
    expect(built.length).toBeGreaterThan(1000);
    // undici's too: the warm-up refresh goes through a proxy, the one path that still loads undici for root.json.
    expect(existsSync(join(B, 'app/lazy/undici.js.cache'))).toBe(true);
    const r = run(['--root', image, '--json', 'remote', 'list']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.cache).toBe('accepted');
    expect(r.stdout).toBe(expected);
  });

  it('a damaged, a truncated, a foreign or a missing cache: compiled from source, same answer', () => {
    // Flipped bytes inside the cache: V8 (release) would deserialize them and abort; the digest keeps them from it.
    const damaged = Buffer.from(built);
    for (let i = 64; i < damaged.length; i += 997) damaged[i]! ^= 0xff;
    for (const [what, bytes, said] of [
      ['damaged', damaged, 'damaged'],
      ['truncated', built.subarray(0, 100), 'damaged'],
      ['empty', Buffer.alloc(0), 'damaged'],
      // Framed right, but not V8's: V8's own checks refuse it.
      ['foreign', cacheFileBytes(Buffer.alloc(4096, 7)), 'rejected'],
      ['missing', undefined, 'absent'],
    ] as const) {
      setCache(bytes);
      const r = run(['--root', image, '--json', 'remote', 'list']);
      expect({ what, status: r.status, cache: r.cache }, r.stderr).toEqual({ what, status: 0, cache: said });
      expect(r.stdout).toBe(expected);
    }
    setCache(built);
  });

  it('a node started with other V8 flags refuses the cache and still runs the command', () => {
    // The launcher passes --liftoff-only, --min-semi-space-size=4 and --heap-growing-percent=100; without them V8's flag hash differs.
    const r = run(['--root', image, '--json', 'remote', 'list'], { nodeFlags: [] });
    expect(r.status, r.stderr).toBe(0);
    expect(r.cache).toBe('rejected');
    expect(r.stdout).toBe(expected);
    expect(run(['--root', image, '--json', 'remote', 'list'], { nodeFlags: ['--liftoff-only', '--min-semi-space-size=4', '--heap-growing-percent=100'] }).cache).toBe('accepted');
  });

  it('a command with a cache of its own reads it; without it, or with it damaged, the common one', () => {
    const said = (args: string[]): string | undefined => /zpkg code cache: \S+\/app\/main\.js: (\w+ \([^)]*\))/.exec(run(args).stderr)?.[1];
    const own = join(B, 'app/main.js.refresh.cache');
    const ownBytes = readFileSync(own);
    // The command word comes after global options and their values (`--root IMAGE`, `--progress none`).
    expect(said(['--root', image, '--progress', 'none', 'refresh'])).toBe('accepted (main.js.refresh.cache)');
    expect(said(['--root', image, '--json', 'list'])).toBe('accepted (main.js.cache)');
    expect(existsSync(join(B, 'app/main.js.install.cache'))).toBe(true);
    const damaged = Buffer.from(ownBytes);
    damaged[damaged.length >> 1]! ^= 0xff;
    writeFileSync(own, damaged);
    expect(said(['--root', image, 'refresh'])).toBe('accepted (main.js.cache)');
    rmSync(own);
    expect(said(['--root', image, 'refresh'])).toBe('accepted (main.js.cache)');
    writeFileSync(own, ownBytes);
  });

  it('main.js is ASCII, as the loader reads it (latin1)', () => {
    const js = readFileSync(join(B, 'app/main.js'));
    expect(js.findIndex((b) => b > 0x7f)).toBe(-1);
    // The site's HTML templates carried the only raw non-ASCII characters: escaped, they still make the same text.
    expect(js.includes('\\u2014')).toBe(true);
  });

  it('ZPKG_CODE_CACHE=write replaces a refused cache with one V8 accepts', () => {
    setCache(Buffer.from('not a code cache'));
    expect(run(['--root', image, 'remote', 'list'], { mode: 'write' }).status).toBe(0);
    expect(readFileSync(join(B, 'app/main.js.cache')).length).toBeGreaterThan(1000);
    expect(run(['--root', image, '--json', 'remote', 'list']).cache).toBe('accepted');
    setCache(built);
  });
});
