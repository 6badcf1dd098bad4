// Generations, rollback (offline), exact target states with sync, the content cache and gc.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ok, snapshot, tempDir, writePackage, zpkg, TRUST } from './helpers/zpkg.js';

let work: string;
let repo: string;

function files(version: string, changed: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < 20; i++) out[`usr/lib/app/f${i}`] = `file ${i} ${i < changed ? version : '1'}\n`.repeat(50);
  return out;
}

beforeAll(() => {
  work = tempDir();
  repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  const s = (name: string, recipe: Record<string, unknown>, tree: Record<string, string>): string => writePackage(join(work, name), recipe, tree);
  s('lib1', { name: 'lib', version: '1.0' }, { 'usr/lib/libx.so': 'lib 1\n' });
  s('lib2', { name: 'lib', version: '2.0' }, { 'usr/lib/libx.so': 'lib 2\n' });
  s('app1', { name: 'app', version: '1.0', depends: ['lib (>= 1.0)'] }, { ...files('1', 0), 'usr/bin/app': 'app 1\n' });
  // Version 2 changes 1 of 20 files and adds one.
  s('app2', { name: 'app', version: '2.0', depends: ['lib (>= 2.0)'] }, { ...files('2', 1), 'usr/bin/app': 'app 1\n', 'usr/share/app/new': 'new in 2\n' });
  s('extra', { name: 'extra', version: '1.0', conflicts: ['lib (>= 2.0)'] }, { 'usr/share/extra': 'x\n' });
  s('rel', { name: 'release', version: '3.10', depends: ['app (= 1.0)', 'lib (= 1.0)'] }, { 'etc/release': '3.10\n' });
  // Two publishes, as releases come: the second pack holds only what version 2 changed.
  ok(['build', join(work, 'lib1'), join(work, 'app1'), join(work, 'extra'), join(work, 'rel'), '--repo', repo]);
  ok(['build', join(work, 'lib2'), join(work, 'app2'), '--repo', repo]);
});

function image(name: string): string {
  const root = join(work, name);
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  return root;
}

describe('generations and rollback', () => {
  it('every commit is a generation; rollback across an upgrade and a removal works without the repository', () => {
    const root = image('img-gen');
    ok(['--root', root, 'install', 'app=1.0', 'lib=1.0']);
    const v1 = snapshot(root, (r) => r.startsWith('var/lib/zpkg'));
    ok(['--root', root, 'update']);
    const v2 = snapshot(root, (r) => r.startsWith('var/lib/zpkg'));
    ok(['--root', root, 'remove', 'app']);
    const hist = ok(['--root', root, '--json', 'history']).json.transactions;
    expect(hist.map((h: { id: number; packages: unknown[] }) => [h.id, h.packages.length])).toEqual([[1, 2], [2, 2], [3, 1]]);

    // The repository goes away: rollback must work from the image's cache alone.
    renameSync(repo, `${repo}.away`);
    try {
      const back = ok(['--root', root, '--json', 'rollback']);
      expect(back.json.generation).toBe(2);
      expect(snapshot(root, (r) => r.startsWith('var/lib/zpkg'))).toEqual(v2);
      const older = ok(['--root', root, '--json', 'rollback', '1']);
      expect(older.json.downgrade.map((d: { name: string }) => d.name).sort()).toEqual(['app', 'lib']);
      expect(snapshot(root, (r) => r.startsWith('var/lib/zpkg'))).toEqual(v1);
      expect(zpkg(['--root', root, 'verify']).status).toBe(0);
      // Generation 1 again: the image holds it already, and says so rather than announcing a rollback.
      const history = ok(['--root', root, '--json', 'history']).json.transactions.length;
      expect(ok(['--root', root, 'rollback', '1']).stdout.trim()).toBe('generation 1 holds what the image holds now: nothing to do');
      expect(ok(['--root', root, '--json', 'history']).json.transactions).toHaveLength(history);
      ok(['--root', root, 'rollback', '0']);
      expect(ok(['--root', root, '--json', 'list']).json.packages).toEqual([]);
      expect(zpkg(['--root', root, '--json', 'rollback', '99']).json.error.code).toBe('E_GENERATION_UNKNOWN');
    } finally {
      renameSync(`${repo}.away`, repo);
    }
  });

  it('an update fetches only the blobs that changed', () => {
    const root = image('img-fetch');
    const first = ok(['--root', root, '--json', 'install', 'app=1.0', 'lib=1.0']).json;
    expect(first.fetched.fetched).toBe(first.fetched.blobs);
    const upd = ok(['--root', root, '--json', 'update']).json;
    // app 2.0: one changed file and one new one; lib 2.0: its library. App's 20 other files stay in place: no blob needed.
    expect(upd.fetched.fetched).toBe(3);
    expect(upd.fetched.blobs).toBe(3);
    expect(upd.files.inPlace).toBe(20);
  });

  it('gc keeps the last generations restorable and trims the rest with their cached blobs', () => {
    const root = image('img-gc');
    ok(['--root', root, 'install', 'app=1.0', 'lib=1.0']);
    ok(['--root', root, 'update']);
    ok(['--root', root, 'remove', 'app', 'lib']);
    // A dry run says the same and changes nothing: the state, the cache, the generations.
    const before = snapshot(root);
    const dry = ok(['--root', root, '--json', 'gc', '--keep', '1', '-n']).json;
    expect(dry).toMatchObject({ dryRun: true, keptGenerations: [3], trimmedGenerations: 2, removedPacks: 2, removedBlobs: 27, removedManifests: 4 });
    expect(ok(['--root', root, 'gc', '--keep', '1', '--dry-run']).stdout).toMatch(/^would keep generations 3; would trim 2; would remove 27 blobs \(2 packs\) and 4 manifests \(at least /);
    expect(snapshot(root)).toEqual(before);
    expect(ok(['--root', root, '--json', 'history']).json.transactions.map((t: { packages: unknown }) => t.packages !== null)).toEqual([true, true, true]);
    const r = ok(['--root', root, '--json', 'gc', '--keep', '1']).json;
    expect(r.dryRun).toBe(false);
    expect(r.bytesFreed).toBe(dry.bytesFreed);
    expect(r.keptGenerations).toEqual([3]);
    expect(r.trimmedGenerations).toBe(2);
    // Nothing kept needs the packs of either publish (hard-linked from the repository: no disk of their own).
    // Pack 1 holds lib 1.0, app 1.0's 21 files, extra and release (24 blobs); pack 2 what version 2 changed (3).
    expect(r).toMatchObject({ removedPacks: 2, removedBlobs: 27, removedManifests: 4 });
    expect(zpkg(['--root', root, '--json', 'rollback', '1']).json.error.message).toMatch(/trimmed/);
    expect(zpkg(['--root', root, 'verify']).status).toBe(0);
  });
});

describe('sync', () => {
  it('makes the image hold exactly the listed packages and versions in one transaction', () => {
    const root = image('img-sync');
    ok(['--root', root, 'install', 'app']);
    const list = join(work, 'target.txt');
    writeFileSync(list, '# release 3.9\napp 1.0\nlib=1.0\nextra 1.0\n');
    const r = ok(['--root', root, '--json', 'sync', list]).json;
    expect(r.downgrade.map((d: { name: string }) => d.name).sort()).toEqual(['app', 'lib']);
    expect(r.install).toEqual([{ name: 'extra', version: '1.0' }]);
    expect(ok(['--root', root, '--json', 'list']).json.packages.map((p: { name: string; version: string }) => `${p.name} ${p.version}`)).toEqual(['app 1.0', 'extra 1.0', 'lib 1.0']);
    expect(ok(['--root', root, '--json', 'history']).json.transactions).toHaveLength(2);
    // Syncing to the same list again changes nothing.
    expect(ok(['--root', root, '--json', 'sync', list]).json.files.written).toBe(0);
  });

  it('refuses a set that does not hold together, changing nothing', () => {
    const root = image('img-sync-bad');
    ok(['--root', root, 'install', 'lib=1.0']);
    const before = snapshot(root, (r) => r.startsWith('var/lib/zpkg'));
    const list = join(work, 'bad.txt');
    writeFileSync(list, 'app 2.0\nlib 2.0\nextra 1.0\n');
    const r = zpkg(['--root', root, '--json', 'sync', list]);
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_UNSATISFIABLE');
    expect(r.json.error.explanation.join('\n')).toMatch(/extra 1.0 conflicts with `lib \(>= 2.0\)`, which lib 2.0 satisfies/);
    expect(snapshot(root, (x) => x.startsWith('var/lib/zpkg'))).toEqual(before);
    writeFileSync(list, 'app 9.9\n');
    expect(zpkg(['--root', root, '--json', 'sync', list]).json.error.code).toBe('E_VERSION_UNKNOWN');
    writeFileSync(list, 'app\n');
    expect(zpkg(['--root', root, '--json', 'sync', list]).json.error.message).toMatch(/bad.txt:1: expected `NAME VERSION`/);
    // Not a file: a FIFO is refused unread (a reader would wait for a writer forever; the deadline only catches that).
    const fifo = join(work, 'sync.fifo');
    execFileSync('mkfifo', [fifo]);
    const fromFifo = zpkg(['--root', root, '--json', 'sync', fifo], { timeoutMs: 120_000 });
    expect(fromFifo.signal).toBeNull();
    expect(fromFifo.json.error.code).toBe('E_INPUT_INVALID');
    expect(fromFifo.json.error.message).toBe(`the sync file ${fifo}: is a FIFO, where a regular file is expected; it was not read`);
    expect(zpkg(['--root', root, '--json', 'sync', join(work, 'no-such-list')]).json.error.code).toBe('E_NOT_FOUND');
    expect(snapshot(root, (x) => x.startsWith('var/lib/zpkg'))).toEqual(before);
  });

  it('--set takes the list from a release package that pins exact versions', () => {
    const root = image('img-set');
    ok(['--root', root, 'install', 'app']);
    const r = ok(['--root', root, '--json', 'sync', '--set', 'release']).json;
    expect(r.install).toEqual([{ name: 'release', version: '3.10' }]);
    expect(ok(['--root', root, '--json', 'list']).json.packages.map((p: { name: string; version: string }) => `${p.name} ${p.version}`)).toEqual(['app 1.0', 'lib 1.0', 'release 3.10']);
    expect(readFileSync(join(root, 'etc/release'), 'utf8')).toBe('3.10\n');
    expect(zpkg(['--root', root, '--json', 'sync', '--set', 'app']).json.error.message).toMatch(/is not a set/);
    expect(existsSync(join(root, 'usr/share/app/new'))).toBe(false);
  });
});
