// A full disk during a transaction: a clear E_NO_SPACE, and the image exactly as it was —
// whether the content comes from a directory, an http server or an S3 bucket.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDownloaded } from '../src/repo/local-write.js';
import { S3_ENV, startFlaky, startS3, type Server } from './helpers/servers.js';
import { ok, snapshot, tempDir, writePackage, zpkg, TRUST } from './helpers/zpkg.js';

let work: string;
let root: string;
let repo: string;
/** Images of their own (a tmpfs each) for the remote repositories. */
const remoteRoots: string[] = [];

beforeAll(() => {
  work = tempDir();
  root = join(work, 'img');
  mkdirSync(root);
  // A 4 MiB filesystem of its own for the image (tests run as root).
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', root]);
  repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  const big = (fill: () => Buffer): Record<string, { content: Buffer; mode: number }> =>
    Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`opt/big/part${i}`, { content: fill(), mode: 0o644 }]));
  writePackage(join(work, 'small1'), { name: 'small', version: '1' }, { 'etc/small': 'one\n' });
  writePackage(join(work, 'small2'), { name: 'small', version: '2' }, { 'etc/small': 'two\n', ...big(() => Buffer.alloc(1536 * 1024)) });
  writePackage(join(work, 'noise'), { name: 'noise', version: '1' }, big(() => randomBytes(1536 * 1024)));
  ok(['build', join(work, 'small1'), join(work, 'small2'), join(work, 'noise'), '--repo', repo]);
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  ok(['--root', root, 'install', 'small=1']);
});

afterAll(() => {
  for (const r of [root, ...remoteRoots]) execFileSync('umount', [r]);
});

/** A fresh 4 MiB image with `small=1` installed from `url`. */
function remoteImage(name: string, url: string, env?: NodeJS.ProcessEnv, extra: string[] = []): string {
  const at = join(work, name);
  mkdirSync(at);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', at]);
  remoteRoots.push(at);
  ok(['--root', at, 'remote', 'add', 'main', url, ...TRUST, ...extra], { env });
  ok(['--root', at, 'install', 'small=1'], { env });
  return at;
}

function refusedNoSpace(args: string[], where: RegExp, image = root, env?: NodeJS.ProcessEnv): void {
  const before = snapshot(image, (r) => r.startsWith('var/lib/zpkg'));
  const r = zpkg(['--root', image, '--json', ...args], { env });
  expect(r.status, r.stdout).toBe(1);
  expect(r.json.error.code, r.json.error.message).toBe('E_NO_SPACE');
  expect(r.json.error.message).toMatch(/no space left on the image's filesystem/);
  expect(r.json.error.message).toMatch(where);
  expect(snapshot(image, (x) => x.startsWith('var/lib/zpkg'))).toEqual(before);
  expect(snapshot(image).filter((l) => /\.zpkg-|\.part /.test(l))).toEqual([]);
  expect(zpkg(['--root', image, 'verify']).status).toBe(0);
}

describe('disk full', () => {
  it('while fetching blobs into the cache (incompressible content)', () => {
    refusedNoSpace(['install', 'noise'], /for the content cache/);
  });

  it('while staging an upgrade (content that compresses well but not on disk): the old version stays', () => {
    refusedNoSpace(['install', 'small=2'], /while writing `opt\/big\/part\d`/);
    expect(ok(['--root', root, '--json', 'list']).json.packages).toMatchObject([{ name: 'small', version: '1' }]);
  });

  // The bytes arrive from a server: a write that fails is the disk's failure, not the network's — not retried, not
  // E_REMOTE_UNREACHABLE, and no other mirror is tried.
  describe('from a server', () => {
    let servers: Server[] = [];
    afterAll(async () => {
      await Promise.all(servers.map((s) => s.stop()));
    });

    it('over http, with a mirror', async () => {
      const log = join(work, 'http.log');
      const mirrorLog = join(work, 'mirror.log');
      const server = await startFlaky(repo, { LOG: log });
      const mirror = await startFlaky(repo, { LOG: mirrorLog });
      servers.push(server, mirror);
      const image = remoteImage('img-http', server.url, undefined, ['--mirror', mirror.url]);
      const requests = (file: string): { method: string; path: string }[] => {
        const text = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
        return text ? text.split('\n').map((l) => JSON.parse(l)) : [];
      };
      const packGets = (file: string, from: number): number => requests(file).slice(from).filter((x) => x.method === 'GET' && x.path.includes('packs/')).length;
      const before = requests(log).length;
      const mirrorBefore = requests(mirrorLog).length;
      refusedNoSpace(['install', 'noise'], /for the content cache \(fetching pack /, image);
      // One answer, written until the disk filled: not asked for again, and not asked of the mirror.
      expect(packGets(log, before)).toBe(1);
      expect(packGets(mirrorLog, mirrorBefore)).toBe(0);
    });

    it('from an S3 bucket', async () => {
      const s3 = await startS3();
      servers.push(s3);
      const url = s3.repoUrl('full');
      ok(['repo', 'create', url], { env: S3_ENV });
      ok(['repo', 'copy', repo, url], { env: S3_ENV });
      const image = remoteImage('img-s3', url, S3_ENV);
      refusedNoSpace(['install', 'noise'], /for the content cache \(fetching pack /, image, S3_ENV);
    });
  });

  it('a whole-file download (an flist from a URL, writeDownloaded) into a full filesystem: E_NO_SPACE naming the file', () => {
    const small = join(work, 'small-fs');
    mkdirSync(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small]);
    remoteRoots.push(small);
    const dest = join(small, 'download-0.fl');
    const fd = openSync(dest, 'w');
    let caught: unknown;
    try {
      for (let i = 0; i < 4; i++) writeDownloaded(fd, randomBytes(512 * 1024), dest);
    } catch (err) {
      caught = err;
    } finally {
      closeSync(fd);
    }
    expect(caught).toMatchObject({ code: 'E_NO_SPACE', message: expect.stringContaining(`no space left to write \`${dest}\``) });
  });
});

