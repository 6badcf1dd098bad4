/**
 * Bounded access to the bytes of an ELF file. Every read is checked against
 * the file's size, so a truncated or corrupt file yields a ZpkgError (E_IO)
 * naming what was being read, never a RangeError from Buffer.
 *
 * A ByteSource hands out slices; a whole Buffer is one, an open file another
 * (so `readElfFile` reads the headers and the few sections it needs, not the
 * whole file).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ZpkgError } from '../../core/errors.js';
import type { ElfClass, ElfEndianness } from './types.js';

export function corrupt(what: string, name?: string): ZpkgError {
  const where = name === undefined ? '' : `${name}: `;
  return new ZpkgError('E_IO', `${where}corrupt or truncated ELF file: ${what}`, {
    hint: 'the file is not a complete ELF object; rebuild or re-download it',
  });
}

export interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes at `offset`, or a ZpkgError naming `what`. */
  read(offset: number, length: number, what: string): Buffer;
}

function checkRange(size: number, offset: number, length: number, what: string, name?: string): void {
  if (
    !Number.isSafeInteger(offset) ||
    !Number.isSafeInteger(length) ||
    offset < 0 ||
    length < 0 ||
    offset + length > size
  ) {
    throw corrupt(`${what} (bytes ${offset}..${offset + length}) lies outside the file (${size} bytes)`, name);
  }
}

export function bufferSource(bytes: Buffer, name?: string): ByteSource {
  return {
    size: bytes.length,
    read(offset, length, what) {
      checkRange(bytes.length, offset, length, what, name);
      return bytes.subarray(offset, offset + length);
    },
  };
}

/** A source over an open file; call `close()` when done. */
export function fileSource(path: string): ByteSource & { close(): void } {
  const fd = openSync(path, 'r');
  let size: number;
  try {
    size = fstatSync(fd).size;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return {
    size,
    read(offset, length, what) {
      checkRange(size, offset, length, what, path);
      const out = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, out, done, length - done, offset + done);
        if (n === 0) throw corrupt(`${what}: file shrank while reading`, path);
        done += n;
      }
      return out;
    },
    close() {
      closeSync(fd);
    },
  };
}

/**
 * Fixed-layout fields of one slice, in the file's byte order; `word` is the
 * class-sized field (Elf32_Addr/Off vs Elf64_Addr/Off/Xword). 64-bit values
 * beyond 2^53 lose precision, which is harmless: such an offset or size fails
 * the range checks anyway.
 */
export class Fields {
  constructor(
    readonly buf: Buffer,
    readonly cls: ElfClass,
    readonly endianness: ElfEndianness,
    readonly what: string,
    readonly name?: string,
  ) {}

  private check(at: number, n: number): void {
    if (at < 0 || at + n > this.buf.length) throw corrupt(`${this.what} ends early`, this.name);
  }

  u8(at: number): number {
    this.check(at, 1);
    return this.buf.readUInt8(at);
  }

  u16(at: number): number {
    this.check(at, 2);
    return this.endianness === 'little' ? this.buf.readUInt16LE(at) : this.buf.readUInt16BE(at);
  }

  u32(at: number): number {
    this.check(at, 4);
    return this.endianness === 'little' ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at);
  }

  u64(at: number): number {
    this.check(at, 8);
    return Number(this.endianness === 'little' ? this.buf.readBigUInt64LE(at) : this.buf.readBigUInt64BE(at));
  }

  word(at: number): number {
    return this.cls === 64 ? this.u64(at) : this.u32(at);
  }
}

/** A NUL-terminated string at `offset` inside a string table. */
export function cString(table: Buffer, offset: number, what: string, name?: string): string {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset >= table.length) {
    throw corrupt(`${what}: string offset ${offset} is outside the string table (${table.length} bytes)`, name);
  }
  const end = table.indexOf(0, offset);
  if (end < 0) throw corrupt(`${what}: string at ${offset} is not terminated`, name);
  return table.toString('utf8', offset, end);
}
