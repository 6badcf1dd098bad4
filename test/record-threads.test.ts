/**
 * A record of THREADED_RECORD bytes or more is compressed on zstd's own
 * threads (src/repo/record.ts): the bytes must decompress to the record, and
 * must not depend on how many threads the machine gave it — a package built
 * twice, or on another machine, publishes the same record.
 */
import { describe, expect, it } from 'vitest';
import { compress, compressOnThreads, decompress } from '../src/repo/compress.js';
import { compressRecord, RECORD_LEVEL, THREADED_RECORD } from '../src/repo/record.js';
import { setThreadLimit } from '../src/fs/threads.js';

/** Text-like bytes that compress as manifests do: paths and digests. */
function recordLike(bytes: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (let i = 0; at < bytes; i++) {
    const line = `{"digest":"sha256:${((i * 2654435761) >>> 0).toString(16).padStart(64, '0')}","path":"usr/lib/python3/site-packages/pkg${i % 977}/mod${i}.py","size":${i % 4096}}`;
    at += out.write(line, at);
  }
  return out;
}

describe('record compression on threads', () => {
  const big = recordLike(THREADED_RECORD + (3 << 20));

  it('decompresses to the record and gives the same bytes on 1, 2 and 4 threads', () => {
    const one = compressOnThreads(big, RECORD_LEVEL, 1);
    expect(decompress(one).equals(big)).toBe(true);
    expect(compressOnThreads(big, RECORD_LEVEL, 2).equals(one)).toBe(true);
    expect(compressOnThreads(big, RECORD_LEVEL, 4).equals(one)).toBe(true);
    try {
      setThreadLimit(1);
      expect(compressRecord(big).equals(one)).toBe(true);
      setThreadLimit(3);
      expect(compressRecord(big).equals(one)).toBe(true);
    } finally {
      setThreadLimit(undefined);
    }
  }, 120_000);

  it('leaves a smaller record to one thread, as before', () => {
    const small = big.subarray(0, 1 << 20);
    expect(compressRecord(small).equals(compress(small, RECORD_LEVEL))).toBe(true);
  });
});
