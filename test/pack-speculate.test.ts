/**
 * A build reads its tree once (issue 12): PackBuilder.speculate takes files
 * before their digests are known, and the compress workers hash and compress
 * each in the same read. A blob is claimed for the pack only when neither the
 * repository (`known`) nor an earlier frame holds it; a frame holding such a
 * blob is cut down to the others. A build run sends its tree this way, so no
 * hash worker reads it first.
 */
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runBuilds } from '../src/build/build-all.js';
import type { Digest } from '../src/core/digest.js';
import { setThreadLimit } from '../src/fs/threads.js';
import { workersStarted } from '../src/fs/workers.js';
import { StreamReport } from '../src/report/report.js';
import { decompress } from '../src/repo/compress.js';
import { checkPackBytes } from '../src/repo/pack-check.js';
import { PackBuilder } from '../src/repo/pack-build.js';
import { FRAME_TARGET } from '../src/repo/pack-format.js';
import { writeRecipe } from './helpers/recipes.js';
import { ok, tempDir, TEST_KEY } from './helpers/zpkg.js';
import { readSigningKey } from '../src/repo/trust/key-file.js';

const sha = (b: Uint8Array): Digest => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;

let work: string;
beforeAll(() => {
  work = tempDir('zpkg-pack-speculate-');
});
afterEach(() => setThreadLimit(undefined));

/** Every blob of a finished pack, read through its frame and checked against its digest. */
function blobsOf(file: string, digest: Digest): Map<Digest, Buffer> {
  const bytes = readFileSync(file);
  const index = checkPackBytes(bytes, digest, file);
  const frames = index.frames.map((f) => decompress(bytes.subarray(f.offset, f.offset + f.length)));
  const out = new Map<Digest, Buffer>();
  for (const b of index.blobs) {
    const content = frames[b.frame]!.subarray(b.offset, b.offset + b.size);
    expect(sha(content)).toBe(b.digest);
    out.set(b.digest, content);
  }
  return out;
}

/**
 * 300 files (~6 MB: several frames): repetitive and random ones, empty ones
 * spread out, one bigger than a frame, f250 a copy of f5 (frames apart) and
 * f7 a copy of f6 (the same frame).
 */
function files(dir: string): { path: string; content: Buffer }[] {
  const out: { path: string; content: Buffer }[] = [];
  for (let i = 0; i < 300; i++) {
    const path = join(dir, `f${String(i).padStart(3, '0')}`);
    let content: Buffer;
    if (i % 40 === 3) content = Buffer.alloc(0);
    else if (i === 100) content = Buffer.alloc(FRAME_TARGET + 12_345, 'big ');
    else if (i === 250) content = readFileSync(out[5]!.path);
    else if (i === 7) content = readFileSync(out[6]!.path);
    else content = i % 3 === 0 ? randomBytes(9_000 + i * 61) : Buffer.alloc(11_000 + i * 37, `${i} `);
    writeFileSync(path, content);
    out.push({ path, content });
  }
  return out;
}

describe('PackBuilder.speculate', () => {
  it('hashes and packs in one read: each file is answered its digest and head, each new blob is packed once, only a frame with an already packed blob is cut', async () => {
    const dir = join(work, 'a');
    mkdirSync(dir);
    const all = files(dir);
    // The repository already holds f9's content: it stays out of the pack, cut by the worker before compressing.
    const known = new Map<Digest, unknown>([[sha(all[9]!.content), {}]]);
    const builder = new PackBuilder(join(work, 'a.pack'), { workers: 2, known });
    const answers = all.map((f) => builder.speculate(f.path, f.content.length));
    builder.endSpeculation();
    const facts = await Promise.all(answers);
    facts.forEach((f, i) => {
      expect(f.digest).toBe(sha(all[i]!.content));
      expect(f.size).toBe(all[i]!.content.length);
      expect(f.head.equals(all[i]!.content.subarray(0, 256))).toBe(true);
    });
    const pack = await builder.finish();
    const wanted = new Set(all.map((f) => sha(f.content)));
    wanted.delete(sha(all[9]!.content));
    const packed = blobsOf(join(work, 'a.pack'), pack.digest);
    expect([...packed.keys()].sort()).toEqual([...wanted].sort());
    expect([...builder.added].sort()).toEqual([...wanted].sort());
    expect(builder.speculation.frames).toBeGreaterThan(4);
    // f7 next to f6, the empty files and f9 cost no cut. f250's frame is cut only if its worker read f250 before
    // f5's frame was claimed (the workers leave out what the pack has claimed by then: see the next test).
    expect(builder.speculation.cut).toBeLessThanOrEqual(1);
    // What was cut down is compressed again from the file, whole: the copy's frame still holds its other blobs.
    expect(packed.get(sha(all[251]!.content))!.equals(all[251]!.content)).toBe(true);
  });

  it('a copy of a blob an earlier frame claimed is left out by the worker that reads it: its frame is not compressed again', async () => {
    const dir = join(work, 'copies');
    mkdirSync(dir);
    const originals: { path: string; content: Buffer }[] = [];
    for (let i = 0; i < 120; i++) {
      const path = join(dir, `o${i}`);
      const content = Buffer.alloc(20_000 + i, `original ${i} `);
      writeFileSync(path, content);
      originals.push({ path, content });
    }
    const builder = new PackBuilder(join(work, 'copies.pack'), { workers: 2 });
    const first = originals.map((f) => builder.speculate(f.path, f.content.length));
    builder.endSpeculation();
    // Answered means claimed: the frames of the copies below are read after that.
    await Promise.all(first);
    const later: { path: string; content: Buffer }[] = [];
    for (let i = 0; i < 120; i++) {
      const path = join(dir, `l${i}`);
      const content = i % 10 === 0 ? originals[i]!.content : Buffer.alloc(20_000 + i, `later ${i} `);
      writeFileSync(path, content);
      later.push({ path, content });
    }
    const pending = later.map((f) => builder.speculate(f.path, f.content.length));
    builder.endSpeculation();
    const second = await Promise.all(pending);
    second.forEach((f, i) => expect(f.digest).toBe(sha(later[i]!.content)));
    const pack = await builder.finish();
    // Twelve copies among new blobs, in every frame of the second half: before, each of those frames was cut and compressed again.
    expect(builder.speculation.cut).toBe(0);
    const packed = blobsOf(join(work, 'copies.pack'), pack.digest);
    expect(packed.size).toBe(240 - 12);
    for (const f of [...originals, ...later]) expect(packed.get(sha(f.content))!.equals(f.content)).toBe(true);
  });

  // Frames were claimed as their answers came: a blob two frames held went to whichever answered first, so two builds
  // of one tree could make two packs (the bench tree's: 27c3c316… and 5e54c67f…, 231 bytes apart).
  it('a blob two frames hold goes to the earlier one, whichever answers first: the same files pack to the same bytes', async () => {
    const dir = join(work, 'order');
    mkdirSync(dir);
    // Frame 0: 999 files of 1,000 bytes (slow to read one by one), then X, whose 50,000 bytes fill the frame;
    // frame 1: a copy of X alone (quick).
    const paths: string[] = [];
    for (let i = 0; i < 999; i++) {
      paths.push(join(dir, `s${String(i).padStart(4, '0')}`));
      writeFileSync(paths[i]!, Buffer.alloc(1000, `small ${i} `));
    }
    paths.push(join(dir, 'x'), join(dir, 'x-copy'));
    writeFileSync(paths[999]!, Buffer.alloc(50_000, 'X '));
    copyFileSync(paths[999]!, paths[1000]!);
    const x = sha(readFileSync(paths[999]!));
    expect(999 * 1000 + 50_000).toBeGreaterThanOrEqual(FRAME_TARGET);
    const packOnce = async (name: string): Promise<{ digest: Digest; cut: number; frameOfX: number }> => {
      const builder = new PackBuilder(join(work, name), { workers: 2 });
      const answers = paths.map((p, i) => builder.speculate(p, i < 999 ? 1000 : 50_000));
      builder.endSpeculation();
      await Promise.all(answers);
      const pack = await builder.finish();
      return { digest: pack.digest, cut: builder.speculation.cut, frameOfX: pack.places.get(x)!.frame };
    };
    const first = await packOnce('order-1.pack');
    expect(first.frameOfX).toBe(0);
    // The copy's frame is the one cut (to nothing): X stays where frame 0 put it.
    expect(first.cut).toBe(1);
    const second = await packOnce('order-2.pack');
    expect(second).toEqual(first);
    expect(readFileSync(join(work, 'order-2.pack')).equals(readFileSync(join(work, 'order-1.pack')))).toBe(true);
  });

  it('a file that is not what the walk saw (another size) is answered `!`, and stays out of the pack', async () => {
    const dir = join(work, 'b');
    mkdirSync(dir);
    writeFileSync(join(dir, 'ok'), 'fine\n');
    writeFileSync(join(dir, 'grew'), 'longer than walked\n');
    const builder = new PackBuilder(join(work, 'b.pack'), { workers: 1 });
    const answers = [builder.speculate(join(dir, 'ok'), 5), builder.speculate(join(dir, 'grew'), 4), builder.speculate(join(dir, 'gone'), 10)];
    builder.endSpeculation();
    const [good, grew, gone] = await Promise.all(answers);
    expect(good!.digest).toBe(sha(Buffer.from('fine\n')));
    expect(grew!.digest).toMatch(/^!/);
    expect(gone!.digest).toMatch(/^!.*ENOENT/);
    const pack = await builder.finish();
    expect([...blobsOf(join(work, 'b.pack'), pack.digest).keys()]).toEqual([good!.digest]);
  });

  it('abandoned while files are being read: every answer settles and the pack is gone', async () => {
    const dir = join(work, 'c');
    mkdirSync(dir);
    const all = files(dir);
    const builder = new PackBuilder(join(work, 'c.pack'), { workers: 2 });
    // Heard at once, as hashTree hears them: those not sent yet are refused when the pack is abandoned.
    const settled = Promise.allSettled(all.map((f) => builder.speculate(f.path, f.content.length)));
    builder.endSpeculation();
    await builder.abort();
    expect(await settled).toHaveLength(all.length);
    expect(existsSync(join(work, 'c.pack'))).toBe(false);
    expect(() => builder.speculate(all[0]!.path, all[0]!.content.length)).toThrow(/already finished/);
  });
});

describe('a build run reads its tree once', () => {
  const report = (): StreamReport => new StreamReport({ json: true, quiet: true, stdout: new PassThrough(), stderr: new PassThrough() });
  const signer = { keys: [readSigningKey(TEST_KEY)] };

  it('the tree goes to the compress workers only (no hash workers start), the pack holds each blob once, and the next version packs only what changed', async () => {
    const repo = join(work, 'repo');
    ok(['repo', 'create', repo]);
    const tree: Record<string, string> = {};
    for (let i = 0; i < 200; i++) tree[`root/usr/share/one/f${i}`] = `${i} `.repeat(500 + i * 20);
    tree['root/usr/share/one/copy'] = tree['root/usr/share/one/f5']!;
    const recipe = writeRecipe(join(work, 'r/one'), { name: 'one', version: '1', root: 'root' }, tree);
    setThreadLimit(2);
    const before = workersStarted();
    const first = await runBuilds([recipe], { repo, isolate: false, check: false, sourceCache: join(work, 'sources'), report: report(), signer });
    // Two compress workers; a walk that hashed first would have started two hash workers as well.
    expect(workersStarted() - before).toBe(2);
    expect(first.publish?.packedAhead).toBe(true);
    expect(first.publish?.blobsWritten).toBe(200);

    // Version 2 changes two files and adds one: its pack holds those three blobs, no more.
    writeFileSync(join(recipe, 'root/usr/share/one/f7'), 'changed\n');
    writeFileSync(join(recipe, 'root/usr/share/one/f8'), 'changed too\n');
    copyFileSync(join(recipe, 'root/usr/share/one/f9'), join(recipe, 'root/usr/share/one/same-as-f9'));
    writeFileSync(join(recipe, 'root/usr/share/one/new'), 'new\n');
    writeRecipe(recipe, { name: 'one', version: '2', root: 'root' });
    const second = await runBuilds([recipe], { repo, isolate: false, check: false, sourceCache: join(work, 'sources'), report: report(), signer });
    expect(second.publish?.packedAhead).toBe(true);
    expect(second.publish?.blobsWritten).toBe(3);

    const image = join(work, 'img');
    ok(['--root', image, 'remote', 'add', 'main', repo, '--insecure']);
    ok(['--root', image, 'install', 'one=1']);
    expect(readFileSync(join(image, 'usr/share/one/copy'), 'utf8')).toBe(tree['root/usr/share/one/f5']);
    ok(['--root', image, 'install', 'one']);
    expect(readFileSync(join(image, 'usr/share/one/f7'), 'utf8')).toBe('changed\n');
    expect(readFileSync(join(image, 'usr/share/one/f10'), 'utf8')).toBe(tree['root/usr/share/one/f10']);
    ok(['--root', image, 'verify']);
  });

  it('a recipe with a `files:` selection reads its tree once too: only what the selection keeps reaches the pack, judged as packing judges it', async () => {
    const repo = join(work, 'repo-sel');
    ok(['repo', 'create', repo]);
    const tree: Record<string, string> = {};
    for (let i = 0; i < 120; i++) tree[`root/usr/share/sel/f${i}`] = `kept ${i} `.repeat(400 + i);
    // Left out: an excluded directory (and a file in it whose name an include matches),
    // a file no include names, and a file excluded by name. Fewer than 64, so no hash worker starts for them.
    for (let i = 0; i < 20; i++) tree[`root/usr/share/sel/doc/d${i}`] = `doc ${i} `.repeat(300);
    tree['root/usr/share/sel/doc/keep.txt'] = 'an include names me, an exclude wins\n';
    tree['root/opt/other'] = 'no include names me\n';
    tree['root/usr/share/sel/f0.orig'] = 'excluded by name\n';
    // Kept because a directory above it was included, and by a glob on its name.
    tree['root/etc/sel/conf.d/a.conf'] = 'a=1\n';
    tree['root/srv/readme.txt'] = 'kept by name\n';
    const recipe = writeRecipe(join(work, 'r/sel'), { name: 'sel', version: '1', root: 'root', files: { include: ['usr/share/sel', 'etc/sel', '**/*.txt'], exclude: ['usr/share/sel/doc', '**/*.orig'] } }, tree);
    setThreadLimit(2);
    const before = workersStarted();
    const r = await runBuilds([recipe], { repo, isolate: false, check: false, sourceCache: join(work, 'sources'), report: report(), signer });
    expect(r.failed).toEqual([]);
    // The compress workers alone: before, a selection had the tree hashed by two hash workers first.
    expect(workersStarted() - before).toBe(2);
    // A blob outside the selection in the pack built ahead would have made publishing pack again.
    expect(r.publish?.packedAhead).toBe(true);
    expect(r.publish?.blobsWritten).toBe(122);

    const image = join(work, 'img-sel');
    ok(['--root', image, 'remote', 'add', 'main', repo, '--insecure']);
    ok(['--root', image, 'install', 'sel']);
    expect(readFileSync(join(image, 'usr/share/sel/f119'), 'utf8')).toBe(tree['root/usr/share/sel/f119']);
    expect(readFileSync(join(image, 'etc/sel/conf.d/a.conf'), 'utf8')).toBe('a=1\n');
    expect(readFileSync(join(image, 'srv/readme.txt'), 'utf8')).toBe('kept by name\n');
    for (const gone of ['usr/share/sel/doc', 'opt/other', 'usr/share/sel/f0.orig']) expect(existsSync(join(image, gone))).toBe(false);
    ok(['--root', image, 'verify']);
  });

  // A package's hooks are blobs added after its tree is packed: they must not race the claims of the next tree.
  it('recipes built together that share files make the same pack every time: a shared blob goes to the first recipe in run order, hooks included', async () => {
    const recipes = join(work, 'r-shared');
    // a: 150 files (~2 MB, several frames); b (a root) and c (a build script) each hold 15 of a's files among their own.
    const own = (tag: string, n: number): Record<string, string> =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`root/usr/share/${tag}/f${String(i).padStart(3, '0')}`, i % 4 === 0 ? randomBytes(6_000 + i * 13).toString('base64') : `${tag} ${i} `.repeat(1_500 + i)]));
    const a = own('a', 150);
    const shared = Object.values(a).filter((_, i) => i % 10 === 3);
    const bOwn = own('b', 100);
    const b = { ...bOwn, ...Object.fromEntries(shared.map((content, i) => [`root/usr/share/b/from-a-${i}`, content])) };
    // a's hook is one of b's files, so that blob is a's; b's hook is one of a's files, so it is no blob of b's.
    const hookOfA = bOwn['root/usr/share/b/f050']!;
    writeRecipe(join(recipes, 'a'), { name: 'a', version: '1', root: 'root', hooks: { 'post-install': 'hooks/post-install' } }, { ...a, 'hooks/post-install': hookOfA });
    writeRecipe(join(recipes, 'b'), { name: 'b', version: '1', root: 'root', hooks: { 'post-install': 'hooks/post-install' } }, { ...b, 'hooks/post-install': a['root/usr/share/a/f020']! });
    const fromA = join(recipes, 'a/root/usr/share/a');
    writeRecipe(join(recipes, 'c'), { name: 'c', version: '1', build: `mkdir -p "$ZPKG_DESTDIR/usr/share/c" && cp ${fromA}/f*3 "$ZPKG_DESTDIR/usr/share/c/" && seq 1 20000 > "$ZPKG_DESTDIR/usr/share/c/own"` });
    const dirs = ['a', 'b', 'c'].map((r) => join(recipes, r));
    const packOf = async (name: string): Promise<{ file: string; digest: Digest }> => {
      const repo = join(work, name);
      ok(['repo', 'create', repo]);
      const r = await runBuilds(dirs, { repo, isolate: false, check: false, sourceCache: join(work, 'sources'), report: report(), signer, force: true });
      expect(r.publish?.packedAhead).toBe(true);
      const packs = readdirSync(join(repo, 'packs'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
      expect(packs).toHaveLength(1);
      return { file: join(packs[0]!.parentPath, packs[0]!.name), digest: `sha256:${packs[0]!.name.replace(/\.pack$/, '')}` as Digest };
    };
    const first = await packOf('repo-shared-1');
    for (const again of ['repo-shared-2', 'repo-shared-3']) {
      const next = await packOf(again);
      expect(next.digest).toBe(first.digest);
      expect(readFileSync(next.file).equals(readFileSync(first.file))).toBe(true);
    }

    const index = checkPackBytes(readFileSync(first.file), first.digest, first.file);
    const frameOf = (content: string): number => index.blobs.find((e) => e.digest === sha(Buffer.from(content)))!.frame;
    const lastOfA = Math.max(...Object.values(a).map(frameOf));
    const firstOfB = Math.min(...Object.values(bOwn).filter((content) => content !== hookOfA).map(frameOf));
    // a's tree, then a's hook, then b's tree: the order the run met them in.
    expect(frameOf(hookOfA)).toBeGreaterThan(lastOfA);
    expect(frameOf(hookOfA)).toBeLessThan(firstOfB);
    for (const content of shared) expect(frameOf(content)).toBeLessThanOrEqual(lastOfA);
    // Each blob once: a's 150 and its hook, b's 99 others, c's own file.
    expect(index.blobs).toHaveLength(251);
  });

  it('a recipe that fails after its tree was read into the pack (a FIFO in it): the others publish, none of its blobs does', async () => {
    const repo = join(work, 'repo-fail');
    ok(['repo', 'create', repo]);
    const recipes = join(work, 'r-fail');
    const many = (tag: string): Record<string, string> => Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`root/usr/share/${tag}/f${i}`, `${tag} ${i} `.repeat(300)]));
    writeRecipe(join(recipes, 'bad'), { name: 'bad', version: '1', root: 'root' }, many('bad'));
    execFileSync('mkfifo', [join(recipes, 'bad/root/usr/share/bad/pipe')]);
    writeRecipe(join(recipes, 'good'), { name: 'good', version: '1', root: 'root' }, many('good'));
    const r = await runBuilds([join(recipes, 'bad'), join(recipes, 'good')], { repo, isolate: true, check: false, sourceCache: join(work, 'sources'), report: report(), signer });
    expect(r.failed.map((f) => `${f.name} ${f.error.code}`)).toEqual(['bad E_RECIPE_INVALID']);
    expect(r.publish?.packages.map((p) => `${p.name} ${p.status}`)).toEqual(['good added']);
    // The pack read during the build held bad's blobs too: publish made its own, of good's alone.
    expect(r.publish?.packedAhead).toBe(false);
    expect(r.publish?.blobsWritten).toBe(80);
    expect(readdirSync(join(repo, '.zpkg-tmp'))).toEqual([]);
    const image = join(work, 'img-fail');
    ok(['--root', image, 'remote', 'add', 'main', repo, '--insecure']);
    ok(['--root', image, 'install', 'good']);
    ok(['--root', image, 'verify']);
  });
});
