/** Byte ranges of a local file (a directory repository's file, a span of an archive), read positionally into a sink. */
import { readSync } from 'node:fs';
import { RangeCursor, type ByteRange, type RangeSink } from './ranges.js';

const CHUNK = 1 << 20;

/** Feeds `ranges` of the file open as `fd` (offsets relative to `base`) into `sink`, skipping `skip` bytes already held. */
export function readFileRanges(fd: number, base: number, ranges: readonly ByteRange[], sink: RangeSink, skip = 0, limit = Number.POSITIVE_INFINITY): void {
  const cursor = new RangeCursor(ranges, sink, skip);
  const buf = Buffer.allocUnsafe(CHUNK);
  for (const r of cursor.remaining()) {
    let at = r.start;
    const end = r.start + r.length;
    if (end > limit) throw new RangeError(`bytes ${r.start}-${end - 1} lie past the end of the file (${limit} bytes)`);
    while (at < end) {
      const n = readSync(fd, buf, 0, Math.min(CHUNK, end - at), base + at);
      if (n === 0) throw new RangeError(`the file ends at byte ${at}, before ${end}`);
      cursor.feed(at, buf.subarray(0, n));
      at += n;
    }
  }
}
