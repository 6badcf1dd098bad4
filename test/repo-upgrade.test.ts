/**
 * `zpkg repo upgrade`: a format 2 repository (one file per blob, plain
 * manifests) is refused by clients with a typed error naming the command, and
 * converted in place into format 3 (packs, records, deltas) — every package
 * installs afterwards, its root metadata is signed with the repository's keys,
 * and an upgrade killed before its switch leaves the old repository exactly as
 * it was (killed after it, the new one is whole and a second run finishes).
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { toFormatTwo } from './helpers/packs.js';
import { ok, snapshot, tempDir, writePackage, zpkg, TEST_PUB } from './helpers/zpkg.js';

let work: string;
let legacy: string;

const signed = (repo: string) => JSON.parse(readFileSync(join(repo, 'root.json'), 'utf8')).signed;
const files = (repo: string, dir: string): string[] => (existsSync(join(repo, dir)) ? readdirSync(join(repo, dir), { recursive: true }).map(String).filter((p) => /\.(zst|json|pack)$/.test(p)).sort() : []);
/** The files a format 2 reader reads: root metadata, catalog, file index, plain manifests, blob files. */
const formatTwoFiles = (repo: string): string[] => snapshot(repo, (rel) => rel.startsWith('packs') || rel.startsWith('deltas') || rel.endsWith('.zst') && rel.startsWith('manifests/') || rel.startsWith('.zpkg-lock') || rel.includes('.tmp'));

function image(name: string, repo: string): string {
  const root = join(work, name);
  mkdirSync(root, { recursive: true });
  ok(['--root', root, 'remote', 'add', 'main', repo, '--key', TEST_PUB]);
  return root;
}

/** Every package version of the repository installs into a fresh image, and verifies. */
function installsAll(repo: string, tag: string): void {
  const a1 = image(`${tag}-a1`, repo);
  ok(['--root', a1, 'install', 'app=1.0']);
  expect(readFileSync(join(a1, 'usr/share/app/version'), 'utf8')).toBe('1\n');
  ok(['--root', a1, 'update']);
  expect(readFileSync(join(a1, 'usr/share/app/version'), 'utf8')).toBe('2\n');
  ok(['--root', a1, 'verify']);
  const all = image(`${tag}-all`, repo);
  ok(['--root', all, 'install', 'app', 'lib', 'big']);
  ok(['--root', all, 'verify']);
  expect(readFileSync(join(all, 'usr/share/big/data')).equals(readFileSync(join(work, 'src-big/root/usr/share/big/data')))).toBe(true);
}

beforeAll(async () => {
  work = tempDir();
  legacy = join(work, 'legacy');
  ok(['repo', 'create', legacy]);
  const shared: Record<string, string> = {};
  for (let i = 0; i < 40; i++) shared[`usr/share/app/f${i}`] = `file ${i} of app\n`;
  writePackage(join(work, 'src-app1'), { name: 'app', version: '1.0', depends: ['lib'] }, { ...shared, 'usr/share/app/version': '1\n' });
  writePackage(join(work, 'src-lib'), { name: 'lib', version: '1.0' }, { 'usr/lib/lib.so': 'library\n', 'usr/share/lib/same': 'file 3 of app\n' });
  // Above the frame target (1 MiB): a frame of its own.
  writePackage(join(work, 'src-big'), { name: 'big', version: '1.0' }, { 'usr/share/big/data': { content: randomBytes(1_500_000) } });
  ok(['build', join(work, 'src-app1'), join(work, 'src-lib'), join(work, 'src-big'), '--repo', legacy]);
  writePackage(join(work, 'src-app2'), { name: 'app', version: '2.0', depends: ['lib'] }, { ...shared, 'usr/share/app/version': '2\n' });
  ok(['build', join(work, 'src-app2'), '--repo', legacy]);
  await toFormatTwo(legacy);
});

describe('a format 2 repository', () => {
  it('is refused by a client with E_REPO_FORMAT naming `repo upgrade`, changing nothing', () => {
    const root = image('img-old', legacy);
    const mine = (rel: string): boolean => rel === 'var/lib/zpkg/lock';
    const before = snapshot(root, mine);
    const r = zpkg(['--root', root, '--json', 'install', 'app']);
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_REPO_FORMAT');
    expect(r.json.error.message).toMatch(/format 2 repository/);
    expect(r.json.error.hint).toContain(`zpkg repo upgrade ${legacy}`);
    expect(snapshot(root, mine)).toEqual(before);
    expect(files(legacy, 'blobs').length).toBeGreaterThan(40);
  });

  it('`repo upgrade` converts it in place: packs and records, signed with its keys, every package installs', () => {
    const repo = join(work, 'upgraded');
    cpSync(legacy, repo, { recursive: true });
    const before = signed(repo);
    const r = ok(['--json', 'repo', 'upgrade', repo]).json;
    expect(r).toMatchObject({ from: 2, to: 3, packages: 4, repoVersion: before.version + 1 });
    expect(r.blobs).toBe(new Set(files(legacy, 'blobs')).size);
    expect(r.removed).toBe(files(legacy, 'blobs').length + files(legacy, 'manifests').length);
    const after = signed(repo);
    expect(after).toMatchObject({ format: 3, repository: before.repository, keys: before.keys, keyGeneration: before.keyGeneration });
    // Nothing of format 2 is left; one pack holds every blob; app 2.0's record can come as a delta from 1.0's.
    expect(files(repo, 'blobs')).toEqual([]);
    expect(files(repo, 'manifests').every((p) => p.endsWith('.zst'))).toBe(true);
    expect(files(repo, 'packs')).toHaveLength(1);
    expect(files(repo, 'deltas')).toHaveLength(1);
    expect(ok(['repo', 'verify', repo]).stdout).toMatch(/all digests verified/);
    installsAll(repo, 'up');
    // Running it again has nothing left to do.
    expect(ok(['--json', 'repo', 'upgrade', repo]).json).toMatchObject({ from: 3, to: 3, removed: 0, repoVersion: after.version });
  });

  it('without the repository key nothing is written', () => {
    const repo = join(work, 'nokey');
    cpSync(legacy, repo, { recursive: true });
    const before = snapshot(repo);
    const r = zpkg(['--json', 'repo', 'upgrade', repo], { env: { ZPKG_REPO_KEY: '' } });
    expect(r.status).toBe(1);
    expect(r.json.error.code).toMatch(/^E_(SIGNING_KEY|UNTRUSTED_KEY|KEY_\w+|SIGNATURE\w*)$/);
    expect(snapshot(repo)).toEqual(before);
  });

  for (const step of ['upgrade-packed', 'upgrade-records']) {
    it(`killed at ${step} (before the switch): the old repository is untouched, and upgrading again works`, () => {
      const repo = join(work, `killed-${step}`);
      cpSync(legacy, repo, { recursive: true });
      const before = formatTwoFiles(repo);
      const r = zpkg(['repo', 'upgrade', repo], { env: { ZPKG_CRASH_AT: step } });
      expect(r.signal).toBe('SIGKILL');
      expect(formatTwoFiles(repo)).toEqual(before);
      expect(signed(repo).format).toBe(2);
      ok(['repo', 'upgrade', repo]);
      // What the killed run wrote is unreferenced: gc deletes it, and everything installs.
      ok(['repo', 'gc', repo]);
      installsAll(repo, step);
    });
  }

  it('killed after the switch: the new repository is whole, and a second run removes the old files', () => {
    const repo = join(work, 'killed-switched');
    cpSync(legacy, repo, { recursive: true });
    const r = zpkg(['repo', 'upgrade', repo], { env: { ZPKG_CRASH_AT: 'upgrade-switched' } });
    expect(r.signal).toBe('SIGKILL');
    expect(signed(repo).format).toBe(3);
    expect(files(repo, 'blobs').length).toBeGreaterThan(0);
    ok(['repo', 'verify', repo]);
    expect(ok(['--json', 'repo', 'upgrade', repo]).json.removed).toBe(files(legacy, 'blobs').length + files(legacy, 'manifests').length);
    expect(files(repo, 'blobs')).toEqual([]);
    installsAll(repo, 'switched');
  });
});
