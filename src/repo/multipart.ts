/**
 * A streaming reader of `multipart/byteranges` (RFC 9110 §14.6): the answer
 * to a request for several ranges. Each part carries a `Content-Range:
 * bytes a-b/size` header and exactly b-a+1 bytes; the reader hands each
 * part's bytes on with their file offset, holding at most one part header in
 * memory, and refuses a body that does not follow the format.
 */
export class MultipartError extends Error {}

const CRLF2 = Buffer.from('\r\n\r\n');
/** A part header is a few lines; more than this is not one. */
export const MAX_PART_HEADER = 16 * 1024;

export function boundaryOf(contentType: string): string | undefined {
  if (!/^\s*multipart\/byteranges\b/i.test(contentType)) return undefined;
  const m = /;\s*boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

export class ByteRangesReader {
  private header = Buffer.alloc(0);
  /** File offset and bytes left of the part being read; undefined between parts. */
  private part: { pos: number; left: number } | undefined;
  private ended = false;
  private readonly delimiter: string;

  constructor(boundary: string, private readonly onData: (pos: number, data: Buffer) => void) {
    this.delimiter = `--${boundary}`;
  }

  push(chunk: Buffer): void {
    let data = chunk;
    while (data.length > 0) {
      if (this.part) {
        const take = Math.min(this.part.left, data.length);
        this.onData(this.part.pos, data.subarray(0, take));
        this.part.pos += take;
        this.part.left -= take;
        data = data.subarray(take);
        if (this.part.left === 0) this.part = undefined;
        continue;
      }
      if (this.ended) return; // the epilogue is ignored
      this.header = Buffer.concat([this.header, data]);
      data = Buffer.alloc(0);
      const text = this.header.toString('latin1', 0, Math.min(this.header.length, MAX_PART_HEADER));
      const closing = text.indexOf(`${this.delimiter}--`);
      const open = text.indexOf(this.delimiter);
      if (closing >= 0 && closing === open) {
        this.ended = true;
        this.header = Buffer.alloc(0);
        return;
      }
      const end = this.header.indexOf(CRLF2, open < 0 ? 0 : open);
      if (open < 0 || end < 0) {
        if (this.header.length > MAX_PART_HEADER) throw new MultipartError('a part header is missing or too long');
        return;
      }
      const lines = text.slice(open + this.delimiter.length, end).split('\r\n');
      const cr = lines.map((l) => /^content-range:\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(l)).find((m) => m);
      if (!cr) throw new MultipartError('a part has no Content-Range header');
      const start = Number(cr[1]);
      const last = Number(cr[2]);
      if (last < start) throw new MultipartError(`a part's Content-Range ${start}-${last} is backwards`);
      this.part = { pos: start, left: last - start + 1 };
      data = this.header.subarray(end + CRLF2.length);
      this.header = Buffer.alloc(0);
    }
  }

  /** True once the closing delimiter was read and no part is left half-read. */
  get complete(): boolean {
    return this.ended && this.part === undefined;
  }
}
