// The dir repository: layout, immutability, remove, gc, verify, atomic publishing.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../src/core/digest.js';
import { decompress } from '../src/repo/compress.js';
import { packHolding } from '../bench/shared/tamper-pack.js';
import { placesOf, readBlob, readRecord } from '../src/repo/content.js';
import { openRepoReader } from '../src/repo/open.js';
import { readSnapshot } from '../src/repo/snapshot.js';
import { BIN, ok, snapshot, TEST_KEY, tempDir, writePackage, zpkg } from './helpers/zpkg.js';

let work: string;
beforeAll(() => {
  work = tempDir();
});

function root(repo: string): { version: number; catalog: { digest: string; packages: number }; files: { digest: string } } {
  return JSON.parse(readFileSync(join(repo, 'root.json'), 'utf8')).signed;
}

describe('repository', () => {
  it('create makes the static layout and refuses an existing or non-empty directory', () => {
    const repo = join(work, 'r1');
    expect(ok(['--json', 'repo', 'create', repo]).json.version).toBe(1);
    const r = root(repo);
    expect(r.catalog.packages).toBe(0);
    expect(existsSync(join(repo, `catalog/${r.catalog.digest.slice(7)}.zst`))).toBe(true);
    expect(zpkg(['--json', 'repo', 'create', repo]).json.error.code).toBe('E_REPO_EXISTS');
    const busy = join(work, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'x'), '');
    expect(zpkg(['--json', 'repo', 'create', busy]).json.error.message).toMatch(/is not empty/);
  });

  it('a command that maintains a repository, given a path that holds none, refuses and writes nothing there', () => {
    const missing = join(work, 'no-such-repo');
    const plain = join(work, 'plain-dir');
    mkdirSync(plain);
    writeFileSync(join(plain, 'notes.txt'), 'not a repository\n');
    for (const dir of [missing, plain]) {
      for (const args of [['repo', 'gc', dir], ['repo', 'repack', dir], ['repo', 'remove', dir, 'a@1.0'], ['repo', 'upgrade', dir]]) {
        const r = zpkg(['--json', ...args]);
        expect(r.status, args.join(' ')).toBe(1);
        expect(r.json.error).toMatchObject({ code: 'E_REPO_INVALID', hint: `create one with \`zpkg repo create ${dir}\`` });
      }
    }
    // Before, each left the directory and a `.zpkg-lock` in it.
    expect(existsSync(missing)).toBe(false);
    expect(readdirSync(plain)).toEqual(['notes.txt']);
  });

  it('publishes content-addressed packs and records, each version growing root.json', async () => {
    const repo = join(work, 'r2');
    ok(['repo', 'create', repo]);
    writePackage(join(work, 's-a'), { name: 'a', version: '1.0', summary: 'alpha' }, { 'etc/a': 'alpha\n', 'etc/dup': 'same\n', 'etc/dup2': 'same\n' });
    const out = ok(['--json', 'build', join(work, 's-a'), '--repo', repo]).json;
    expect(out.publish.packages[0].status).toBe('added');
    expect(out.publish.blobsWritten).toBe(2); // identical contents share one blob
    expect(root(repo).version).toBe(2);
    // Both blobs in one pack, named by its sha256, each found through the pack's own index.
    const pack = packHolding(repo, digestOf(Buffer.from('alpha\n')))!;
    expect(pack.digest).toBe(digestOf(readFileSync(pack.path)));
    expect(pack.index.blobs.map((b) => b.digest).sort()).toEqual([digestOf('alpha\n'), digestOf('same\n')].sort());
    expect(readdirSync(join(repo, 'packs'), { recursive: true }).filter((p) => String(p).endsWith('.pack'))).toHaveLength(1);
    const entry = (await readSnapshot(openRepoReader(repo))).entries[0]!;
    const record = await readRecord(openRepoReader(repo), entry.manifest!, 'a');
    expect((await readBlob(openRepoReader(repo), digestOf('alpha\n'), placesOf(record).get(digestOf('alpha\n'))!, 'etc/a')).toString()).toBe('alpha\n');
    // Building the same content again is a no-op; the same version with other content is refused.
    expect(ok(['--json', 'build', join(work, 's-a'), '--repo', repo]).json.upToDate.map((p: { name: string }) => p.name)).toEqual(['a']);
    expect(root(repo).version).toBe(2);
    writeFileSync(join(work, 's-a/root/etc/a'), 'changed\n');
    const again = zpkg(['--json', 'build', join(work, 's-a'), '--repo', repo]);
    expect(again.status).toBe(1);
    expect(again.json.error.code).toBe('E_PACKAGE_EXISTS');
    expect(ok(['--json', 'build', '--replace', join(work, 's-a'), '--repo', repo]).json.publish.packages[0].status).toBe('replaced');
    const list = ok(['--json', 'repo', 'list', repo]).json;
    expect(list.packages.map((p: { name: string; version: string; summary: string }) => [p.name, p.version, p.summary])).toEqual([['a', '1.0', 'alpha']]);
    // The text shows what a download costs and what lands: it showed only one size, under SIZE.
    const [header, row] = ok(['repo', 'list', repo]).stdout.split('\n');
    expect(header).toMatch(/^NAME\s+VERSION\s+ARCH\s+DOWNLOAD\s+INSTALLED\s+SUMMARY$/);
    expect(row!.split(/\s{2,}/)).toEqual(['a', '1.0', 'all', `${list.packages[0].size} B`, `${list.packages[0].installedSize} B`, 'alpha']);
  });

  it('remove drops a version from the catalog; gc then deletes what nothing references, keeping a pack whole while any record uses it', () => {
    const repo = join(work, 'r3');
    ok(['repo', 'create', repo]);
    writePackage(join(work, 's-b1'), { name: 'b', version: '1' }, { 'etc/b': 'one\n', 'etc/common': 'common\n' });
    writePackage(join(work, 's-b2'), { name: 'b', version: '2' }, { 'etc/b': 'two\n', 'etc/common': 'common\n' });
    writePackage(join(work, 's-c'), { name: 'c', version: '1' }, { 'etc/c': 'see\n' });
    // Three publishes, three packs; b 2 stores only `two` (`common` is in b 1's pack) and a delta from b 1's record.
    for (const s of ['s-b1', 's-b2', 's-c']) ok(['build', join(work, s), '--repo', repo]);
    const packOf = (text: string): string | undefined => packHolding(repo, digestOf(text))?.path;
    expect(packHolding(repo, digestOf('two\n'))!.index.blobs).toHaveLength(1);
    expect(readdirSync(join(repo, 'deltas'), { recursive: true }).filter((p) => String(p).endsWith('.zst'))).toHaveLength(1);
    const untouched = snapshot(repo);
    // One unknown version among several: refused, and none of them removed.
    const missing = zpkg(['--json', 'repo', 'remove', repo, 'b@1', 'b@3']);
    expect(missing.json.error.code).toBe('E_VERSION_UNKNOWN');
    expect(missing.json.error.hint).toMatch(/1, 2/);
    // A dry run names what would go, needs no key and writes nothing (not even a lock).
    const dryRemove = ok(['--json', 'repo', 'remove', '-n', repo, 'b@1', 'c@1'], { env: { ZPKG_REPO_KEY: '' } }).json;
    expect(dryRemove).toEqual({ dryRun: true, removed: [{ name: 'b', version: '1', arch: 'all' }, { name: 'c', version: '1', arch: 'all' }] });
    expect(ok(['repo', 'remove', '--dry-run', repo, 'b@1'], { env: { ZPKG_REPO_KEY: '' } }).stdout).toBe('would remove b 1\n');
    expect(snapshot(repo)).toEqual(untouched);
    expect(ok(['--json', 'repo', 'remove', repo, 'b@1']).json).toEqual({ dryRun: false, removed: [{ name: 'b', version: '1', arch: 'all' }] });
    expect(ok(['--json', 'repo', 'list', repo]).json.packages.map((p: { version: string }) => p.version)).toEqual(['2', '1']);
    let gc = ok(['--json', 'repo', 'gc', repo]).json;
    expect(gc.removed).toMatchObject({ manifests: 1, packs: 0, deltas: 0 });
    expect(packOf('one\n')).toBeDefined(); // b 2 still places `common` in that pack
    ok(['repo', 'remove', repo, 'b@2']);
    // A dry run counts the same and deletes nothing.
    const before = snapshot(repo);
    const dry = ok(['--json', 'repo', 'gc', '-n', repo]).json;
    expect(dry.dryRun).toBe(true);
    expect(dry.removed).toMatchObject({ manifests: 1, packs: 2, deltas: 1 });
    expect(snapshot(repo)).toEqual(before);
    expect(ok(['repo', 'gc', '--dry-run', repo]).stdout).toMatch(/^would remove 2 packs, 1 manifest, 1 delta, /);
    gc = ok(['--json', 'repo', 'gc', repo]).json;
    expect(gc.dryRun).toBe(false);
    expect(gc.removed).toMatchObject({ manifests: 1, packs: 2, deltas: 1 });
    expect(gc.bytesFreed).toBe(dry.bytesFreed);
    expect(packOf('one\n')).toBeUndefined();
    expect(packOf('two\n')).toBeUndefined();
    expect(packOf('see\n')).toBeDefined();
    expect(readdirSync(join(repo, 'catalog'))).toHaveLength(1);
    expect(ok(['repo', 'verify', repo]).stdout).toMatch(/1 package, 1 manifest, 1 blob: all digests verified/);
  });

  it('remove takes several versions: they leave in one new repository version, or none leaves', () => {
    const work = tempDir();
    const repo = join(work, 'repo');
    ok(['repo', 'create', repo]);
    for (const [name, version] of [['a', '1'], ['a', '2'], ['b', '1']]) ok(['build', writePackage(join(work, `${name}${version}`), { name, version }, { [`etc/${name}`]: `${version}\n` }), '--repo', repo]);
    const before = root(repo).version;
    expect(zpkg(['--json', 'repo', 'remove', repo, 'a@1', 'b@9']).json.error.code).toBe('E_VERSION_UNKNOWN');
    expect(root(repo).version).toBe(before);
    const r = ok(['--json', 'repo', 'remove', repo, 'a@1', 'b@1', 'a@1']).json;
    expect(r.removed.map((e: { name: string; version: string }) => `${e.name}@${e.version}`)).toEqual(['a@1', 'b@1']);
    expect(root(repo).version).toBe(before + 1);
    expect(ok(['--json', 'repo', 'list', repo]).json.packages.map((p: { name: string; version: string }) => `${p.name}@${p.version}`)).toEqual(['a@2']);
    expect(ok(['repo', 'verify', repo]).status).toBe(0);
  });

  it('verify finds a tampered catalog', () => {
    const repo = join(work, 'r4');
    ok(['repo', 'create', repo]);
    const r = root(repo);
    writeFileSync(join(repo, `catalog/${r.catalog.digest.slice(7)}.zst`), 'garbage');
    const v = zpkg(['--json', 'repo', 'verify', repo]);
    expect(v.status).toBe(1);
    expect(v.json.error.code).toBe('E_DIGEST_MISMATCH');
  });

  it('concurrent publishers are serialized and readers always see a whole repository', async () => {
    const repo = join(work, 'r5');
    ok(['repo', 'create', repo]);
    const srcs = Array.from({ length: 6 }, (_, i) => writePackage(join(work, `s-c${i}`), { name: `c${i}`, version: '1' }, { [`etc/c${i}`]: `c${i}\n`.repeat(1000) }));
    const runs = srcs.map((s) => new Promise<number>((resolve) => spawn(process.execPath, [BIN, 'build', s, '--repo', repo], { stdio: 'ignore', env: { ...process.env, ZPKG_REPO_KEY: TEST_KEY } }).on('exit', (c) => resolve(c ?? -1))));
    let reads = 0;
    let done = false;
    const all = Promise.all(runs).then((codes) => {
      done = true;
      return codes;
    });
    while (!done) {
      const r = zpkg(['--json', 'repo', 'list', repo]);
      expect(r.status, r.stdout).toBe(0);
      reads += 1;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await all).toEqual([0, 0, 0, 0, 0, 0]);
    expect(reads).toBeGreaterThan(0);
    expect(root(repo).catalog.packages).toBe(6);
    expect(root(repo).version).toBe(7);
    expect(zpkg(['repo', 'verify', repo]).status).toBe(0);
  });
});
