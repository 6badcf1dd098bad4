/**
 * Block stores with real servers: blocks exported into a directory and served
 * by nginx are read as rfs's HTTP store reads them (`URL/ID[0:2]/ID`, and the
 * flat `URL/ID` on a 404); blocks exported into s3rver are objects named by
 * their hex id; two directory stores split by the first byte of the id
 * (rfs's own pack/unpack test: 00-7f and 80-ff) each hold exactly their range;
 * and an flist is read from an http(s) URL.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlite } from './helpers/flists.js';
import { S3_ENV, startNginx, startS3, type Server } from './helpers/servers.js';
import type { Nginx } from '../bench/nginx.js';
import { ok, tempDir, writePackage, zpkg } from './helpers/zpkg.js';

let work: string;
let repo: string;
let digest: string;
const stops: (() => Promise<void>)[] = [];

/**
 * `n` bytes of noise, the same every run: block ids are hashes of the blocks,
 * and with random content all 8 blocks fell in one half of 00-ff about once in
 * 128 runs (CI saw it: the 80-ff store was never made).
 */
function noise(seed: string, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let at = 0, i = 0; at < n; at += 32, i++) createHash('sha256').update(`${seed}:${i}`).digest().copy(out, at);
  return out;
}

function ids(fl: string): string[] {
  return sqlite(fl, 'SELECT DISTINCT lower(hex(id)) AS id FROM block').map((r) => r.id);
}

beforeAll(() => {
  work = tempDir('zpkg-flist-stores-');
  const src = join(work, 'src');
  writePackage(src, { name: 'web', version: '3.1' }, {
    'srv/a': { content: noise('a', 1_300_000) },
    'srv/b': { content: noise('b', 700_000) },
    'srv/c': 'c\n',
    'srv/d': { content: noise('d', 40_000) },
    'srv/e': { content: noise('e', 90_000) },
  });
  repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  ok(['build', src, '--repo', repo]);
  digest = ok(['--json', 'repo', 'list', repo]).json.packages[0].manifest;
}, 600_000);

afterAll(async () => {
  for (const s of stops) await s();
});

describe('an http store (nginx)', () => {
  let nginx: Nginx;
  let fl: string;
  const served = (): string => join(work, 'www');

  beforeAll(async () => {
    mkdirSync(served());
    fl = join(served(), 'web-3.1.fl');
    ok(['export-flist', 'web', '--repo', repo, '--store', join(served(), 'blocks'), '-o', fl]);
    nginx = await startNginx(served());
    stops.push(() => nginx.stop());
  });

  it('reads every block at URL/ID[0:2]/ID and imports the identical manifest', () => {
    const r = ok(['--json', 'import-flist', fl, '--store', `${nginx.url}/blocks`]).json;
    expect(r.packages[0]).toMatchObject({ name: 'web', version: '3.1', manifest: digest });
    const log = readFileSync(nginx.accessLog, 'utf8');
    for (const id of ids(fl)) expect(log).toContain(`GET /blocks/${id.slice(0, 2)}/${id} 200`);
  });

  it('falls back to the flat URL/ID when the nested path answers 404, as rfs does', () => {
    const id = ids(fl)[0]!;
    const nested = join(served(), 'blocks', id.slice(0, 2), id);
    renameSync(nested, join(served(), 'blocks', id));
    try {
      expect(ok(['--json', 'import-flist', fl, '--store', `${nginx.url}/blocks`]).json.packages[0].manifest).toBe(digest);
      const log = readFileSync(nginx.accessLog, 'utf8');
      expect(log).toContain(`GET /blocks/${id.slice(0, 2)}/${id} 404`);
      expect(log).toContain(`GET /blocks/${id} 200`);
    } finally {
      renameSync(join(served(), 'blocks', id), nested);
    }
  });

  it('a block the server does not have is E_BLOCK_MISSING naming the store', () => {
    const r = zpkg(['--json', 'import-flist', fl, '--store', `${nginx.url}/nowhere`]);
    expect(r.json.error).toMatchObject({ code: 'E_BLOCK_MISSING', message: expect.stringContaining(`${nginx.url}/nowhere does not hold it`) });
  });

  it('reads the flist itself from an http URL (and names the package from it)', () => {
    const r = ok(['--json', 'import-flist', `${nginx.url}/web-3.1.fl`, '--store', `${nginx.url}/blocks`]).json;
    expect(r.packages[0]).toMatchObject({ source: `${nginx.url}/web-3.1.fl`, manifest: digest });
    const listed = ok(['--json', 'import-flist', '--list', `${nginx.url}/web-3.1.fl`]).json;
    expect(listed.inodes.map((i: any) => i.path)).toEqual(['/', '/srv', '/srv/a', '/srv/b', '/srv/c', '/srv/d', '/srv/e']);
    expect(zpkg(['--json', 'import-flist', `${nginx.url}/absent-1.0.fl`]).json.error.code).toBe('E_NOT_FOUND');
  });
});

describe('an s3 store (s3rver)', () => {
  let s3: Server;
  beforeAll(async () => {
    s3 = await startS3();
    stops.push(() => s3.stop());
  });

  it('stores each block as the object named by its hex id; the route keeps the key, not the secret', async () => {
    const fl = join(work, 's3.fl');
    const store = `s3://S3RVER:S3RVER@127.0.0.1:${s3.port}/zpkg?region=us-east-1`;
    const exported = ok(['--json', 'export-flist', 'web', '--repo', repo, '--store', store, '-o', fl]).json;
    expect(exported.routes).toEqual([{ start: 0, end: 255, url: `s3://S3RVER@127.0.0.1:${s3.port}/zpkg?region=us-east-1` }]);
    const client = new S3Client({ endpoint: s3.url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'zpkg' }));
    client.destroy();
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual(ids(fl).sort());
    // Through the recorded route: the secret comes from the AWS chain, as it was stripped.
    const r = ok(['--json', 'import-flist', fl], { env: S3_ENV }).json;
    expect(r.packages[0].manifest).toBe(digest);
    // Exporting again stores nothing new: every block is there (HEAD before PUT).
    expect(ok(['--json', 'export-flist', 'web', '--repo', repo, '--store', store, '-o', join(work, 's3-again.fl')]).json.blocksWritten).toBe(0);
  });
});

describe('stores split by the first byte of the block id', () => {
  it('00-7f and 80-ff: each store holds its range, the flist routes both, and the import reads both', () => {
    const low = join(work, 'low');
    const high = join(work, 'high');
    const fl = join(work, 'split.fl');
    ok(['export-flist', 'web', '--repo', repo, '--store', `00-7f=dir://${low}`, '--store', `80-ff=dir://${high}`, '-o', fl]);
    expect(sqlite(fl, 'SELECT start, "end", url FROM route ORDER BY rowid')).toEqual([
      { start: 0, end: 127, url: `dir://${low}` },
      { start: 128, end: 255, url: `dir://${high}` },
    ]);
    const inStore = (dir: string): string[] => readdirSync(dir).flatMap((d) => readdirSync(join(dir, d)));
    const all = ids(fl);
    expect(inStore(low).sort()).toEqual(all.filter((i) => parseInt(i.slice(0, 2), 16) < 0x80).sort());
    expect(inStore(high).sort()).toEqual(all.filter((i) => parseInt(i.slice(0, 2), 16) >= 0x80).sort());
    expect(inStore(low).length).toBeGreaterThan(0);
    expect(inStore(high).length).toBeGreaterThan(0);
    expect(ok(['--json', 'import-flist', fl]).json.packages[0].manifest).toBe(digest);
    // Without the high store, the first block routed there is missing from the low one.
    const r = zpkg(['--json', 'import-flist', fl, '--store', `00-ff=dir://${low}`]);
    expect(r.json.error.code).toBe('E_BLOCK_MISSING');
    // A store listed twice for one range: the first that has the block answers.
    const both = join(work, 'both');
    mkdirSync(both);
    const firstHigh = all.find((i) => parseInt(i.slice(0, 2), 16) >= 0x80)!;
    mkdirSync(join(both, firstHigh.slice(0, 2)));
    copyFileSync(join(high, firstHigh.slice(0, 2), firstHigh), join(both, firstHigh.slice(0, 2), firstHigh));
    expect(ok(['--json', 'import-flist', fl, '--store', `dir://${both}`, '--store', `dir://${low}`, '--store', `80-ff=dir://${high}`]).json.packages[0].manifest).toBe(digest);
  });
});
