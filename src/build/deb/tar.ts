/**
 * A reader of the tar streams inside a .deb (`dpkg-deb --fsys-tarfile` and
 * `--ctrl-tarfile`): POSIX ustar headers with GNU long names (`L`, `K`) and
 * pax extended headers (`x`; `g` ignored), base-256 numbers for large sizes
 * and ids. Only what packages need: path, type, mode, ids and account names,
 * link target, content. Every header's checksum is verified; a truncated or
 * corrupt stream throws E_ARCHIVE_INVALID naming the archive and the offset.
 *
 * Written here rather than taken from npm: the package set is fixed
 * (tar-stream is present only as a transitive dependency, without types) and
 * the format subset is small and stable.
 */
import { ZpkgError } from '../../core/errors.js';

export type TarType = 'file' | 'hardlink' | 'symlink' | 'dir' | 'special';

/** An entry of the stream, its content left where it lies (`offset`, `size`). */
export interface TarItem {
  /** As stored, `./usr/bin/x` or `usr/bin/x`; directories may end in `/`. */
  path: string;
  type: TarType;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** Symlink target, or the path of the entry a hardlink repeats. */
  linkname: string;
  /** Where the content starts in the stream, and its length (0 for types other than `file`). */
  offset: number;
  size: number;
}

export interface TarEntry extends TarItem {
  /** File content (empty for other types). */
  data: Buffer;
}

/** Positional reads of a tar stream (a file descriptor, a buffer): copies up to `length` bytes at `position`; 0 at the end. */
export interface TarSource {
  read(into: Buffer, length: number, position: number): number;
}

const BLOCK = 512;
/** Bounds on what a header makes the reader hold in memory: a long name or link, a pax record set, the count of entries. */
const MAX_LONG_NAME = 64 * 1024;
const MAX_PAX = 1024 * 1024;
export const MAX_TAR_ENTRIES = 1_000_000;

/** The entries of a tar stream held in memory, contents included. */
export function readTar(buf: Buffer, archive: string): TarEntry[] {
  const source: TarSource = { read: (into, length, position) => (position >= buf.length ? 0 : buf.copy(into, 0, position, Math.min(buf.length, position + length))) };
  return scanTar(source, buf.length, archive).map((e) => ({ ...e, data: e.type === 'file' ? buf.subarray(e.offset, e.offset + e.size) : Buffer.alloc(0) }));
}

/**
 * The entries of a tar stream of `length` bytes, read header by header: only
 * headers and the small records they carry (long names, pax) are held in
 * memory, each bounded, so a stream of any size is listed in bounded memory
 * and its contents are copied from `offset` by the caller.
 */
export function scanTar(source: TarSource, length: number, archive: string): TarItem[] {
  const fail = (offset: number, why: string): never => {
    throw new ZpkgError('E_ARCHIVE_INVALID', `${archive}: corrupt tar stream at byte ${offset}: ${why}`, {
      hint: 'the package file is damaged or not a Debian package; download it again',
    });
  };
  const readAt = (at: number, size: number): Buffer => {
    const out = Buffer.alloc(size);
    let got = 0;
    while (got < size) {
      const n = source.read(got === 0 ? out : out.subarray(got), size - got, at + got);
      if (n === 0) fail(at, 'the stream ends early');
      got += n;
    }
    return out;
  };
  const str = (h: Buffer, at: number, len: number): string => {
    const field = h.subarray(at, at + len);
    const nul = field.indexOf(0);
    return field.subarray(0, nul < 0 ? len : nul).toString('utf8');
  };
  const num = (h: Buffer, at: number, len: number, offset: number, what: string): number => {
    const field = h.subarray(at, at + len);
    if (field[0]! & 0x80) {
      // GNU base-256: big-endian, the first byte's high bit a marker.
      let v = field[0]! & 0x7f;
      for (let i = 1; i < len; i++) v = v * 256 + field[i]!;
      if (!Number.isSafeInteger(v)) fail(offset, `${what} is too large`);
      return v;
    }
    const text = field.toString('latin1').replace(/[\0 ]+$/, '').trim();
    if (text === '') return 0;
    if (!/^[0-7]+$/.test(text)) fail(offset, `${what} \`${text}\` is not an octal number`);
    return parseInt(text, 8);
  };
  const out: TarItem[] = [];
  let pos = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Map<string, string> | undefined;
  while (true) {
    if (pos + BLOCK > length) fail(pos, 'the stream ends without its end-of-archive blocks');
    const h = readAt(pos, BLOCK);
    if (h.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    if (sum !== num(h, 148, 8, pos, 'checksum')) fail(pos, 'header checksum mismatch');
    const size = num(h, 124, 12, pos, 'size');
    const typeflag = String.fromCharCode(h[156]! || 0x30);
    const dataStart = pos + BLOCK;
    if (dataStart + size > length) fail(pos, `an entry of ${size} bytes runs past the end of the stream`);
    const headerAt = pos;
    pos = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (typeflag === 'L' || typeflag === 'K') {
      if (size > MAX_LONG_NAME) fail(headerAt, `a long name of ${size} bytes is more than ${MAX_LONG_NAME}`);
      const name = readAt(dataStart, size).toString('utf8').replace(/\0+$/, '');
      if (typeflag === 'L') longName = name;
      else longLink = name;
      continue;
    }
    if (typeflag === 'x') {
      if (size > MAX_PAX) fail(headerAt, `a pax extended header of ${size} bytes is more than ${MAX_PAX}`);
      pax = parsePax(readAt(dataStart, size), () => fail(headerAt, 'malformed pax extended header'));
      continue;
    }
    if (typeflag === 'g') continue;
    if (out.length >= MAX_TAR_ENTRIES) fail(headerAt, `the stream holds more than ${MAX_TAR_ENTRIES} entries`);
    const prefix = str(h, 345, 155);
    const plain = str(h, 0, 100);
    const type: TarType = typeflag === '0' || typeflag === '7' ? 'file' : typeflag === '1' ? 'hardlink' : typeflag === '2' ? 'symlink' : typeflag === '5' ? 'dir' : 'special';
    out.push({
      path: pax?.get('path') ?? longName ?? (prefix ? `${prefix}/${plain}` : plain),
      type,
      mode: num(h, 100, 8, headerAt, 'mode') & 0o7777,
      uid: pax?.has('uid') ? Number(pax.get('uid')) : num(h, 108, 8, headerAt, 'uid'),
      gid: pax?.has('gid') ? Number(pax.get('gid')) : num(h, 116, 8, headerAt, 'gid'),
      uname: pax?.get('uname') ?? str(h, 265, 32),
      gname: pax?.get('gname') ?? str(h, 297, 32),
      linkname: pax?.get('linkpath') ?? longLink ?? str(h, 157, 100),
      offset: dataStart,
      size: type === 'file' ? size : 0,
    });
    longName = longLink = pax = undefined;
  }
  return out;
}

/** `LEN key=value\n` records. */
function parsePax(data: Buffer, bad: () => never): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) bad();
    const len = Number(data.subarray(at, space).toString('latin1'));
    if (!Number.isSafeInteger(len) || len <= 0 || at + len > data.length) bad();
    const record = data.subarray(space + 1, at + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq < 0) bad();
    out.set(record.slice(0, eq), record.slice(eq + 1));
    at += len;
  }
  return out;
}
