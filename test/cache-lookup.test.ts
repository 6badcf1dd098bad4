/**
 * A transaction asks the content cache about the blobs it needs, not for a
 * listing of every blob (src/image/cache-packs.ts findInCachePacks,
 * src/repo/pack-format.ts lookupPackIndex): a one-file install on an image
 * whose cache holds the pack of a 100,000-file package had spent 0.23 s
 * parsing that pack's index. A searched index answers what a parsed one
 * answers, and what it reads of the index is checked as strictly. Real pack
 * files written by PackWriter in a real cache directory.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { digestOf, type Digest } from '../src/core/digest.js';
import { blobCachePath, cachedBlobs } from '../src/image/cache.js';
import { findInCachePacks, readCachePacks, type CachedBlob } from '../src/image/cache-packs.js';
import { compress } from '../src/repo/compress.js';
import { BLOB_ENTRY_SIZE, encodePackIndex, FRAME_ENTRY_SIZE, lookupPackIndex, parsePackIndex, parsePackTrailer, PACK_TRAILER_SIZE, type PackIndex } from '../src/repo/pack-format.js';
import { PackWriter } from '../src/repo/pack-writer.js';
import { refusal } from './helpers/packs.js';
import { tempDir } from './helpers/zpkg.js';

const d = (n: number): Digest => `sha256:${n.toString(16).padStart(64, '0')}`;

/** An index of `n` blobs of 10 bytes over frames of 100 blobs, data region [8, 8 + 50 × frames). */
function syntheticIndex(n: number): { index: PackIndex; end: number } {
  const frameCount = Math.ceil(n / 100);
  const frames = Array.from({ length: frameCount }, (_, i) => ({ offset: 8 + i * 50, length: 50, size: 1000 }));
  const blobs = Array.from({ length: n }, (_, i) => ({ digest: d(i * 7 + 1), frame: Math.floor(i / 100), offset: (i % 100) * 10, size: 10 }));
  return { index: { frames, blobs }, end: 8 + frameCount * 50 };
}

describe('lookupPackIndex', () => {
  it('finds exactly the entries parsePackIndex has for the digests asked, and nothing for absent ones', () => {
    const { index, end } = syntheticIndex(1_000);
    const bytes = encodePackIndex(index);
    const parsed = parsePackIndex(bytes, end, 'p.pack');
    const present = [0, 1, 2, 499, 500, 998, 999].map((i) => d(i * 7 + 1));
    const absent = [d(0), d(3), d(7 * 1_000 + 1), d(2 ** 40)];
    const r = lookupPackIndex(bytes, end, 'p.pack', [...present, ...absent]);
    expect(r.frames).toEqual(parsed.frames);
    expect(r.found).toEqual(parsed.blobs.filter((b) => present.includes(b.digest)));
    expect(lookupPackIndex(bytes, end, 'p.pack', []).found).toEqual([]);
  });

  it('refuses a frame table that lies, and an entry it finds that lies, as parsePackIndex does', () => {
    const { index, end } = syntheticIndex(300);
    const gap = { ...index, frames: [index.frames[0]!, { ...index.frames[1]!, offset: 60, length: 48 }, index.frames[2]!] };
    expect(refusal(() => lookupPackIndex(encodePackIndex(gap), end, 'p.pack', [d(99)]))).toMatch(/^E_REPO_INVALID: p\.pack is not a valid pack: frame 1 starts at 60/);
    const tooBig = { ...index, frames: [index.frames[0]!, index.frames[1]!, { ...index.frames[2]!, size: 3 << 20 }] };
    // A frame of more content than a group holds is refused once a found blob lies in it and is not alone.
    expect(refusal(() => lookupPackIndex(encodePackIndex(tooBig), end, 'p.pack', [d(1)]))).toBe('accepted');
    expect(refusal(() => lookupPackIndex(encodePackIndex(tooBig), end, 'p.pack', [d(250 * 7 + 1)]))).toMatch(/frame 2 declares 3145728 bytes of content/);
    const blobs = index.blobs.map((b, i) => (i === 150 ? { ...b, frame: 9 } : i === 160 ? { ...b, offset: 995 } : b));
    const lying = encodePackIndex({ ...index, blobs });
    expect(refusal(() => lookupPackIndex(lying, end, 'p.pack', [d(150 * 7 + 1)]))).toMatch(/names frame 9, but there are 3/);
    expect(refusal(() => lookupPackIndex(lying, end, 'p.pack', [d(160 * 7 + 1)]))).toMatch(/runs past the end of frame 1's 1000 bytes of content/);
    // Entries it does not reach are not read: the honest ones still answer.
    expect(lookupPackIndex(lying, end, 'p.pack', [d(1)]).found).toHaveLength(1);
  });
});

/** Writes a real pack of `count` blobs (groups of 50 per frame) into `dir`; returns its file and the blobs' digests. */
function writePack(dir: string, name: string, count: number, seed: string): { file: string; digests: Digest[]; contents: Map<Digest, Buffer> } {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.pack`);
  const w = new PackWriter(file);
  const contents = new Map<Digest, Buffer>();
  for (let start = 0; start < count; start += 50) {
    const group = Array.from({ length: Math.min(50, count - start) }, (_, i) => Buffer.from(`${seed} blob ${start + i}\n`));
    const whole = Buffer.concat(group);
    let at = 0;
    const entries = group.map((c) => {
      const e = { digest: digestOf(c), offset: at, size: c.length };
      at += c.length;
      contents.set(e.digest, c);
      return e;
    });
    w.addFrame(compress(whole), whole.length, entries);
  }
  w.finish();
  return { file, digests: [...contents.keys()], contents };
}

/** The blob table of a pack file: where it starts and how many entries it has. */
function blobTable(file: string): { at: number; count: number } {
  const bytes = readFileSync(file);
  const t = parsePackTrailer(bytes.subarray(bytes.length - PACK_TRAILER_SIZE), bytes.length, file);
  const frames = bytes.readUInt32LE(t.offset);
  return { at: t.offset + 8 + frames * FRAME_ENTRY_SIZE, count: bytes.readUInt32LE(t.offset + 4) };
}

const plain = (m: Map<Digest, CachedBlob>): [Digest, CachedBlob][] => [...m].sort((x, y) => (x[0] < y[0] ? -1 : 1));

describe('findInCachePacks', () => {
  it('places the wanted blobs as readCachePacks does, searched (few wanted) or parsed (many), the first pack winning', () => {
    const dir = join(tempDir('zpkg-cache-lookup-'), 'packs');
    const a = writePack(dir, 'a', 2_000, 'a');
    const b = writePack(dir, 'b', 300, 'b');
    // A blob two packs hold: pack a (first in name order) wins either way.
    const shared = writePack(dir, 'c', 1, 'a').digests[0]!;
    expect(a.digests).toContain(shared);
    const all = readCachePacks(dir);
    for (const wanted of [[shared, a.digests[5]!, b.digests[7]!, d(1)], [...a.digests.slice(0, 1_500), ...b.digests, d(2)]]) {
      const got = findInCachePacks(dir, new Set(wanted));
      expect(got.size).toBe(wanted.length - 1);
      expect(got.get(shared)?.file).toBe(join(dir, 'a.pack'));
      expect(plain(got)).toEqual(plain(new Map([...all].filter(([k]) => wanted.includes(k)))));
    }
  });

  it('searching a pack does not read entries it does not need: a blob table out of order elsewhere still answers, a full parse drops the pack', () => {
    const dir = join(tempDir('zpkg-cache-lookup-'), 'packs');
    const { file, digests } = writePack(dir, 'p', 2_000, 'p');
    const { at, count } = blobTable(file);
    const bytes = readFileSync(file);
    // The last two entries swap their digests: the table is out of order there.
    const last = at + (count - 1) * BLOB_ENTRY_SIZE;
    const before = at + (count - 2) * BLOB_ENTRY_SIZE;
    const x = Buffer.from(bytes.subarray(last, last + 32));
    bytes.copy(bytes, last, before, before + 32);
    x.copy(bytes, before);
    writeFileSync(file, bytes);
    const sorted = [...digests].sort();
    const one = sorted[3]!;
    expect(findInCachePacks(dir, new Set([one])).get(one)?.file).toBe(file);
    expect(existsSync(file)).toBe(true);
    // Many wanted: the index is parsed whole, found out of order, and the pack deleted (its blobs are fetched again).
    expect(findInCachePacks(dir, new Set(sorted.slice(0, 1_000))).size).toBe(0);
    expect(existsSync(file)).toBe(false);
  });

  it('a pack whose trailer is garbage is deleted, searched or not; packs after the last wanted blob is found are not opened', () => {
    const dir = join(tempDir('zpkg-cache-lookup-'), 'packs');
    const a = writePack(dir, 'a', 400, 'a');
    writeFileSync(join(dir, 'b.pack'), 'not a pack at all, not even close to one');
    writeFileSync(join(dir, 'z.pack'), 'nor is this');
    expect(findInCachePacks(dir, new Set([a.digests[0]!])).size).toBe(1);
    expect(existsSync(join(dir, 'b.pack'))).toBe(true);
    expect(findInCachePacks(dir, new Set([a.digests[0]!, d(5)])).size).toBe(1);
    expect(existsSync(join(dir, 'b.pack'))).toBe(false);
    expect(existsSync(join(dir, 'z.pack'))).toBe(false);
  });

  it('cachedBlobs with wanted digests answers for those only, single blob files included', () => {
    const cache = tempDir('zpkg-cache-lookup-');
    const p = writePack(join(cache, 'packs'), 'p', 500, 'p');
    const loose = Buffer.from('a hook kept as a single blob\n');
    const looseDigest = digestOf(loose);
    mkdirSync(join(blobCachePath(cache, looseDigest), '..'), { recursive: true });
    writeFileSync(blobCachePath(cache, looseDigest), compress(loose));
    const other = digestOf('another single blob');
    mkdirSync(join(blobCachePath(cache, other), '..'), { recursive: true });
    writeFileSync(blobCachePath(cache, other), compress(Buffer.from('another single blob')));
    const got = cachedBlobs(cache, new Set([p.digests[9]!, looseDigest, d(3)]));
    expect([...got.keys()].sort()).toEqual([p.digests[9]!, looseDigest].sort());
    expect(cachedBlobs(cache).size).toBe(502);
  });
});
