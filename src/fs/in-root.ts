/**
 * zpkg's own I/O inside an image: every path it opens there on its own
 * account (account files, etc/zpkg/zpkg.yaml, the state and cache
 * directories, journals, the hook store) is resolved with the semantics of
 * `openat2(RESOLVE_IN_ROOT)` — component by component, an absolute link
 * target meaning the image's root and `..` stopping at it — so a link a
 * package delivered can never carry a read or a write outside the image.
 *
 * Node has no openat2; the walk is done here with lstat/readlink on the
 * real path of the root. It is exact as long as nobody else changes the
 * image while zpkg holds its lock (zpkg's own transactions never run
 * concurrently); the final open uses O_NOFOLLOW, so a link swapped in after
 * the walk fails the open instead of being followed.
 *
 * Reads are bounded (`readBounded`): only a regular file is read (a FIFO,
 * device, socket or directory is refused before a byte is read: opened
 * O_NONBLOCK, so a FIFO cannot hang the open), and never more than its
 * declared limit.
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readlinkSync, readSync, realpathSync, type Stats } from 'node:fs';
import { join, resolve } from 'node:path';
import { ZpkgError, type ErrorCode } from '../core/errors.js';
import { writeFileAtomic, type AtomicWriteOptions } from './atomic.js';

/** Links followed in one resolution before it is refused (Linux's MAXSYMLINKS). */
export const MAX_LINK_HOPS = 40;

export interface InRootOptions {
  /** The code of a refusal (default `E_IMAGE_INVALID`). */
  code?: ErrorCode;
  /** What the path is, for messages (default: the path). */
  what?: string;
  hint?: string;
}

export interface Resolved {
  /** The host path: the root's real path and components that are no links (the last one may be missing). */
  path: string;
  /** The image path it stands for, after links (`/`-separated, relative to the root). */
  inImage: string;
  /** lstat of `path`, undefined when it does not exist. */
  stat: Stats | undefined;
}

function fail(options: InRootOptions, rel: string, why: string): never {
  throw new ZpkgError(options.code ?? 'E_IMAGE_INVALID', `${options.what ?? rel}: ${why}`, { hint: options.hint, details: { path: rel } });
}

const realRoots = new Map<string, string>();

/** The real path of an image root (cached: a root is resolved once per process). */
export function realRoot(root: string): string {
  const abs = resolve(root);
  let real = realRoots.get(abs);
  if (real === undefined) {
    real = realpathSync(abs);
    realRoots.set(abs, real);
  }
  return real;
}

const lstatOrUndefined = (path: string): Stats | undefined => {
  try {
    return lstatSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
};

/**
 * Resolves `rel` (an image path; a leading `/` is the image's root) inside
 * `root`. Links are followed in the root (the last component's only when
 * `followLast`, the default); a missing component ends the walk and the rest
 * is kept as written (a parent that does not exist yet). Refused: a
 * component that is neither a directory nor a link where a directory is
 * needed, and more than MAX_LINK_HOPS links.
 */
export function resolveInRoot(root: string, rel: string, options: InRootOptions & { followLast?: boolean } = {}): Resolved {
  const base = realRoot(root);
  const done: string[] = [];
  const todo = rel.split('/').filter((c) => c !== '' && c !== '.').reverse();
  let hops = 0;
  while (todo.length > 0) {
    const part = todo.pop()!;
    if (part === '..') {
      done.pop();
      continue;
    }
    const path = join(base, ...done, part);
    const st = lstatOrUndefined(path);
    if (st === undefined) {
      // Missing: the rest is created (or found missing) below it, as written; `..` stays inside.
      if (todo.includes('..')) fail(options, rel, `\`..\` below the missing \`${[...done, part].join('/')}\``);
      done.push(part, ...todo.reverse());
      return { path: join(base, ...done), inImage: done.join('/'), stat: undefined };
    }
    const last = todo.length === 0;
    if (st.isSymbolicLink() && (!last || options.followLast !== false)) {
      if (++hops > MAX_LINK_HOPS) fail(options, rel, `more than ${MAX_LINK_HOPS} symbolic links to follow (a loop?)`);
      const target = readlinkSync(path);
      if (target.startsWith('/')) done.length = 0;
      for (const c of target.split('/').filter((x) => x !== '' && x !== '.').reverse()) todo.push(c);
      continue;
    }
    if (!last && !st.isDirectory()) fail(options, rel, `\`${[...done, part].join('/')}\` in the image is not a directory`);
    done.push(part);
    if (last) return { path, inImage: done.join('/'), stat: st };
  }
  return { path: base, inImage: '', stat: lstatSync(base) };
}

/** `rel` resolved in the root as a directory, created (each missing component a real directory) when `create`. */
export function dirInRoot(root: string, rel: string, options: InRootOptions & { create?: boolean; mode?: number } = {}): string {
  const r = resolveInRoot(root, rel, options);
  if (r.stat === undefined) {
    if (!options.create) return r.path;
    // Created one component at a time from the deepest existing one, re-resolving: nothing below may be a link.
    const base = realRoot(root);
    let at = '';
    for (const part of r.inImage.split('/')) {
      at = at ? `${at}/${part}` : part;
      const st = lstatOrUndefined(join(base, at));
      if (st === undefined) mkdirSync(join(base, at), { mode: options.mode ?? 0o755 });
      else if (!st.isDirectory()) fail(options, rel, `\`${at}\` in the image is not a directory`);
    }
    return r.path;
  }
  if (!r.stat.isDirectory()) fail(options, rel, `${kindOf(r.stat)} in the image, where a directory is expected`);
  return r.path;
}

/** What kind of file a stat is, for messages. */
export function kindOf(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

export interface BoundedReadOptions extends InRootOptions {
  /** The most bytes the file may hold; a larger one is refused without being read past the limit. */
  maxBytes: number;
  /** Refuse a link as the last component instead of following it (O_NOFOLLOW); resolution in a root does this itself. */
  noFollow?: boolean;
}

const O_READ = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * The bytes of the regular file at host path `path`, or undefined when it does
 * not exist. A FIFO, device, socket or directory is refused without a byte
 * read (the open is non-blocking); so is a file over `maxBytes`, by its stat
 * size and again by what the read yields (a file that grows while read).
 */
export function readBounded(path: string, options: BoundedReadOptions): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, O_READ | (options.noFollow ? constants.O_NOFOLLOW : 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') fail(options, path, 'is a symbolic link where a regular file is expected');
    if (code === 'ENXIO') fail(options, path, 'is a socket or a FIFO, where a regular file is expected');
    if (code === 'ENOTDIR') fail(options, path, 'lies below something that is not a directory');
    if (code === 'EISDIR') fail(options, path, 'is a directory, where a regular file is expected');
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) fail(options, path, `is ${kindOf(st)}, where a regular file is expected; it was not read`);
    if (st.size > options.maxBytes) fail(options, path, `is ${st.size} bytes, more than the ${options.maxBytes} allowed; it was not read`);
    const buf = Buffer.allocUnsafe(Math.min(st.size, options.maxBytes) + 1);
    let got = 0;
    for (;;) {
      const n = readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
      if (got === buf.length) {
        if (got > options.maxBytes) fail(options, path, `grew past the ${options.maxBytes} bytes allowed while read`);
        break;
      }
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** The bytes of the regular file at image path `rel`, resolved in `root`, read bounded; undefined when missing. */
export function readInRoot(root: string, rel: string, options: BoundedReadOptions): Buffer | undefined {
  const r = resolveInRoot(root, rel, options);
  if (r.stat === undefined) return undefined;
  return readBounded(r.path, { ...options, what: options.what ?? rel, noFollow: true });
}

/**
 * Replaces the file at image path `rel` atomically (fs/atomic.ts), resolved in
 * `root`: a link there is followed in the root and its target replaced, the
 * parent directories are created as real directories; anything but a
 * regular file in the way is refused.
 */
export function writeInRoot(root: string, rel: string, data: Uint8Array | string, options: InRootOptions & AtomicWriteOptions = {}): string {
  const r = resolveInRoot(root, rel, options);
  if (r.stat !== undefined && !r.stat.isFile()) fail(options, rel, `is ${kindOf(r.stat)} in the image, where a regular file is expected; it was left alone`);
  const slash = r.inImage.lastIndexOf('/');
  if (slash > 0) dirInRoot(root, r.inImage.slice(0, slash), { ...options, create: true });
  writeFileAtomic(r.path, data, options);
  return r.path;
}

/**
 * Refuses `path` unless it is missing or a regular file itself (not a link,
 * FIFO, device or directory): for files another library opens by name
 * (SQLite's state.db, its -wal and -shm, the lock), which would follow a link.
 */
export function expectRegularOrMissing(path: string, options: InRootOptions = {}): void {
  const st = lstatOrUndefined(path);
  if (st !== undefined && !st.isFile()) fail(options, path, `is ${kindOf(st)}, where a regular file is expected; it was not opened`);
}
