/**
 * One installed path against what it should be, in one pass with synchronous
 * syscalls: a path expected to be a regular file is opened (a link is never
 * followed) and `fstat`ed, any other `lstat`ed; then `readlink` of a link or
 * the sha256 of a regular file whose size is right. The answer holds only
 * what differs (a `PathFinding`), so a batch of healthy paths answers almost
 * nothing; the caller words the problems. Runs in the check workers
 * (check-worker.ts) and, for a handful of paths, on the calling thread.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync, realpathSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';

/** What kind of entry a path is on disk. */
export type EntryKind = 'file' | 'dir' | 'link' | 'fifo' | 'socket' | 'device' | 'other';

/**
 * What a path should be. `any`: only that it exists (a path whose row is not
 * the checking package's, a hardlink whose target is not a file). Absent
 * fields are not checked (a dir's owner, an id the state does not record).
 */
export interface PathExpect {
  /** Host path: the image root joined with the manifest's (already checked) path. */
  path: string;
  kind: 'file' | 'dir' | 'link' | 'any';
  /** Permission bits (& 0o7777). */
  mode?: number;
  uid?: number;
  gid?: number;
  /** A file's size and `sha256:<hex>` digest: the digest is checked only when the size is right. */
  size?: number;
  digest?: string;
  /** A link's target. */
  target?: string;
}

/** What differs, by field: a field is present only when it differs from the expectation (its value is what is on disk). */
export interface PathFinding {
  missing?: true;
  /** The entry is not of the expected kind: nothing else was checked. */
  kind?: EntryKind;
  size?: number;
  digest?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  target?: string;
  /** The content could not be read (EACCES, EIO…): the message. */
  unreadable?: string;
  /** A directory above it is a symlink that leads out of the image: nothing there was read. */
  outside?: true;
}

const CHUNK = 1 << 20;

/**
 * The read buffer of this thread's checks (a worker's module state is its
 * own): one for all batches. A new 1 MiB per batch had a verify of 100
 * small packages on the calling thread collecting 200 MiB.
 */
let threadBuffer: Buffer | undefined;
const ownBuffer = (): Buffer => (threadBuffer ??= Buffer.allocUnsafe(CHUNK));

export function entryKind(st: Stats): EntryKind {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'link';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isBlockDevice() || st.isCharacterDevice()) return 'device';
  return 'other';
}

/** `lstat`, with any failure (ENOENT, ENOTDIR, EACCES on a parent…) read as "missing", as verify always has. */
export function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

/**
 * sha256 of a regular file's first `size + 1` bytes at most (decoders stop at
 * the declared size: a file that grew is already a size difference). Opened
 * O_NOFOLLOW|O_NONBLOCK: a link or FIFO swapped in after the lstat fails or
 * reads nothing instead of being followed or hanging. A read that asked for
 * the byte past `size` and ended exactly at `size` is the end of the file: no
 * second read to see 0 (one syscall per file fewer; 20,000 in the bench tree's verify).
 */
export function sha256File(path: string, size: number, buf: Buffer): string {
  const fd = openSync(path, OPEN_FLAGS);
  try {
    return sha256Fd(fd, size, buf);
  } finally {
    closeSync(fd);
  }
}

export const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

/** sha256File of a file already open (read from offset 0; not closed). */
export function sha256Fd(fd: number, size: number, buf: Buffer): string {
  const h = createHash('sha256');
  let at = 0;
  while (at <= size) {
    const want = Math.min(buf.length, size + 1 - at);
    const n = readSync(fd, buf, 0, want, at);
    if (n === 0) break;
    h.update(buf.subarray(0, n));
    at += n;
    if (n < want && at === size) break;
  }
  return `sha256:${h.digest('hex')}`;
}

/**
 * A path expected to be a regular file (not under a `dev` directory: DEV),
 * opened first and then `fstat`ed: the kernel walks the path once, where
 * `lstat` and then `open` walked it twice
 * (on a package of 300,000 tiny files, `lstat` was a quarter of a check
 * worker's time). Opened as sha256File opens (a link is not followed, a FIFO
 * does not block, no terminal is taken); nothing is read from what is not a
 * regular file. Undefined when the path cannot be opened or is not a regular
 * file: the caller then goes the `lstat` way, which says what it is.
 */
function openRegular(path: string): { fd: number; st: Stats } | undefined {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (st.isFile()) return { fd, st };
  } catch {
    // Answered the lstat way.
  }
  closeSync(fd);
  return undefined;
}

/** The lstat half of a check: everything but the content. `hash` is true when the digest remains to be compared. */
export function checkStat(e: PathExpect, st: Stats | null): { finding: PathFinding | null; hash: boolean } {
  if (!st) return { finding: { missing: true }, hash: false };
  const f: PathFinding = {};
  const kind = entryKind(st);
  switch (e.kind) {
    case 'any':
      return { finding: null, hash: false };
    case 'dir':
      // A directory a link stands in for (merged /usr, a moved /var) is accepted as it is.
      if (kind !== 'dir' && kind !== 'link') return { finding: { kind }, hash: false };
      if (kind === 'dir' && e.mode !== undefined && (st.mode & 0o7777) !== e.mode) f.mode = st.mode & 0o7777;
      break;
    case 'link':
      if (kind !== 'link') return { finding: { kind }, hash: false };
      break;
    case 'file':
      if (kind !== 'file') return { finding: { kind }, hash: false };
      if (e.size !== undefined && st.size !== e.size) f.size = st.size;
      if (e.mode !== undefined && (st.mode & 0o7777) !== e.mode) f.mode = st.mode & 0o7777;
      break;
  }
  if (e.kind !== 'dir') {
    if (e.uid !== undefined && st.uid !== e.uid) f.uid = st.uid;
    if (e.gid !== undefined && st.gid !== e.gid) f.gid = st.gid;
  }
  return { finding: f, hash: e.kind === 'file' && e.digest !== undefined && f.size === undefined };
}

/** The rest of a check, after `checkStat`: the link target or the digest (read from `fd` when the file is open already; closed here). */
export function checkContent(e: PathExpect, f: PathFinding, hash: boolean, buf: Buffer, fd = -1): void {
  if (e.kind === 'link' && e.target !== undefined) {
    try {
      const target = readlinkSync(e.path);
      if (target !== e.target) f.target = target;
    } catch (err) {
      f.unreadable = (err as Error).message;
    }
  }
  try {
    if (hash) {
      const size = e.size ?? Number.MAX_SAFE_INTEGER;
      const digest = fd >= 0 ? sha256Fd(fd, size, buf) : sha256File(e.path, size, buf);
      if (digest !== e.digest) f.digest = digest;
    }
  } catch (err) {
    f.unreadable = (err as Error).message;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/**
 * Whether a directory, resolved as the kernel would (links followed), lies
 * outside the image's real root: a path under it would be read on the host.
 * One realpath per directory (cached for the batch); a directory that cannot
 * be resolved is not outside (the lstat under it answers "missing").
 */
export function leavesRoot(realRoot: string): (dir: string) => boolean {
  const seen = new Map<string, boolean>();
  // The image may be `/` itself (zpkg --root / on a node): every path is then inside.
  const prefix = realRoot.endsWith('/') ? realRoot : `${realRoot}/`;
  return (dir) => {
    let out = seen.get(dir);
    if (out === undefined) {
      try {
        const real = realpathSync(dir);
        out = real !== realRoot && !real.startsWith(prefix);
      } catch {
        out = false;
      }
      seen.set(dir, out);
    }
    return out;
  };
}

const isEmpty = (f: PathFinding | null): boolean => !f || Object.keys(f).length === 0;

/**
 * A path with a `dev` directory in it is `lstat`ed before anything opens it:
 * device nodes live there, and opening one is not harmless (a watchdog arms,
 * a serial line raises DTR, a tape rewinds when closed). A device anywhere
 * else is what only root could have put there.
 */
const DEV = '/dev/';

/** Files a check worker holds open at once, waiting to be read in inode order. */
const OPEN_MAX = 64;

/**
 * Checks a batch: a path expected to be a regular file is opened (and
 * `fstat`ed), any other is `lstat`ed; then the content of the files to hash
 * is read in inode order, OPEN_MAX files at a time (on one file system, close
 * to the order of their blocks on disk: fewer seeks on a cold cache).
 * Answers one finding per path that differs, keyed by its index in `batch`.
 */
export function checkBatch(batch: readonly PathExpect[], buf: Buffer = ownBuffer(), realRoot?: string): [number, PathFinding][] {
  const out: [number, PathFinding][] = [];
  const content: { i: number; f: PathFinding; hash: boolean; ino: number; fd: number }[] = [];
  let open = 0;
  const drain = (): void => {
    content.sort((a, b) => a.ino - b.ino);
    for (const c of content) {
      const fd = c.fd;
      // checkContent closes it: the cleanup below must never close that number again (another thread may have it by then).
      c.fd = -1;
      checkContent(batch[c.i]!, c.f, c.hash, buf, fd);
      if (!isEmpty(c.f)) out.push([c.i, c.f]);
    }
    content.length = 0;
    open = 0;
  };
  const leaves = realRoot === undefined ? undefined : leavesRoot(realRoot);
  try {
    batch.forEach((e, i) => {
      if (leaves?.(dirname(e.path))) return out.push([i, { outside: true }]);
      const opened = e.kind === 'file' && !e.path.includes(DEV) ? openRegular(e.path) : undefined;
      if (opened) {
        const { finding, hash } = checkStat(e, opened.st);
        if (!hash) {
          closeSync(opened.fd);
          if (!isEmpty(finding)) out.push([i, finding!]);
          return;
        }
        content.push({ i, f: finding!, hash, ino: opened.st.ino, fd: opened.fd });
        if (++open >= OPEN_MAX) drain();
        return;
      }
      const st = lstatOrNull(e.path);
      const { finding, hash } = checkStat(e, st);
      if (finding && !finding.missing && !finding.kind && (hash || e.kind === 'link')) content.push({ i, f: finding, hash, ino: st!.ino, fd: -1 });
      else if (!isEmpty(finding)) out.push([i, finding!]);
    });
    drain();
  } finally {
    // A throw above (none is expected) leaves no descriptor behind: those opened and not yet handed to checkContent.
    for (const c of content) if (c.fd >= 0) closeSync(c.fd);
  }
  return out;
}
