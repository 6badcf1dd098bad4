/**
 * Packs written ahead: a PackBuilder fed package by package (as a build run
 * feeds it, each recipe once its tree is packed) writes the same pack as
 * buildPack given everything at once, reusing its buffers without mixing up
 * frames; publishing takes a prepared pack only when it holds exactly the
 * blobs the publish must write, and otherwise makes its own and leaves no
 * scratch file behind.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { Digest } from '../src/core/digest.js';
import { checkPackBytes } from '../src/repo/pack-check.js';
import { buildPack, INLINE_FRAME, PackBuilder, type BlobFile } from '../src/repo/pack-build.js';
import { writeRecipe } from './helpers/recipes.js';
import { ok, tempDir, zpkg } from './helpers/zpkg.js';

/** Worker pools started, by worker script (every pool of this file goes through this count). */
const poolsStarted = vi.hoisted(() => new Map<string, number>());
vi.mock('../src/fs/workers.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/fs/workers.js')>();
  class CountedPool<In, Out> extends real.WorkerPool<In, Out> {
    constructor(...args: ConstructorParameters<typeof real.WorkerPool<In, Out>>) {
      super(...args);
      const script = String(args[0]).replace(/^.*\//, '');
      poolsStarted.set(script, (poolsStarted.get(script) ?? 0) + 1);
    }
  }
  return { ...real, WorkerPool: CountedPool };
});
const compressPools = (): number => [...poolsStarted].filter(([k]) => k.startsWith('compress-worker')).reduce((n, [, v]) => n + v, 0);

let work: string;
beforeAll(() => {
  work = tempDir('zpkg-pack-ahead-');
});

/** `count` files of varied sizes (some incompressible, some repetitive, some empty, one duplicated) under `dir`. */
function blobFiles(dir: string, count: number, seed: number): BlobFile[] {
  mkdirSync(dir, { recursive: true });
  const out: BlobFile[] = [];
  for (let i = 0; i < count; i++) {
    const size = i % 17 === 0 ? 0 : ((i * 7919 + seed * 104729) % 180_000) + 1;
    const content = i % 3 === 0 ? randomBytes(size) : Buffer.alloc(size, `${seed}:${i} `);
    const path = join(dir, `f${i}`);
    writeFileSync(path, content);
    out.push({ digest: `sha256:${createHash('sha256').update(content).digest('hex')}` as Digest, size, path });
  }
  const twin = join(dir, 'twin');
  writeFileSync(twin, readFileSync(out[1]!.path));
  out.push({ ...out[1]!, path: twin });
  return out;
}

describe('PackBuilder', () => {
  it('fed package by package, writes the pack buildPack writes at once, and every blob decodes to its digest', async () => {
    const a = blobFiles(join(work, 'a'), 160, 1);
    const b = blobFiles(join(work, 'b'), 120, 2);
    // b shares blobs with a: each is written once, in the first package that has it.
    const shared = [...b, a[5]!, a[6]!];
    const whole = await buildPack(join(work, 'whole.pack'), [a, shared]);
    const builder = new PackBuilder(join(work, 'fed.pack'), { workers: 2 });
    builder.add(a, 'a 1');
    await new Promise((r) => setTimeout(r, 20));
    builder.add(shared, 'b 1');
    const fed = await builder.finish();
    expect(fed.digest).toBe(whole.digest);
    expect(fed.index.frames.length).toBeGreaterThan(10); // enough frames to hand buffers back and forth
    const bytes = readFileSync(join(work, 'fed.pack'));
    const index = checkPackBytes(bytes, fed.digest, 'fed.pack');
    const unique = new Set([...a, ...shared].map((f) => f.digest));
    expect(index.blobs.map((x) => x.digest).sort()).toEqual([...unique].sort());
    expect(builder.added).toEqual([...unique]);
  });

  it('a file that no longer hashes to its digest fails finish with a typed error, and the pack file is gone', async () => {
    const files = blobFiles(join(work, 'c'), 30, 3);
    writeFileSync(files[7]!.path, Buffer.alloc(files[7]!.size, 'altered'));
    const builder = new PackBuilder(join(work, 'bad.pack'));
    builder.add(files, 'c 1');
    await expect(builder.finish()).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH', message: expect.stringContaining(`${files[7]!.path} changed while publishing c 1`) });
    expect(existsSync(join(work, 'bad.pack'))).toBe(false);
  });

  it('a small frame, before any worker started, is compressed on this thread, to the bytes a worker writes', async () => {
    const dir = join(work, 'small');
    mkdirSync(dir, { recursive: true });
    const small: BlobFile[] = ['a config file\n', 'another one\n'.repeat(50), ''].map((text, i) => {
      const path = join(dir, `s${i}`);
      writeFileSync(path, text);
      return { digest: `sha256:${createHash('sha256').update(text).digest('hex')}` as Digest, size: Buffer.byteLength(text), path };
    });
    const started = compressPools();
    const alone = await buildPack(join(work, 'small.pack'), [small]);
    expect(compressPools()).toBe(started);
    const aloneBytes = readFileSync(join(work, 'small.pack'));
    const aloneIndex = checkPackBytes(aloneBytes, alone.digest, 'small.pack');
    expect(aloneIndex.blobs.map((b) => b.digest).sort()).toEqual(small.map((b) => b.digest).sort());
    // After a package of a full frame, the workers are running and take the same small package's frame.
    const big = blobFiles(join(work, 'big'), 12, 5);
    expect(big.reduce((n, b) => n + b.size, 0)).toBeGreaterThan(INLINE_FRAME);
    const after = await buildPack(join(work, 'after.pack'), [big, small]);
    expect(compressPools()).toBe(started + 1);
    const afterBytes = readFileSync(join(work, 'after.pack'));
    const afterIndex = checkPackBytes(afterBytes, after.digest, 'after.pack');
    const frameOf = (bytes: Buffer, index: typeof aloneIndex, digest: Digest): Buffer => {
      const f = index.frames[index.blobs.find((b) => b.digest === digest)!.frame]!;
      return bytes.subarray(f.offset, f.offset + f.length);
    };
    expect(frameOf(afterBytes, afterIndex, small[1]!.digest).equals(frameOf(aloneBytes, aloneIndex, small[1]!.digest))).toBe(true);
    // A small file that changed is refused on this thread as on a worker.
    writeFileSync(small[0]!.path, 'A config file\n');
    await expect(buildPack(join(work, 'changed.pack'), [small], { what: 'small 1' })).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH', message: expect.stringContaining(`${small[0]!.path} changed while publishing small 1`) });
    expect(existsSync(join(work, 'changed.pack'))).toBe(false);
    expect(compressPools()).toBe(started + 1);
  });

  it('abort stops it and deletes the pack', async () => {
    const builder = new PackBuilder(join(work, 'gone.pack'));
    builder.add(blobFiles(join(work, 'd'), 40, 4));
    await builder.abort();
    expect(existsSync(join(work, 'gone.pack'))).toBe(false);
    expect(() => builder.add([])).toThrow(/already finished/);
  });
});

describe('a build run packs ahead', () => {
  const tree = (dir: string, seed: number): Record<string, string> =>
    Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`root/usr/share/${dir}/f${i}.txt`, `${dir} ${seed} ${i} `.repeat(200 + i * 50)]));

  it('one recipe: publishing takes the pack written during the build, and the package installs', () => {
    const repo = join(work, 'repo1');
    ok(['repo', 'create', repo]);
    const recipe = writeRecipe(join(work, 'r1/alpha'), { name: 'alpha', version: '1', root: 'root' }, tree('alpha', 1));
    const out = JSON.parse(ok(['--json', 'build', recipe, '--repo', repo]).stdout);
    expect(out.publish.packedAhead).toBe(true);
    expect(out.publish.blobsWritten).toBe(40);
    expect(readdirSync(join(repo, '.zpkg-tmp'))).toEqual([]);
    const image = join(work, 'img1');
    mkdirSync(image);
    ok(['--root', image, 'remote', 'add', 'main', repo, '--insecure']);
    ok(['--root', image, 'install', 'alpha']);
    expect(readFileSync(join(image, 'usr/share/alpha/f3.txt'), 'utf8')).toBe('alpha 1 3 '.repeat(350));
    ok(['--root', image, 'verify']);
  });

  it('the publish step counts the blobs of a pack written during the build (--progress=json), not only those left to pack', () => {
    const repo = join(work, 'repo3');
    ok(['repo', 'create', repo]);
    const recipe = writeRecipe(join(work, 'r3/delta'), { name: 'delta', version: '1', root: 'root' }, tree('delta', 1));
    const r = zpkg(['--progress=json', '--json', 'build', recipe, '--repo', repo]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).publish.packedAhead).toBe(true);
    const publish = r.stderr
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { event: string; step?: string; count?: number; total?: number; bytes?: number })
      .filter((e) => e.step === 'publish');
    const done = publish.find((e) => e.event === 'done');
    expect(done).toMatchObject({ count: 40, total: 40 });
    expect(done!.bytes).toBeGreaterThan(0);
  });

  it('a run where a recipe fails after its tree was packed: the prepared pack is not taken, no scratch is left, the rest publishes', () => {
    const repo = join(work, 'repo2');
    ok(['repo', 'create', repo]);
    const recipes = join(work, 'r2');
    writeRecipe(join(recipes, 'beta'), { name: 'beta', version: '1', root: 'root' }, tree('beta', 1));
    ok(['--json', 'build', '--all', recipes, '--repo', repo]);
    // beta changes without a new version (refused after packing: E_PACKAGE_EXISTS), gamma is new.
    writeRecipe(join(recipes, 'beta'), { name: 'beta', version: '1', root: 'root' }, tree('beta', 2));
    writeRecipe(join(recipes, 'gamma'), { name: 'gamma', version: '1', root: 'root' }, tree('gamma', 1));
    const r = zpkg(['--json', 'build', '--all', recipes, '--repo', repo]);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.failed.map((f: { name: string; error: { code: string } }) => `${f.name} ${f.error.code}`)).toEqual(['beta E_PACKAGE_EXISTS']);
    expect(out.publish.packages.map((p: { name: string; status: string }) => `${p.name} ${p.status}`)).toEqual(['gamma added']);
    expect(out.publish.packedAhead).toBe(false);
    expect(out.publish.blobsWritten).toBe(40);
    expect(readdirSync(join(repo, '.zpkg-tmp'))).toEqual([]);
    const check = JSON.parse(ok(['--json', 'repo', 'verify', repo]).stdout);
    expect(check.problems ?? []).toEqual([]);
    const image = join(work, 'img2');
    mkdirSync(image);
    ok(['--root', image, 'remote', 'add', 'main', repo, '--insecure']);
    ok(['--root', image, 'install', 'gamma', 'beta']);
    expect(readFileSync(join(image, 'usr/share/beta/f3.txt'), 'utf8')).toBe('beta 1 3 '.repeat(350));
  });
});
