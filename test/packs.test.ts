/**
 * The pack data path: a pack index or blob map that lies is refused with a
 * typed error before anything reaches the cache or the image; a fresh
 * install from nginx costs a few requests per package, an update asks only
 * for the frames it lacks, coalesced into range requests; and servers that
 * ignore `Range` or answer several ranges as multipart/byteranges both work.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../src/core/digest.js';
import { encodeBlobMap, packageBlobs, type BlobMap } from '../src/repo/blob-map.js';
import { openRepoReader } from '../src/repo/open.js';
import { encodePackIndex, parsePackIndex, type PackIndex } from '../src/repo/pack-format.js';
import { readSnapshot } from '../src/repo/snapshot.js';
import { readRecordParts, refusal, rewriteRecord } from './helpers/packs.js';
import { addRemote, startFlaky, startNginx } from './helpers/servers.js';
import { ok, snapshot, tempDir, writePackage, zpkg, TRUST } from './helpers/zpkg.js';

let work: string;
beforeAll(() => {
  work = tempDir();
});

describe('a pack index that lies is refused, naming the reason', () => {
  const d = (n: number): Digest => `sha256:${n.toString(16).padStart(64, '0')}`;
  // Data region [8, 308): two frames of 100 and 200 stored bytes.
  const good: PackIndex = {
    frames: [{ offset: 8, length: 100, size: 1000 }, { offset: 108, length: 200, size: 500 }],
    blobs: [{ digest: d(1), frame: 0, offset: 0, size: 600 }, { digest: d(2), frame: 0, offset: 600, size: 400 }, { digest: d(3), frame: 1, offset: 0, size: 500 }],
  };
  const parse = (index: PackIndex, end = 308): string => refusal(() => parsePackIndex(encodePackIndex(index), end, 'p.pack'));

  it('accepts an honest index', () => {
    expect(parse(good)).toBe('accepted');
  });

  it.each([
    ['a frame past the end of the data', { ...good, frames: [good.frames[0]!, { offset: 108, length: 900, size: 500 }] }, /runs past the end of the data/],
    ['overlapping frames', { ...good, frames: [good.frames[0]!, { offset: 100, length: 208, size: 500 }] }, /overlap or leave a gap/],
    ['a gap between frames', { ...good, frames: [good.frames[0]!, { offset: 120, length: 188, size: 500 }] }, /overlap or leave a gap/],
    ['a blob past its frame’s content', { ...good, blobs: [good.blobs[0]!, { ...good.blobs[1]!, size: 401 }, good.blobs[2]!] }, /runs past the end of frame 0/],
    ['two blobs over the same bytes', { ...good, blobs: [good.blobs[0]!, { ...good.blobs[1]!, offset: 599, size: 300 }, good.blobs[2]!] }, /overlap in frame 0/],
    ['a blob naming no frame', { ...good, blobs: [good.blobs[0]!, good.blobs[1]!, { ...good.blobs[2]!, frame: 7 }] }, /names frame 7/],
    // zstd stores 500 bytes of content in at most 564 (ZSTD_COMPRESSBOUND): 200 are fine, 600 a lie.
    ['a frame stored in more bytes than zstd ever needs', { frames: [good.frames[0]!, { offset: 108, length: 600, size: 500 }], blobs: good.blobs }, /frame 1 stores 500 bytes of content in 600 bytes, more than zstd ever needs \(564\)/, 708],
    ['a frame of more content than grouped blobs hold, not one blob alone', { ...good, frames: [good.frames[0]!, { offset: 108, length: 200, size: 3 << 20 }] }, /frame 1 declares 3145728 bytes of content, more than a frame of grouped blobs holds \(2097152\), and is not one blob alone/],
  ])('%s', (_what, index, reason, end?: number) => {
    expect(parse(index as PackIndex, end)).toMatch(/^E_REPO_INVALID: p\.pack is not a valid pack: /);
    expect(parse(index as PackIndex, end)).toMatch(reason);
  });

  it('accepts a frame of more than 2 MiB of content that is one blob alone', () => {
    expect(parse({ frames: [{ offset: 8, length: 300, size: 3 << 20 }], blobs: [{ digest: d(1), frame: 0, offset: 0, size: 3 << 20 }] })).toBe('accepted');
  });

  it('a digest listed twice, and an index whose length does not match its counts', () => {
    const bytes = encodePackIndex(good);
    bytes.copy(bytes, 8 + 2 * 24 + 52, 8 + 2 * 24, 8 + 2 * 24 + 32);
    expect(refusal(() => parsePackIndex(bytes, 308, 'p.pack'))).toMatch(/out of order or twice/);
    expect(refusal(() => parsePackIndex(encodePackIndex(good).subarray(0, 100), 308, 'p.pack'))).toMatch(/index is 100 bytes, but 2 frames and 3 blobs take/);
  });
});

/** A repository of `many` (300 small files and one of 1.5 MB, random: it does not compress). */
function manyRepo(name: string): { repo: string; big: Buffer } {
  const repo = join(work, name);
  ok(['repo', 'create', repo]);
  const files: Record<string, string | { content: Buffer }> = {};
  for (let i = 0; i < 300; i++) files[`opt/m/f${i}`] = `file ${i}\n`.repeat(50);
  const big = randomBytes(1_500_000);
  files['opt/m/big'] = { content: big };
  ok(['build', writePackage(join(work, `src-${name}`), { name: 'many', version: '1' }, files), '--repo', repo]);
  return { repo, big };
}

function freshImage(name: string, repo: string): string {
  const root = join(work, name);
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  ok(['--root', root, 'refresh']);
  return root;
}

const cachedPacks = (root: string): string[] => (existsSync(join(root, 'var/lib/zpkg/cache/packs')) ? readdirSync(join(root, 'var/lib/zpkg/cache/packs'), { recursive: true }).map(String).filter((p) => p.endsWith('.pack')) : []);

describe('a blob map that lies is refused before anything reaches the cache or the image', () => {
  let repo: string;
  let manifest: Digest;
  let map: BlobMap;
  beforeAll(async () => {
    repo = manyRepo('lying').repo;
    manifest = (await readSnapshot(openRepoReader(repo))).entries[0]!.manifest!;
    map = readRecordParts(repo, manifest).map;
  });

  const lie = (name: string, change: (m: BlobMap) => BlobMap, code: RegExp, message: RegExp): void => {
    const copy = join(work, `repo-${name}`);
    cpSync(repo, copy, { recursive: true });
    rewriteRecord(copy, manifest, { mapBytes: encodeBlobMap(change(structuredClone(map))) });
    const root = freshImage(`img-${name}`, copy);
    const outside = (rel: string): boolean => rel.startsWith('var/lib/zpkg/');
    const before = snapshot(root, outside);
    const r = zpkg(['--root', root, '--json', 'install', 'many']);
    expect(r.status).toBe(1);
    expect(r.json.error.code).toMatch(code);
    expect(r.json.error.message).toMatch(message);
    expect(snapshot(root, outside)).toEqual(before);
    expect(cachedPacks(root)).toEqual([]);
  };

  it('a frame past the end of its pack', () => {
    lie('past-end', (m) => ({ ...m, frames: m.frames.map((f, i) => (i === m.frames.length - 1 ? { ...f, offset: m.packs[0]!.size } : f)) }), /^E_REPO_INVALID$/, /lies outside pack/);
  });

  it('overlapping entries', () => {
    lie('overlap', (m) => ({ ...m, blobs: m.blobs.map((b, i) => (i === 1 ? { ...m.blobs[0]! } : b)) }), /^E_REPO_INVALID$/, /overlap/);
  });

  it('a frame whose content length does not match what it decodes to', () => {
    // Frame 0 declared one byte longer: its blobs still fit, but the frame decodes short.
    lie('length', (m) => ({ ...m, frames: m.frames.map((f, i) => (i === 0 ? { ...f, size: f.size + 1 } : f)) }), /^E_(REPO_INVALID|DIGEST_MISMATCH)$/, /frame|decod/);
  });

  it('two blobs of the same size swapped: each is checked against its own digest', () => {
    const sizes = packageBlobs(readRecordParts(repo, manifest).manifest).map((b) => b.size);
    const i = sizes.findIndex((n, k) => sizes.indexOf(n) !== k);
    const j = sizes.indexOf(sizes[i]!);
    lie('swapped', (m) => ({ ...m, blobs: m.blobs.map((b, k) => (k === i ? m.blobs[j]! : k === j ? m.blobs[i]! : b)) }), /^E_DIGEST_MISMATCH$/, /is corrupt/);
  });
});

const requestsOf = (log: string, from: number): { method: string; path: string; status: number; range: string }[] =>
  readFileSync(log, 'utf8').trim().split('\n').slice(from).filter(Boolean).map((l) => {
    const [method, path, status, range] = l.split(' ');
    return { method: method!, path: path!, status: Number(status), range: range === '-' ? '' : (range ?? '') };
  });
const lineCount = (log: string): number => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).length : 0);

describe('fetching by ranges from nginx', () => {
  it('a fresh install costs at most 3 requests per package; an update asks only for the frames it lacks, coalesced', async () => {
    const { repo } = manyRepo('ranges');
    const other = writePackage(join(work, 'src-other'), { name: 'other', version: '1' }, { 'usr/share/other': 'other\n'.repeat(100) });
    ok(['build', other, '--repo', repo]);
    const nginx = await startNginx(repo);
    try {
      const root = tempDir();
      addRemote(root, 'web', nginx.url);
      ok(['--root', root, 'refresh']);
      let from = lineCount(nginx.accessLog);
      const fresh = ok(['--root', root, '--json', 'install', 'many', 'other']).json;
      const content = requestsOf(nginx.accessLog, from).filter((l) => !/^\/(root\.json|catalog\/|files\/|keys\/)/.test(l.path));
      // The refresh fetched the file index with the catalog: the install asks for no metadata at all.
      expect(requestsOf(nginx.accessLog, from).filter((l) => /^\/(root\.json|catalog\/|files\/|keys\/)/.test(l.path))).toEqual([]);
      // Two packages (two publishes, two packs): a record and one pack request each.
      expect(content.length).toBeLessThanOrEqual(2 * 3);
      expect(content.filter((l) => l.path.startsWith('/packs/'))).toHaveLength(2);
      expect(content.every((l) => l.status === 200 || l.status === 206)).toBe(true);
      expect(fresh.fetched.fetched).toBe(fresh.fetched.blobs);

      // Version 2 changes three files far apart in the pack: f0, f150 and f299.
      const files: Record<string, string | { content: Buffer }> = {};
      for (let i = 0; i < 300; i++) files[`opt/m/f${i}`] = [0, 150, 299].includes(i) ? `changed ${i}\n`.repeat(50) : `file ${i}\n`.repeat(50);
      files['opt/m/big'] = { content: readFileSync(join(root, 'opt/m/big')) };
      ok(['build', writePackage(join(work, 'src-ranges2'), { name: 'many', version: '2' }, files), '--repo', repo]);
      ok(['--root', root, 'refresh']);
      from = lineCount(nginx.accessLog);
      const up = ok(['--root', root, '--json', 'update']).json;
      expect(up.upgrade).toEqual([{ name: 'many', from: '1', to: '2' }]);
      expect(up.fetched.fetched).toBe(3);
      const got = requestsOf(nginx.accessLog, from).filter((l) => !/^\/(root\.json|catalog\/|files\/|keys\/)/.test(l.path));
      // The new file index came with the refresh too.
      expect(requestsOf(nginx.accessLog, from).filter((l) => l.path.startsWith('/files/'))).toEqual([]);
      const packs = got.filter((l) => l.path.startsWith('/packs/'));
      // Only the new pack, by range: the 1.5 MB blob and the 297 unchanged files are not fetched again.
      expect(packs).toHaveLength(1);
      expect(packs[0]!.status).toBe(206);
      expect(packs[0]!.range).toMatch(/^bytes=\d+-\d+(,\d+-\d+)*$/);
      expect(up.fetched.bytes).toBeLessThan(100_000);
      ok(['--root', root, 'verify']);
      expect(readFileSync(join(root, 'opt/m/f150'), 'utf8')).toBe('changed 150\n'.repeat(50));
    } finally {
      await nginx.stop();
    }
  });
});

describe('servers that answer ranges their own way', () => {
  /**
   * Version 1 of `split` from a local repository; version 2 from another,
   * served by the flaky server, whose one pack holds a changed small file, a
   * large file the image already has, and another changed small file: the
   * update needs the first and last frames only — two ranges apart.
   */
  async function installAndUpdate(name: string, env: { IGNORE_RANGE?: number }): Promise<{ log: string; packs: { status: number; range?: string }[] }> {
    const mid = randomBytes(1_200_000);
    const tree = (v: string): Record<string, string | { content: Buffer }> => ({ 'opt/s/a-first': `first ${v}\n`, 'opt/s/b-mid': { content: mid }, 'opt/s/c-last': `last ${v}\n` });
    const one = join(work, `${name}-1`);
    const two = join(work, `${name}-2`);
    ok(['repo', 'create', one]);
    ok(['repo', 'create', two]);
    ok(['build', writePackage(join(work, `src-${name}-1`), { name: 'split', version: '1' }, tree('1')), '--repo', one]);
    ok(['build', writePackage(join(work, `src-${name}-2`), { name: 'split', version: '2' }, tree('2')), '--repo', two]);
    const log = join(tempDir(), 'requests.log');
    const flaky = await startFlaky(two, { ...env, LOG: log });
    try {
      const root = tempDir();
      addRemote(root, 'one', one);
      addRemote(root, 'two', flaky.url);
      ok(['--root', root, 'install', 'split=1']);
      const up = ok(['--root', root, '--json', 'update']).json;
      expect(up.upgrade).toEqual([{ name: 'split', from: '1', to: '2' }]);
      expect(up.fetched.fetched).toBe(2);
      ok(['--root', root, 'verify']);
      expect(readFileSync(join(root, 'opt/s/c-last'), 'utf8')).toBe('last 2\n');
      expect(readFileSync(join(root, 'opt/s/b-mid')).equals(mid)).toBe(true);
      const packs = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.path.startsWith('packs/'));
      return { log, packs };
    } finally {
      await flaky.stop();
    }
  }

  it('a server that ignores Range (200 with the whole file): the update works, using only the bytes asked for', async () => {
    const { packs } = await installAndUpdate('ignore-range', { IGNORE_RANGE: 1 });
    expect(packs.length).toBeGreaterThan(0);
    expect(packs.every((l) => l.status === 200)).toBe(true);
  });

  it('a server that ignores Range: checking that a cached blob map still holds costs the first piece of its pack, not the whole pack', async () => {
    const repo = join(work, 'held');
    ok(['repo', 'create', repo]);
    const big = randomBytes(2_000_000);
    ok(['build', writePackage(join(work, 'src-held'), { name: 'held', version: '1' }, { 'opt/h/a-small': 'small\n', 'opt/h/z-big': { content: big } }), '--repo', repo]);
    const log = join(tempDir(), 'requests.log');
    const flaky = await startFlaky(repo, { IGNORE_RANGE: 1, PACE_MS: 5, LOG: log });
    try {
      const root = tempDir();
      addRemote(root, 'held', flaky.url);
      ok(['--root', root, 'install', 'held']);
      const lines = (): Record<string, unknown>[] => readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      // Only the manifest and its map stay cached: `fix` must fetch the blob, through the map once its pack is found held.
      rmSync(join(root, 'var/lib/zpkg/cache/packs'), { recursive: true });
      rmSync(join(root, 'opt/h/a-small'));
      const from = lines().length;
      expect(JSON.stringify(ok(['--root', root, '--json', 'fix']).json)).toContain('opt/h/a-small');
      expect(readFileSync(join(root, 'opt/h/a-small'), 'utf8')).toBe('small\n');
      await new Promise((resolve) => setTimeout(resolve, 200)); // the server logs a paced answer when the client has left
      const during = lines().slice(from);
      expect(during.filter((l) => String(l.path ?? '').startsWith('records/'))).toEqual([]);
      const paced = during.filter((l) => l.paced !== undefined) as { paced: string; sent: number; length: number }[];
      // The probe, and the read of the small file's frame (the pack's first): each answer left after a piece or two.
      expect(paced.length).toBeGreaterThanOrEqual(2);
      for (const p of paced) {
        expect(p.paced).toMatch(/^packs\//);
        expect(p.length).toBeGreaterThan(2_000_000);
        expect(p.sent).toBeLessThan(p.length / 4);
      }
    } finally {
      await flaky.stop();
    }
  });

  it('a server that answers several ranges as multipart/byteranges: the update asks for both frames in one request', async () => {
    const { packs } = await installAndUpdate('multipart', {});
    expect(packs).toHaveLength(1);
    expect(packs[0]).toMatchObject({ status: 206, range: expect.stringMatching(/^bytes=\d+-\d+,\d+-\d+$/) });
  });
});

describe('verify', () => {
  it('hashes every installed file on worker threads and names exactly the damaged ones', () => {
    const { repo } = manyRepo('verify');
    const root = freshImage('img-verify', repo);
    ok(['--root', root, 'install', 'many']);
    expect(ok(['--root', root, '--json', 'verify']).json.problems).toEqual([]);
    // Same size, other content: only the digest can tell.
    const f = join(root, 'opt/m/f123');
    writeFileSync(f, readFileSync(f, 'utf8').replace('file 123', 'file 321'));
    writeFileSync(join(root, 'opt/m/f7'), 'short\n');
    const r = zpkg(['--root', root, '--json', 'verify']);
    expect(r.status).toBe(1);
    expect(r.json.problems.map((p: { path: string; problem: string }) => [p.path, p.problem.replace(/sha256:\w+/g, 'D')])).toEqual([
      ['opt/m/f123', 'content differs (digest D, expected D)'],
      ['opt/m/f7', `size is 6, expected ${'file 7\n'.repeat(50).length}`],
    ]);
  });
});
