// Issue 16 §3 "Decompression": every decompressor stops at the declared size (or the configured
// limit) + 1 byte and refuses — pack frames, catalogs, the file index, hook blobs, Debian indexes,
// .deb members — and nothing that can be streamed is buffered whole (import-deb's data.tar).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { compressFrameSync } from 'lz4-napi';
import { beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../src/core/digest.js';
import { craftFrames, peakRss, publishCatalogBytes, zstdZeros } from '../helpers/bombs.js';
import { expectRefused, fileAction, hostileImage, hostileWorld, manifestOf, type HostileWorld } from '../helpers/hostile.js';
import { thrown } from '../helpers/hostile.js';
import { BIN, ok, TEST_KEY, zpkg } from '../helpers/zpkg.js';

const MiB = 1 << 20;
let world: HostileWorld;


const withLimits = (limits: Record<string, number>) => (root: string) => {
  mkdirSync(join(root, 'etc/zpkg'), { recursive: true });
  writeFileSync(join(root, 'etc/zpkg/zpkg.yaml'), `limits:\n${Object.entries(limits).map(([k, v]) => `  ${k}: ${v}\n`).join('')}`);
};

beforeAll(() => {
  world = hostileWorld('zpkg-bombs-');
});

describe('pack frames stop at their declared size', () => {
  /** No pack (nor part of one) reached the image's cache: the refusal came from the record alone. */
  const nothingFetched = (root: string): void => {
    expect(readdirSync(root, { recursive: true }).map(String).filter((p) => p.endsWith('.pack'))).toEqual([]);
  };

  it('a frame declared 3 bytes but stored in 18 KB (a 512 MiB bomb) is refused from its map, before any of it is fetched', async () => {
    const three = Buffer.alloc(3);
    await craftFrames(world.repo, manifestOf('tiny-bomb', [fileAction('usr/share/tiny', three)]), [{ stored: zstdZeros(512 * MiB), size: 3, blobs: [{ digest: digestOf(three), offset: 0, size: 3 }] }]);
    const root = hostileImage(world, 'frame-3');
    expectRefused(world, root, ['install', 'tiny-bomb'], { code: 'E_REPO_INVALID', message: /tiny-bomb.*frame 0 stores 3 bytes of content in \d+ bytes, more than zstd ever needs/ });
    nothingFetched(root);
    const run = peakRss([process.execPath, BIN, '--root', root, '--json', 'install', 'tiny-bomb'], { ...process.env, ZPKG_REPO_KEY: TEST_KEY });
    expect(run.status, run.stderr).not.toBe(0);
    expect(run.maxKiB).toBeLessThan(384 * 1024);
  });

  it('a frame declared 1 MiB that expands to 512 MiB is refused by the decoder at 1 MiB + 1 byte, in bounded memory', async () => {
    // Within every bound a map can be checked against (one blob alone, 18 KB stored for 1 MiB): only decoding finds the lie.
    const mib = Buffer.alloc(MiB);
    await craftFrames(world.repo, manifestOf('mib-bomb', [fileAction('usr/share/mib', mib)]), [{ stored: zstdZeros(512 * MiB), size: MiB, blobs: [{ digest: digestOf(mib), offset: 0, size: MiB }] }]);
    const root = hostileImage(world, 'frame-1m');
    expectRefused(world, root, ['install', 'mib-bomb'], { code: 'E_DIGEST_MISMATCH', message: /mib-bomb|usr\/share\/mib/ });
    const run = peakRss([process.execPath, BIN, '--root', root, '--json', 'install', 'mib-bomb'], { ...process.env, ZPKG_REPO_KEY: TEST_KEY });
    expect(run.status, run.stderr).not.toBe(0);
    // Decoding the whole frame would hold at least 512 MiB.
    expect(run.maxKiB).toBeLessThan(384 * 1024);
  });

  it('a frame declared 64 MiB that holds more puts nothing into the image', async () => {
    const declared = Buffer.alloc(64 * MiB);
    await craftFrames(world.repo, manifestOf('big-bomb', [fileAction('usr/share/big', declared)]), [{ stored: zstdZeros(96 * MiB), size: 64 * MiB, blobs: [{ digest: digestOf(declared), offset: 0, size: 64 * MiB }] }]);
    const root = hostileImage(world, 'frame-64');
    expectRefused(world, root, ['install', 'big-bomb'], { code: 'E_DIGEST_MISMATCH', message: /big-bomb|usr\/share\/big/ });
  });

  // A map is not signed: only the manifest's blob sizes bound what a frame may declare (pack-format.ts checkFrameBounds).
  it('a frame declaring more content than grouped blobs hold, for blobs of a few bytes, is refused before it is fetched', async () => {
    const a = Buffer.from('aaa');
    const b = Buffer.from('bbb');
    await craftFrames(world.repo, manifestOf('wide-frame', [fileAction('usr/share/a', a), fileAction('usr/share/b', b)]), [
      { stored: zstdZeros(64 * MiB), size: 64 * MiB, blobs: [{ digest: digestOf(a), offset: 0, size: 3 }, { digest: digestOf(b), offset: 3, size: 3 }] },
    ]);
    const root = hostileImage(world, 'frame-wide');
    expectRefused(world, root, ['install', 'wide-frame'], { code: 'E_REPO_INVALID', message: /frame 0 declares 67108864 bytes of content, more than a frame of grouped blobs holds \(2097152\), and is not one blob alone/ });
    nothingFetched(root);
  });

  it('a lone blob in a frame that declares more content than the blob is refused before it is fetched', async () => {
    const c = Buffer.from('content\n');
    await craftFrames(world.repo, manifestOf('padded-frame', [fileAction('usr/share/c', c)]), [{ stored: zstdZeros(8 * MiB), size: 8 * MiB, blobs: [{ digest: digestOf(c), offset: 0, size: c.length }] }]);
    const root = hostileImage(world, 'frame-padded');
    expectRefused(world, root, ['install', 'padded-frame'], { code: 'E_REPO_INVALID', message: /frame 0 declares 8388608 bytes of content.*not one blob alone/ });
    nothingFetched(root);
  });
});

describe('catalogs and the file index stop at the configured limit', () => {
  it('a zstd catalog bomb is refused at limits.catalog-bytes + 1', async () => {
    const w = hostileWorld('zpkg-bombs-cat-');
    const root = hostileImage(w, 'img', { setup: withLimits({ 'catalog-bytes': 4 * MiB }) });
    await publishCatalogBytes(w.repo, zstdZeros(64 * MiB), 1);
    expectRefused(w, root, ['refresh'], { code: 'E_REPO_INVALID', message: /catalog decompresses to more than 4194304 bytes/ });
  });

  it('a catalog bomb at the default limit (512 MiB) is refused without holding the bomb', async () => {
    const w = hostileWorld('zpkg-bombs-cat-default-');
    const root = hostileImage(w, 'img');
    await publishCatalogBytes(w.repo, zstdZeros(1536 * MiB), 1);
    expectRefused(w, root, ['refresh'], { code: 'E_REPO_INVALID', message: /catalog decompresses to more than 536870912 bytes/, timeoutMs: 300_000 });
    const run = peakRss([process.execPath, BIN, '--root', root, '--json', 'refresh']);
    expect(run.status).not.toBe(0);
    expect(run.maxKiB).toBeLessThan(1024 * 1024);
  });

  it('a catalog that is not zstd, or is cut short, is a typed refusal', async () => {
    const w = hostileWorld('zpkg-bombs-garbage-');
    const root = hostileImage(w, 'img');
    for (const bytes of [Buffer.from('garbage, not a zstd frame'), Buffer.alloc(2), zstdZeros(4 * MiB).subarray(0, 40)]) {
      await publishCatalogBytes(w.repo, bytes, 1);
      expectRefused(w, root, ['refresh'], { code: 'E_REPO_INVALID', message: /catalog does not decompress/ });
    }
  });

  it('root metadata declaring more packages than limits.catalog-packages is refused before the catalog is fetched', async () => {
    const w = hostileWorld('zpkg-bombs-count-');
    const root = hostileImage(w, 'img', { setup: withLimits({ 'catalog-packages': 10 }) });
    const digest = await publishCatalogBytes(w.repo, zstdZeros(16), 11);
    // The catalog is not even there: refusing must not need it.
    spawnSync('rm', ['-f', join(w.repo, 'catalog', `${digest.slice(7)}.zst`)]);
    expectRefused(w, root, ['refresh'], { code: 'E_REPO_INVALID', message: /11 package versions, more than the limit of 10/ });
  });

  it('a catalog holding more versions than its root metadata declares is refused', async () => {
    const w = hostileWorld('zpkg-bombs-agree-');
    const c = Buffer.from('x\n');
    const { craft } = await import('../helpers/packs.js');
    await craft(w.repo, manifestOf('one', [fileAction('usr/share/one', c)]), [c]);
    await craft(w.repo, manifestOf('two', [fileAction('usr/share/two', c)]), [c]);
    const root = hostileImage(w, 'img');
    const { readFileSync } = await import('node:fs');
    const { readSnapshot } = await import('../../src/repo/snapshot.js');
    const { DirBackend } = await import('../../src/repo/dir-backend.js');
    const snap = await readSnapshot(new DirBackend(w.repo));
    await craft(w.repo, manifestOf('three', [fileAction('usr/share/three', c)]), [c]);
    const after = await readSnapshot(new DirBackend(w.repo));
    // Same three-version catalog, root metadata saying two.
    await publishCatalogBytes(w.repo, readFileSync(join(w.repo, 'catalog', `${after.root.catalog.digest.slice(7)}.zst`)), snap.root.catalog.packages);
    expectRefused(w, root, ['refresh'], { code: 'E_REPO_INVALID', message: /holds 3 package versions, but its root metadata says 2/ });
  });

  it('a catalog that raised limits accept is read; limits in zpkg.yaml are validated', async () => {
    const w = hostileWorld('zpkg-bombs-raise-');
    const c = Buffer.from('x\n');
    const { craft } = await import('../helpers/packs.js');
    await craft(w.repo, manifestOf('fine', [fileAction('usr/share/fine', c)]), [c]);
    const low = hostileImage(w, 'low', { setup: withLimits({ 'catalog-packages': 1 }) });
    expect(zpkg(['--root', low, 'search', 'fine']).status).toBe(0);
    const { craft: craft2 } = await import('../helpers/packs.js');
    await craft2(w.repo, manifestOf('fine-too', [fileAction('usr/share/fine-too', c)]), [c]);
    expectRefused(w, low, ['refresh'], { code: 'E_REPO_INVALID', message: /more than the limit of 1/ });
    withLimits({ 'catalog-packages': 2 })(low);
    ok(['--root', low, 'refresh']);
    for (const bad of ['catalog-packages: 0', 'catalog-bytes: -1', 'catalog-bytes: 1.5', 'catalog-bytes: "big"', 'no-such-limit: 1']) {
      writeFileSync(join(low, 'etc/zpkg/zpkg.yaml'), `limits:\n  ${bad}\n`);
      expectRefused(w, low, ['refresh'], { code: 'E_CONFIG_INVALID', message: /limits/ });
    }
    writeFileSync(join(low, 'etc/zpkg/zpkg.yaml'), 'limits: [1]\n');
    expectRefused(w, low, ['refresh'], { code: 'E_CONFIG_INVALID', message: /`limits` must be a mapping/ });
  });

  it('a file index bomb is refused at limits.file-index-bytes + 1', async () => {
    const w = hostileWorld('zpkg-bombs-files-');
    const root = hostileImage(w, 'img', { setup: withLimits({ 'file-index-bytes': 1 * MiB }) });
    const { readSnapshot } = await import('../../src/repo/snapshot.js');
    const { DirBackend } = await import('../../src/repo/dir-backend.js');
    const { readFileSync } = await import('node:fs');
    const snap = await readSnapshot(new DirBackend(w.repo));
    const catalog = readFileSync(join(w.repo, 'catalog', `${snap.root.catalog.digest.slice(7)}.zst`));
    await publishCatalogBytes(w.repo, catalog, snap.root.catalog.packages, zstdZeros(8 * MiB));
    ok(['--root', root, 'refresh']);
    expectRefused(w, root, ['search', '--file', 'usr/bin'], { code: 'E_REPO_INVALID', message: /file index decompresses to more than 1048576 bytes/ });
    // The solver only consults the index for `file:` relations: it says so and goes on without it.
    const r = zpkg(['--root', root, 'install', '-n', 'file:/usr/bin/nothing']);
    expect(r.stderr).toMatch(/file index of remote `main` cannot be read .*decompresses to more than 1048576 bytes/);
  });
});

describe('hook blobs stop at the hook\'s declared size', () => {
  it('a cached hook blob that expands past its declared size is refused, nothing stored', async () => {
    const { storeHook } = await import('../../src/hooks/store.js');
    const dir = join(world.work, 'hook-bomb');
    // An image root (storeHook resolves the hook store inside it).
    mkdirSync(join(dir, 'root'), { recursive: true });
    const digest = digestOf(Buffer.from('#!/bin/sh\n'));
    // 256 MiB of zeros (~8 KB stored): bigger than any frame of 10 bytes can be, so it is not even read.
    writeFileSync(join(dir, 'blob.zst'), zstdZeros(256 * MiB));
    const big = thrown(() => storeHook(join(dir, 'root'), digest, 10, join(dir, 'blob.zst'), 'the post-install hook of evil'));
    expect(big.code).toBe('E_REPO_INVALID');
    expect(big.message).toMatch(/^the post-install hook of evil: its blob sha256:\S+ \(.*blob\.zst\): is \d+ bytes, more than the 73 allowed; it was not read$/);
    // 1 MiB of zeros stored in 51 bytes, within that bound: decompression stops past the declared 10.
    const small = zstdZeros(MiB);
    expect(small.length).toBeLessThanOrEqual(73);
    writeFileSync(join(dir, 'blob.zst'), small);
    const err = thrown(() => storeHook(join(dir, 'root'), digest, 10, join(dir, 'blob.zst'), 'the post-install hook of evil'));
    expect(err.code).toBe('E_REPO_INVALID');
    expect(err.message).toMatch(/post-install hook of evil.*decompresses to more than 10 bytes/);
    expect(readdirSync(dir).sort()).toEqual(['blob.zst', 'root']);
    expect(readdirSync(join(dir, 'root'))).toEqual([]);
  });
});

describe('Debian indexes stop at their bound', () => {
  it('gzip, zstd and LZ4 indexes decompressing past the bound are refused at bound + 1', async () => {
    const { decompressIndex } = await import('../../src/repo/debian/decompress.js');
    const big = Buffer.alloc(2 * MiB, 0x61);
    for (const [kind, bytes] of [['gzip', gzipSync(big)], ['zstd', zstdZeros(2 * MiB)], ['lz4', compressFrameSync(big)]] as const) {
      const err = thrown(() => decompressIndex(bytes, `Packages.${kind}`, MiB));
      expect(err.code, kind).toBe('E_REPO_INVALID');
      expect(err.message, kind).toMatch(/decompresses to more than 1048576 bytes/);
      // At the bound itself the same data reads.
      expect(decompressIndex(bytes, kind, 2 * MiB).length, kind).toBe(2 * MiB);
    }
  });

  it('the LZ4 reader agrees with the lz4 tool and refuses malformed frames with a typed error', async () => {
    const { decompressIndex } = await import('../../src/repo/debian/decompress.js');
    const text = Buffer.from(Array.from({ length: 20_000 }, (_, i) => `Package: p${i % 777}\nVersion: ${i}\n\n`).join(''));
    const file = join(world.work, 'index');
    writeFileSync(file, text);
    for (const flags of [['-1'], ['-9', '--no-frame-crc'], ['-1', '-BD'], ['-1', '-B4', '--content-size'], ['-1', '-BX']]) {
      const r = spawnSync('lz4', ['-q', '-c', ...flags, file], { maxBuffer: 64 * MiB });
      expect(r.status, flags.join(' ')).toBe(0);
      expect(decompressIndex(r.stdout, 'Packages.lz4').equals(text), flags.join(' ')).toBe(true);
    }
    const good = compressFrameSync(text);
    const cases = [good.subarray(0, 9), good.subarray(0, good.length - 6), Buffer.concat([good.subarray(0, 7), Buffer.from([0x05, 0, 0, 0, 0x00, 0xff, 0xff, 0, 0])]), Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x00, 0x40, 0x82])];
    for (const bytes of cases) expect(thrown(() => decompressIndex(bytes, 'Packages.lz4')).code).toBe('E_REPO_INVALID');
  });
});

/** A .deb from a control text and a data.tar stream made by `dataTarCmd` (a shell pipeline writing tar to stdout), compressed with zstd. */
function makeDeb(dir: string, control: string, dataTarCmd: string, extraControl: Record<string, Buffer> = {}): string {
  mkdirSync(join(dir, 'ctrl'), { recursive: true });
  writeFileSync(join(dir, 'ctrl/control'), control);
  for (const [name, bytes] of Object.entries(extraControl)) writeFileSync(join(dir, 'ctrl', name), bytes);
  writeFileSync(join(dir, 'debian-binary'), '2.0\n');
  const script = [
    `cd ${dir}`,
    'tar --owner=0 --group=0 -czf control.tar.gz -C ctrl .',
    `(${dataTarCmd}) | zstd -q -1 -c > data.tar.zst`,
    'rm -f pkg.deb',
    'ar rc pkg.deb debian-binary control.tar.gz data.tar.zst',
  ].join(' && ');
  const r = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return join(dir, 'pkg.deb');
}

/** A tar stream on stdout holding one file `usr/share/zeros` of `bytes` zero bytes, made without the bytes on disk. */
const zeroTar = (bytes: number): string =>
  `python3 -c "import sys,tarfile,io
ti=tarfile.TarInfo('./usr/share/zeros'); ti.size=${bytes}; ti.mode=0o644
o=sys.stdout.buffer; o.write(ti.tobuf(format=tarfile.GNU_FORMAT)); z=bytes(1<<20); n=${bytes}
while n>0:
  k=min(n,len(z)); o.write(z[:k]); n-=k
o.write(bytes((512-${bytes}%512)%512)); o.write(bytes(1024))"`;

describe('import-deb streams data.tar and stops at its declared size', () => {
  it('a 2 GiB data.tar in a .deb declaring Installed-Size 4 is refused, in bounded memory, leaving no temporary file', () => {
    const dir = join(world.work, 'deb-bomb');
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp, { recursive: true });
    const deb = makeDeb(dir, 'Package: bomb\nVersion: 1.0\nArchitecture: all\nMaintainer: x <x@x>\nInstalled-Size: 4\nDescription: a bomb\n', zeroTar(2048 * MiB));
    const env = { ...process.env, TMPDIR: tmp };
    const run = peakRss([process.execPath, BIN, '--json', 'import-deb', deb], env);
    expect(run.status, run.stderr).not.toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.error.code).toBe('E_ARCHIVE_INVALID');
    expect(out.error.message).toMatch(/data archive decompresses to more than \d+ bytes/);
    expect(run.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
    // The old reader buffered the whole stream (up to 4 GiB); the bound (2 × 4 KiB + 64 MiB) keeps it far below.
    expect(run.maxKiB).toBeLessThan(512 * 1024);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('a legitimate package as large as it declares imports, its content copied out of the stream', () => {
    const dir = join(world.work, 'deb-large');
    const deb = makeDeb(dir, `Package: large\nVersion: 1.0\nArchitecture: all\nMaintainer: x <x@x>\nInstalled-Size: ${96 * 1024}\nDescription: large\n`, zeroTar(96 * MiB));
    const r = ok(['--json', 'import-deb', deb]);
    const p = JSON.parse(r.stdout).packages[0];
    expect(p).toMatchObject({ name: 'large', files: 1, bytes: 96 * MiB });
  });

  it('a control archive larger than 16 MiB is refused', () => {
    const dir = join(world.work, 'deb-ctrl');
    const noise = spawnSync('head', ['-c', String(24 * MiB), '/dev/urandom'], { maxBuffer: 64 * MiB }).stdout;
    const deb = makeDeb(dir, 'Package: fat\nVersion: 1.0\nArchitecture: all\nMaintainer: x <x@x>\nDescription: fat\n', zeroTar(10), { postinst: noise });
    const r = zpkg(['--json', 'import-deb', deb]);
    expect(r.status).not.toBe(0);
    expect(r.json?.error?.code).toBe('E_ARCHIVE_INVALID');
    expect(r.json?.error?.message).toMatch(/control archive is larger than 16777216 bytes/);
  });
});

describe('tar headers are bounded', () => {
  /** A GNU tar header with a valid checksum. */
  function header(name: string, type: string, size: number): Buffer {
    const h = Buffer.alloc(512);
    h.write(name, 0);
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
    h.write('00000000000\0', 136);
    h.write(type, 156);
    h.write('ustar  \0', 257);
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    return h;
  }

  it('a long name or pax header declaring a gigabyte is refused without reading it', async () => {
    const { scanTar } = await import('../../src/build/deb/tar.js');
    for (const type of ['L', 'K', 'x']) {
      const h = header('././@LongLink', type, 1 << 30);
      let read = 0;
      // A stream that claims to be huge and reads as zeros past the header.
      const source = {
        read: (into: Buffer, length: number, position: number) => {
          read += length;
          if (position < 512) return h.copy(into, 0, position, Math.min(512, position + length));
          into.fill(0, 0, length);
          return length;
        },
      };
      const err = thrown(() => scanTar(source, 4 * 2 ** 30, 'huge.tar'));
      expect(err.code, type).toBe('E_ARCHIVE_INVALID');
      expect(err.message, type).toMatch(/huge\.tar: corrupt tar stream at byte 0: a (long name|pax extended header) of 1073741824 bytes/);
      expect(read, type).toBeLessThan(1 << 20);
    }
  });
});
