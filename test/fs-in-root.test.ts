/**
 * fs/in-root.ts: resolution with the semantics of openat2(RESOLVE_IN_ROOT)
 * (an absolute link target is the root, `..` stops at it) and bounded reads
 * of regular files only — the one place zpkg's own I/O in an image goes through.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dirInRoot, readBounded, readInRoot, resolveInRoot, writeInRoot } from '../src/fs/in-root.js';
import { tempDir } from './helpers/zpkg.js';

function world(): { root: string; outside: string } {
  const base = realpathSync(tempDir('zpkg-in-root-'));
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'passwd'), 'host\n');
  writeFileSync(join(root, 'etc/passwd'), 'image\n');
  return { root, outside };
}

const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
};

describe('resolveInRoot', () => {
  it('an absolute link target means the image root', () => {
    const { root, outside } = world();
    symlinkSync(join(outside, 'passwd'), join(root, 'etc/shadow'));
    const r = resolveInRoot(root, 'etc/shadow');
    expect(r.path).toBe(join(root, outside.slice(1), 'passwd'));
    expect(r.stat).toBeUndefined();
    symlinkSync('/etc', join(root, 'cfg'));
    expect(resolveInRoot(root, 'cfg/passwd').path).toBe(join(root, 'etc/passwd'));
    expect(readInRoot(root, 'cfg/passwd', { maxBytes: 100 })!.toString()).toBe('image\n');
  });

  it('`..` stops at the root, in a path and in a link target', () => {
    const { root } = world();
    symlinkSync('../../../../../../etc', join(root, 'up'));
    expect(resolveInRoot(root, 'up/passwd').path).toBe(join(root, 'etc/passwd'));
    expect(resolveInRoot(root, '../../etc/passwd').path).toBe(join(root, 'etc/passwd'));
  });

  it('a link loop is refused after 40 links, typed', () => {
    const { root } = world();
    symlinkSync('/dev', join(root, 'dev'));
    expect(code(() => resolveInRoot(root, 'dev/zero'))).toBe('E_IMAGE_INVALID');
    symlinkSync('b', join(root, 'a'));
    symlinkSync('a', join(root, 'b'));
    expect(code(() => readInRoot(root, 'a', { maxBytes: 10, code: 'E_CONFIG_INVALID' }))).toBe('E_CONFIG_INVALID');
  });

  it('a file where a directory is needed is refused', () => {
    const { root } = world();
    expect(code(() => resolveInRoot(root, 'etc/passwd/x'))).toBe('E_IMAGE_INVALID');
  });

  it('does not follow the last link when told not to', () => {
    const { root, outside } = world();
    symlinkSync(outside, join(root, 'o'));
    expect(resolveInRoot(root, 'o', { followLast: false }).stat!.isSymbolicLink()).toBe(true);
  });
});

describe('readBounded', () => {
  it('refuses a FIFO without blocking and a character device without reading it', () => {
    const { root } = world();
    execFileSync('mkfifo', [join(root, 'etc/fifo')]);
    expect(code(() => readInRoot(root, 'etc/fifo', { maxBytes: 10 }))).toBe('E_IMAGE_INVALID');
    expect(code(() => readBounded('/dev/zero', { maxBytes: 10, code: 'E_REPO_INVALID' }))).toBe('E_REPO_INVALID');
    expect(code(() => readBounded(root, { maxBytes: 10 }))).toBe('E_IMAGE_INVALID');
  });

  it('refuses a file over the limit by its size, and reads one at the limit', () => {
    const { root } = world();
    writeFileSync(join(root, 'big'), '');
    truncateSync(join(root, 'big'), 1 << 30);
    expect(code(() => readInRoot(root, 'big', { maxBytes: 1 << 20 }))).toBe('E_IMAGE_INVALID');
    expect(readInRoot(root, 'etc/passwd', { maxBytes: 6 })!.toString()).toBe('image\n');
    expect(code(() => readInRoot(root, 'etc/passwd', { maxBytes: 5 }))).toBe('E_IMAGE_INVALID');
    expect(readInRoot(root, 'missing/file', { maxBytes: 5 })).toBeUndefined();
  });

  it('with noFollow, a link is refused', () => {
    const { root } = world();
    symlinkSync('passwd', join(root, 'etc/l'));
    expect(code(() => readBounded(join(root, 'etc/l'), { maxBytes: 100, noFollow: true }))).toBe('E_IMAGE_INVALID');
  });
});

describe('writeInRoot and dirInRoot', () => {
  it('replace a linked file inside the image, never outside it', () => {
    const { root, outside } = world();
    symlinkSync(join(outside, 'passwd'), join(root, 'etc/group'));
    const path = writeInRoot(root, 'etc/group', 'g\n');
    expect(path).toBe(join(root, outside.slice(1), 'passwd'));
    expect(readFileSync(join(outside, 'passwd'), 'utf8')).toBe('host\n');
    expect(readFileSync(path, 'utf8')).toBe('g\n');
  });

  it('create missing directories as real directories below a link', () => {
    const { root, outside } = world();
    symlinkSync(outside, join(root, 'var'));
    const dir = dirInRoot(root, 'var/lib/zpkg', { create: true });
    expect(dir).toBe(join(root, outside.slice(1), 'lib/zpkg'));
    expect(readFileSync(join(outside, 'passwd'), 'utf8')).toBe('host\n');
  });

  it('refuse to replace a directory or a FIFO', () => {
    const { root } = world();
    execFileSync('mkfifo', [join(root, 'etc/fifo')]);
    expect(code(() => writeInRoot(root, 'etc/fifo', 'x'))).toBe('E_IMAGE_INVALID');
    expect(code(() => writeInRoot(root, 'etc', 'x'))).toBe('E_IMAGE_INVALID');
  });
});
