/**
 * A bounded LZ4 frame decoder (the LZ4 Frame Format 1.6.x, as apt writes its
 * lists with `Acquire::GzipIndexes`): frames back to back, skippable frames
 * passed over, blocks compressed or stored, independent or linked. The output
 * never grows past `max` bytes — the decoder refuses at `max` + 1 — whatever
 * the frame's content-size field says. Checksums are not verified (the
 * caller verifies what it imports by other means).
 */

/** Why the data is not an LZ4 frame that fits (the caller names the file). */
export class Lz4Error extends Error {}

const MAGIC = 0x184d2204;

export function decodeLz4Frames(src: Uint8Array, max: number): Buffer {
  let out = Buffer.allocUnsafe(Math.min(max + 1, Math.max(src.length * 4, 1 << 16)));
  let o = 0;
  const need = (n: number): void => {
    if (o + n <= out.length) return;
    if (o + n > max) throw new Lz4Error(`it decompresses to more than ${max} bytes`);
    const grown = Buffer.allocUnsafe(Math.min(max, Math.max(o + n, out.length * 2)));
    out.copy(grown, 0, 0, o);
    out = grown;
  };
  const u32 = (at: number): number => {
    if (at + 4 > src.length) throw new Lz4Error('it ends inside a frame');
    return (src[at]! | (src[at + 1]! << 8) | (src[at + 2]! << 16) | (src[at + 3]! << 24)) >>> 0;
  };
  let p = 0;
  while (p < src.length) {
    const magic = u32(p);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      p += 8 + u32(p + 4);
      continue;
    }
    if (magic !== MAGIC) throw new Lz4Error(`bad frame magic at byte ${p}`);
    if (p + 7 > src.length) throw new Lz4Error('it ends inside a frame header');
    const flg = src[p + 4]!;
    if (flg >> 6 !== 1) throw new Lz4Error('unsupported frame version');
    const blockChecksum = (flg & 0x10) !== 0;
    const contentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const dictId = (flg & 0x01) !== 0;
    const bd = src[p + 5]!;
    const maxBlock = [0, 0, 0, 0, 1 << 16, 1 << 18, 1 << 20, 1 << 22][(bd >> 4) & 7]!;
    if (maxBlock === 0) throw new Lz4Error('bad block maximum size');
    p += 6 + (contentSize ? 8 : 0) + (dictId ? 4 : 0) + 1;
    for (;;) {
      const word = u32(p);
      p += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      if (size > maxBlock || p + size > src.length) throw new Lz4Error(`a block of ${size} bytes does not fit at byte ${p}`);
      if (word & 0x80000000) {
        need(size);
        out.set(src.subarray(p, p + size), o);
        o += size;
      } else {
        decodeBlock(src, p, p + size);
      }
      p += size + (blockChecksum ? 4 : 0);
    }
    if (contentChecksum) p += 4;
    if (p > src.length) throw new Lz4Error('it ends inside a frame');
  }
  return out.subarray(0, o);

  /** One LZ4 block, src[from, to), appended to out; matches may reach back into earlier blocks of the frame. */
  function decodeBlock(s: Uint8Array, from: number, to: number): void {
    let i = from;
    const length = (n: number): number => {
      if (n !== 15) return n;
      for (;;) {
        if (i >= to) throw new Lz4Error('a block ends inside a length');
        const b = s[i++]!;
        n += b;
        if (b !== 255) return n;
      }
    };
    while (i < to) {
      const token = s[i++]!;
      const lit = length(token >> 4);
      if (i + lit > to) throw new Lz4Error('a block ends inside its literals');
      need(lit);
      out.set(s.subarray(i, i + lit), o);
      o += lit;
      i += lit;
      if (i === to) break;
      if (i + 2 > to) throw new Lz4Error('a block ends inside an offset');
      const offset = s[i]! | (s[i + 1]! << 8);
      i += 2;
      if (offset === 0 || offset > o) throw new Lz4Error('a match reaches before the start of the output');
      const len = length(token & 15) + 4;
      need(len);
      let from2 = o - offset;
      if (offset >= len) {
        out.copy(out, o, from2, from2 + len);
        o += len;
      } else {
        for (let k = 0; k < len; k++) out[o++] = out[from2++]!;
      }
    }
  }
}
