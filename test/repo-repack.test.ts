/**
 * `zpkg repo repack`: the frames the catalog still uses, out of packs that
 * are scattered (a version's blobs in more than three packs: each publish
 * packs only what changed) or sparse (after `repo remove`), into one new pack
 * — every version installs afterwards from one pack, the bytes of removed
 * versions are gone, an image that installed before the repack still repairs
 * and updates (its cached blob map names deleted packs, and its record no
 * longer is the base of the delta), it works through a depot, a corrupt blob stops it with nothing changed, and it is killed at
 * every step without leaving a repository a client cannot install from.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packHolding, tamperBlob } from '../bench/shared/tamper-pack.js';
import { digestOf, type Digest } from '../src/core/digest.js';
import { deltaPath, recordPath } from '../src/repo/layout.js';
import { applyDelta, decodeRecord, inflateRecord } from '../src/repo/record.js';
import { readRecordParts } from './helpers/packs.js';
import { addRemote, S3_ENV, startDepot, startNginx, startS3 } from './helpers/servers.js';
import { ok, snapshot, tempDir, TEST_PUB, writePackage, zpkg } from './helpers/zpkg.js';

let work: string;
/** app 1.0–5.0, each built on its own (so app 5.0's blobs lie in five packs), and lib 1.0 built with app 1.0. */
let template: string;
const VERSIONS = ['1.0', '2.0', '3.0', '4.0', '5.0'];
/** What `build --json` said of each version. */
const builds: { publish: { packages: { name: string; packs: number }[] }; scattered?: unknown }[] = [];

const signed = (repo: string) => JSON.parse(readFileSync(join(repo, 'root.json'), 'utf8')).signed;
const packFiles = (repo: string): string[] => readdirSync(join(repo, 'packs'), { recursive: true }).map(String).filter((p) => p.endsWith('.pack')).sort();
const packBytes = (repo: string): number => packFiles(repo).reduce((n, p) => n + readFileSync(join(repo, 'packs', p)).length, 0);
/** What a reader of the repository reads (not the publisher's lock or scratch folder). */
const published = (repo: string): string[] => snapshot(repo, (rel) => rel.startsWith('.zpkg-'));
const srcOf = (version: string): string => join(work, `src-app-${version}`);

function copy(name: string): string {
  const repo = join(work, name);
  cpSync(template, repo, { recursive: true });
  return repo;
}

function image(name: string, repo: string): string {
  const root = join(work, name);
  mkdirSync(root, { recursive: true });
  ok(['--root', root, 'remote', 'add', 'main', repo, '--key', TEST_PUB]);
  return root;
}

/** The manifest digest the catalog names for app `version`. */
function manifestOf(repo: string, name: string, version: string): Digest {
  const listed = ok(['--json', 'repo', 'list', repo]).json;
  const rows: { name: string; version: string; manifest: Digest }[] = listed.packages ?? listed;
  return rows.find((r) => r.name === name && r.version === version)!.manifest;
}

/** app `version` installs into a fresh image, its tree exactly the source's, and verifies. */
function installs(repo: string, version: string, tag: string): void {
  const root = image(`${tag}-${version}`, repo);
  ok(['--root', root, 'install', `app=${version}`]);
  for (const f of readdirSync(join(srcOf(version), 'root/usr/share/app'))) {
    expect(readFileSync(join(root, 'usr/share/app', f)).equals(readFileSync(join(srcOf(version), 'root/usr/share/app', f)))).toBe(true);
  }
  ok(['--root', root, 'verify']);
}

beforeAll(() => {
  work = tempDir();
  template = join(work, 'template');
  ok(['repo', 'create', template]);
  // 60 files of app, 12 of them big enough (40 KB of noise) that a version spans several frames; each version changes 8.
  const files: Record<string, { content: Buffer }> = {};
  for (let i = 0; i < 60; i++) files[`usr/share/app/f${i}`] = { content: randomBytes(i % 5 === 0 ? 40_000 : 3_000) };
  writePackage(join(work, 'src-lib'), { name: 'lib', version: '1.0' }, { 'usr/lib/lib.so': 'library\n', 'usr/share/lib/f1': { content: files['usr/share/app/f1']!.content } });
  VERSIONS.forEach((version, v) => {
    for (let i = v * 8; i < v * 8 + 8; i++) files[`usr/share/app/f${i}`] = { content: randomBytes(i % 5 === 0 ? 40_000 : 3_000) };
    writePackage(srcOf(version), { name: 'app', version, depends: ['lib'] }, { ...files, 'usr/share/app/version': `${version}\n` });
    builds.push(ok(['--json', 'build', srcOf(version), ...(v === 0 ? [join(work, 'src-lib')] : []), '--repo', template]).json);
  });
});

describe('repo repack', () => {
  it('gathers a scattered package into one pack: every version installs from it, signed anew, and a dry run writes nothing', async () => {
    const repo = copy('scattered');
    expect(packFiles(repo)).toHaveLength(5);
    // Each build said how many packs the version lies in, and from the fourth on, that a repack would gather them.
    expect(builds.map((b) => b.publish.packages.find((p) => p.name === 'app')!.packs)).toEqual([1, 2, 3, 4, 5]);
    expect(builds.map((b) => b.scattered ?? [])).toEqual([[], [], [], [{ name: 'app', version: '4.0', packs: 4 }], [{ name: 'app', version: '5.0', packs: 5 }]]);
    const before = published(repo);
    const plan = ok(['--json', 'repo', 'repack', repo, '--dry-run']).json;
    expect(plan).toMatchObject({ dryRun: true, packages: 6, gathered: 5, spanBefore: 5, records: 0 });
    expect(plan.packs.every((p: { reason?: string }) => p.reason === 'scattered')).toBe(true);
    expect(published(repo)).toEqual(before);

    const root = signed(repo);
    const r = ok(['--json', 'repo', 'repack', repo]).json;
    expect(r).toMatchObject({ dryRun: false, packages: 6, gathered: 5, spanBefore: 5, spanAfter: 1, records: 6, removed: 5, repoVersion: root.version + 1 });
    expect(signed(repo)).toMatchObject({ repository: root.repository, keys: root.keys, version: root.version + 1 });
    // One pack now, every blob in it once: nothing no record uses was left in these packs, so nothing is lost or added.
    expect(packFiles(repo)).toHaveLength(1);
    expect(r.pack.size).toBe(packBytes(repo));
    const newest = readRecordParts(repo, manifestOf(repo, 'app', '5.0'));
    expect(newest.map.packs.map((p) => p.digest)).toEqual([r.pack.digest]);
    expect(packHolding(repo, digestOf(readFileSync(join(srcOf('1.0'), 'root/usr/share/app/f0'))))?.digest).toBe(r.pack.digest);
    expect(ok(['repo', 'verify', repo]).stdout).toMatch(/all digests verified/);
    for (const v of VERSIONS) installs(repo, v, 'scattered');
    // Nothing left to gather.
    expect(ok(['--json', 'repo', 'repack', repo]).json).toMatchObject({ gathered: 0, spanBefore: 1, repoVersion: root.version + 1 });
    // --all gathers the one pack into the same pack, byte for byte: no record, catalog or root metadata is written again.
    const repacked = published(repo);
    const again = ok(['--json', 'repo', 'repack', repo, '--all']).json;
    expect(again).toMatchObject({ gathered: 1, unchanged: true, records: 0, removed: 0, pack: r.pack, repoVersion: root.version + 1 });
    expect(published(repo)).toEqual(repacked);
    expect(ok(['repo', 'repack', repo, '--all']).stdout).toMatch(/the one it has, byte for byte: nothing written/);
  });

  it('frees what removed versions left in a sparse pack: its live blobs are regrouped, the dead ones dropped', () => {
    const repo = join(work, 'sparse');
    ok(['repo', 'create', repo]);
    const files: Record<string, { content: Buffer }> = {};
    for (let i = 0; i < 40; i++) files[`usr/share/app/f${i}`] = { content: randomBytes(20_000) };
    const v1 = join(work, 'sparse-1');
    writePackage(v1, { name: 'app', version: '1.0' }, files);
    ok(['build', v1, '--repo', repo]);
    const dead: Digest[] = [];
    for (let i = 0; i < 30; i++) {
      dead.push(digestOf(files[`usr/share/app/f${i}`]!.content));
      files[`usr/share/app/f${i}`] = { content: randomBytes(20_000) };
    }
    const v2 = join(work, 'sparse-2');
    writePackage(v2, { name: 'app', version: '2.0' }, files);
    ok(['build', v2, '--repo', repo]);
    ok(['repo', 'remove', repo, 'app@1.0']);
    // gc keeps 1.0's pack, 2.0 still using 10 of its 40 blobs, and says that a repack would free the other 30.
    const gc = ok(['--json', 'repo', 'gc', repo]).json;
    expect(gc.removed.packs).toBe(0);
    expect(gc.repack).toMatchObject({ packs: 1, span: 2 });
    expect(gc.repack.deadBytes).toBeGreaterThan(550_000);
    const bytes = packBytes(repo);
    const plan = ok(['--json', 'repo', 'repack', repo, '-n']).json;
    expect(plan.packs.map((p: { reason?: string }) => p.reason ?? 'kept').sort()).toEqual(['kept', 'sparse']);
    const r = ok(['--json', 'repo', 'repack', repo]).json;
    expect(r).toMatchObject({ gathered: 1, removed: 1, records: 1, blobs: 10 });
    // 30 blobs of 20 KB of noise no longer stored: ~600 KB less.
    expect(bytes - packBytes(repo)).toBeGreaterThan(550_000);
    for (const d of dead) expect(packHolding(repo, d)).toBeUndefined();
    for (let i = 30; i < 40; i++) expect(packHolding(repo, digestOf(files[`usr/share/app/f${i}`]!.content))).toBeDefined();
    const root = image('sparse-img', repo);
    ok(['--root', root, 'install', 'app']);
    for (let i = 0; i < 40; i++) expect(readFileSync(join(root, `usr/share/app/f${i}`)).equals(files[`usr/share/app/f${i}`]!.content)).toBe(true);
    ok(['repo', 'verify', repo]);
    // 2.0 now lies in its own pack and the new one: within the span a repack leaves alone.
    expect(ok(['--json', 'repo', 'gc', repo]).json.repack).toEqual({ packs: 0, deadBytes: 0, span: 2 });
  });

  it('an image that installed before the repack repairs and updates after it: its cached map is read again, and a delta it cannot apply gives way to the whole record', () => {
    const repo = copy('client');
    const root = image('client-img', repo);
    ok(['--root', root, 'install', 'app=4.0']);
    const four = manifestOf(repo, 'app', '4.0');
    const five = manifestOf(repo, 'app', '5.0');
    const r = ok(['--json', 'repo', 'repack', repo]).json;
    // The delta to 5.0 is made again, from 4.0's record as it now is, and rebuilds 5.0's new record.
    const newFour = inflateRecord(readFileSync(join(repo, recordPath(four))), 'app 4.0');
    const rebuilt = decodeRecord(applyDelta(readFileSync(join(repo, deltaPath(five, four))), newFour, 'delta'), five, 'delta');
    expect(rebuilt.map.packs.map((p) => p.digest)).toEqual([r.pack.digest]);
    // Every pack the image's cached map of 4.0 names is gone, and the image's content cache is emptied (as `gc` may
    // leave it): `fix` must read the record again to find the blob.
    rmSync(join(root, 'var/lib/zpkg/cache/packs'), { recursive: true });
    rmSync(join(root, 'usr/share/app/f50'));
    const fixed = ok(['--json', '--root', root, 'fix']).json;
    expect(JSON.stringify(fixed)).toContain('usr/share/app/f50');
    expect(readFileSync(join(root, 'usr/share/app/f50')).equals(readFileSync(join(srcOf('4.0'), 'root/usr/share/app/f50')))).toBe(true);
    ok(['--root', root, 'update']);
    expect(readFileSync(join(root, 'usr/share/app/version'), 'utf8')).toBe('5.0\n');
    ok(['--root', root, 'verify']);
  });

  it('through nginx, a fresh install of the newest version asks for one pack after it, where it asked for five', async () => {
    const repo = copy('nginx');
    const nginx = await startNginx(repo);
    const lines = (): string[] => (existsSync(nginx.accessLog) ? readFileSync(nginx.accessLog, 'utf8').trim().split('\n').filter(Boolean) : []);
    /** The content requests (not root metadata, catalog, file index or keys) of a fresh install of app and lib. */
    const freshInstall = (tag: string): string[] => {
      const root = image(tag, nginx.url);
      ok(['--root', root, 'refresh']);
      const from = lines().length;
      ok(['--root', root, 'install', 'app']);
      ok(['--root', root, 'verify']);
      return lines().slice(from).filter((l) => !/^\S+ \/(root\.json|catalog\/|files\/|keys\/)/.test(l));
    };
    try {
      const before = freshInstall('nginx-before');
      expect(before.filter((l) => l.includes(' /packs/'))).toHaveLength(5);
      ok(['repo', 'repack', repo]);
      const after = freshInstall('nginx-after');
      // Two records (app, lib) and one request for the pack: within the data path's 3 requests per package.
      expect(after.filter((l) => l.includes(' /packs/'))).toHaveLength(1);
      expect(after.filter((l) => l.includes(' /manifests/'))).toHaveLength(2);
      expect(after).toHaveLength(3);
    } finally {
      await nginx.stop();
    }
  });

  it('works through a depot: the same pack, every version installs from it over HTTP', async () => {
    const repo = copy('depot');
    const depot = await startDepot(repo, ['repack-token']);
    try {
      const r = ok(['--json', 'repo', 'repack', depot.url, '--token', 'repack-token']).json;
      expect(r).toMatchObject({ gathered: 5, spanAfter: 1, records: 6, removed: 5 });
      expect(packFiles(repo)).toEqual([`${r.pack.digest.slice(7, 9)}/${r.pack.digest.slice(7)}.pack`]);
      for (const v of ['1.0', '5.0']) {
        const root = image(`depot-${v}`, depot.url);
        ok(['--root', root, 'install', `app=${v}`]);
        ok(['--root', root, 'verify']);
        expect(readFileSync(join(root, 'usr/share/app/version'), 'utf8')).toBe(`${v}\n`);
      }
    } finally {
      await depot.stop();
    }
  });

  it('works on a bucket (s3rver): the same plan, every version installs from it', async () => {
    const s3 = await startS3();
    try {
      const url = s3.repoUrl('repack');
      ok(['repo', 'create', url], { env: S3_ENV });
      ok(['build', srcOf('1.0'), join(work, 'src-lib'), '--repo', url], { env: S3_ENV });
      for (const v of VERSIONS.slice(1)) ok(['build', srcOf(v), '--repo', url], { env: S3_ENV });
      const r = ok(['--json', 'repo', 'repack', url], { env: S3_ENV }).json;
      expect(r).toMatchObject({ gathered: 5, spanBefore: 5, spanAfter: 1, records: 6, removed: 5 });
      expect(ok(['--json', 'repo', 'gc', url], { env: S3_ENV }).json).toMatchObject({ removed: { packs: 0 }, repack: { packs: 0, span: 1 } });
      for (const v of ['1.0', '5.0']) {
        const root = tempDir();
        addRemote(root, 's3', url);
        ok(['--root', root, 'install', `app=${v}`], { env: S3_ENV });
        ok(['--root', root, 'verify'], { env: S3_ENV });
        expect(readFileSync(join(root, 'usr/share/app/version'), 'utf8')).toBe(`${v}\n`);
      }
    } finally {
      await s3.stop();
    }
  });

  it('a corrupt blob stops it before anything a reader sees is written', () => {
    const repo = copy('corrupt');
    // f1 has not changed since 1.0: every version uses it, through the first pack.
    tamperBlob(repo, digestOf(readFileSync(join(srcOf('1.0'), 'root/usr/share/app/f1'))), (c) => {
      c[0]! ^= 0xff;
      return c;
    });
    const before = published(repo);
    const r = zpkg(['--json', 'repo', 'repack', repo]);
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_DIGEST_MISMATCH');
    expect(r.json.error.hint).toMatch(/^nothing was changed/);
    expect(published(repo)).toEqual(before);
    expect(existsSync(join(repo, '.zpkg-tmp')) ? readdirSync(join(repo, '.zpkg-tmp')) : []).toEqual([]);
  });

  it('without the repository key nothing is written', () => {
    const repo = copy('nokey');
    const before = published(repo);
    const r = zpkg(['--json', 'repo', 'repack', repo], { env: { ZPKG_REPO_KEY: '' } });
    expect(r.status).toBe(1);
    expect(r.json.error.code).toMatch(/^E_(SIGNING_KEY|UNTRUSTED_KEY|KEY_\w+|SIGNATURE\w*)$/);
    expect(published(repo)).toEqual(before);
  });

  for (const step of ['repack-packed', 'repack-record:3', 'repack-deltas', 'repack-switched']) {
    it(`killed at ${step}: every version still installs, and running it again finishes`, () => {
      const repo = copy(`killed-${step.replace(':', '-')}`);
      const r = zpkg(['repo', 'repack', repo], { env: { ZPKG_CRASH_AT: step } });
      expect(r.signal).toBe('SIGKILL');
      ok(['repo', 'verify', repo]);
      installs(repo, '5.0', `killed-${step.replace(':', '-')}`);
      installs(repo, '2.0', `killed-${step.replace(':', '-')}`);
      ok(['repo', 'repack', repo]);
      ok(['repo', 'gc', repo]);
      expect(packFiles(repo)).toHaveLength(1);
      expect(ok(['--json', 'repo', 'repack', repo, '-n']).json).toMatchObject({ gathered: 0, spanBefore: 1 });
      ok(['repo', 'verify', repo]);
      installs(repo, '1.0', `again-${step.replace(':', '-')}`);
    });
  }
});
