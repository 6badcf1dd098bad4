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

export interface TarEntry {
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
  /** File content (empty for other types). */
  data: Buffer;
}

const BLOCK = 512;

export function readTar(buf: Buffer, archive: string): TarEntry[] {
  const fail = (offset: number, why: string): never => {
    throw new ZpkgError('E_ARCHIVE_INVALID', `${archive}: corrupt tar stream at byte ${offset}: ${why}`, {
      hint: 'the package file is damaged or not a Debian package; download it again',
    });
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
  const out: TarEntry[] = [];
  let pos = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Map<string, string> | undefined;
  while (true) {
    if (pos + BLOCK > buf.length) fail(pos, 'the stream ends without its end-of-archive blocks');
    const h = buf.subarray(pos, pos + BLOCK);
    if (h.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    if (sum !== num(h, 148, 8, pos, 'checksum')) fail(pos, 'header checksum mismatch');
    const size = num(h, 124, 12, pos, 'size');
    const typeflag = String.fromCharCode(h[156]! || 0x30);
    const dataStart = pos + BLOCK;
    if (dataStart + size > buf.length) fail(pos, `an entry of ${size} bytes runs past the end of the stream`);
    const data = buf.subarray(dataStart, dataStart + size);
    const headerAt = pos;
    pos = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (typeflag === 'L') {
      longName = data.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    if (typeflag === 'K') {
      longLink = data.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    if (typeflag === 'x') {
      pax = parsePax(data, () => fail(headerAt, 'malformed pax extended header'));
      continue;
    }
    if (typeflag === 'g') continue;
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
      data: type === 'file' ? data : Buffer.alloc(0),
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
