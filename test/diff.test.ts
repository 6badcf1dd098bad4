// diff: two generations of an image, two repositories, two release sets — packages added, removed, up/downgraded, rebuilt, with file counts and bytes.
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ok, snapshot, tempDir, writePackage, zpkg, TRUST } from './helpers/zpkg.js';

type Change = { name: string; kind: string; from: string | null; to: string | null; files: { before: number | null; after: number | null }; bytes: { before: number | null; after: number | null }; paths?: { added: number; removed: number; changed: number } };
const byName = (changes: Change[]): Record<string, Change> => Object.fromEntries(changes.map((c) => [c.name, c]));

/** Repository `before` (app 1, lib 1, rel 1) and `after` (everything of before, plus app 2, tool 1, rel 2). */
function buildRepos(): { before: string; after: string } {
  const work = tempDir();
  const before = join(work, 'before');
  const after = join(work, 'after');
  const build = (repo: string, dir: string, recipe: Record<string, unknown>, files: Record<string, string>): void => {
    ok(['build', writePackage(join(work, dir), recipe, files), '--repo', repo]);
  };
  ok(['repo', 'create', before]);
  build(before, 'app1', { name: 'app', version: '1' }, { 'usr/bin/app': 'app 1\n', 'usr/share/app/a': 'aaaa\n', 'usr/share/app/b': 'bb\n' });
  build(before, 'lib1', { name: 'lib', version: '1' }, { 'usr/lib/libx.so': 'libx\n' });
  build(before, 'rel1', { name: 'rel', version: '1', depends: ['app (= 1)', 'lib (= 1)'] }, { 'etc/release': '1\n' });
  cpSync(before, after, { recursive: true });
  build(after, 'app2', { name: 'app', version: '2' }, { 'usr/bin/app': 'app 2, longer\n', 'usr/share/app/a': 'aaaa\n', 'usr/share/app/b': 'bb\n', 'usr/share/app/c': 'new\n' });
  build(after, 'tool1', { name: 'tool', version: '1', arch: 'amd64' }, { 'usr/bin/tool': 'tool\n' });
  build(after, 'rel2', { name: 'rel', version: '2', depends: ['app (= 2)', 'tool (= 1)'] }, { 'etc/release': '2\n' });
  return { before, after };
}

let built: { before: string; after: string } | undefined;
/** The two repositories (built once: no case writes to them) and a scratch directory of the case's own. */
function repos(): { work: string; before: string; after: string } {
  built ??= buildRepos();
  return { work: tempDir(), ...built };
}

describe('diff', () => {
  it('between two generations: added, removed, upgraded, downgraded, with file counts, bytes and path changes', () => {
    const { work, after } = repos();
    const root = join(work, 'img');
    ok(['--root', root, 'remote', 'add', 'main', after, ...TRUST]);
    ok(['--root', root, 'install', 'app=1', 'lib']); // generation 1
    ok(['--root', root, 'install', 'app=2', 'tool']); // generation 2
    ok(['--root', root, 'remove', 'lib']); // generation 3
    const d = ok(['--root', root, '--json', 'diff', '1', '3']).json;
    expect(d.from).toBe(1);
    expect(d.to).toBe(3);
    const c = byName(d.changes);
    expect(Object.keys(c).sort()).toEqual(['app', 'lib', 'tool']);
    expect(c.app).toEqual({ name: 'app', kind: 'upgraded', from: '1', to: '2', files: { before: 3, after: 4 }, bytes: { before: 14, after: 26 }, paths: { added: 1, removed: 0, changed: 1 } });
    expect(c.lib).toMatchObject({ kind: 'removed', from: '1', to: null, files: { before: 1, after: 0 }, bytes: { before: 5, after: 0 } });
    expect(c.tool).toMatchObject({ kind: 'added', from: null, to: '1', files: { before: 0, after: 1 } });
    expect(d.totals).toMatchObject({ added: 1, removed: 1, upgraded: 1, downgraded: 0, rebuilt: 0 });
    expect(d.unchanged).toBe(0);
    // Backwards is a downgrade; one argument compares with the installed set; 0 is the empty image.
    const back = byName(ok(['--root', root, '--json', 'diff', '3', '1']).json.changes);
    expect(back.app!.kind).toBe('downgraded');
    expect(ok(['--root', root, '--json', 'diff', '2']).json).toMatchObject({ to: 'current', unchanged: 2, totals: { removed: 1 } });
    expect(ok(['--root', root, '--json', 'diff', '0']).json.totals).toMatchObject({ added: 2 });
    const text = ok(['--root', root, 'diff', '1', '3']).stdout;
    expect(text).toContain('↑ app 1 → 2: files 3 → 4');
    expect(text).toContain('- lib 1: 1 file,');
    expect(text).toContain('+ tool 1: 1 file,');
  });

  it('refuses an unknown generation and a generation that is not a number', () => {
    const { work, after } = repos();
    const root = join(work, 'img');
    ok(['--root', root, 'remote', 'add', 'main', after, ...TRUST]);
    ok(['--root', root, 'install', 'lib']);
    const unknown = zpkg(['--root', root, '--json', 'diff', '1', '7']);
    expect(unknown.status).toBe(1);
    expect(unknown.json.error.code).toBe('E_GENERATION_UNKNOWN');
    expect(unknown.json.error.hint).toContain('known: 0 (the empty image), 1');
    const word = zpkg(['--root', root, '--json', 'diff', 'latest']);
    expect(word.status).toBe(2);
    expect(word.json.error.code).toBe('E_USAGE');
    // rollback and history read a generation the same way: '' and ' ' were read as 0, the empty image
    // (a `rollback "$GEN"` with an empty variable planned to remove every package), '0x1' and '1e0' as 1.
    const before = snapshot(root);
    for (const arg of ['', ' ', '0x1', '1e0', '-1', '1.5']) {
      for (const cmd of [['rollback', '-n', arg], ['rollback', arg], ['history', arg], ['diff', arg, '1']]) {
        const r = zpkg(['--root', root, '--json', ...cmd]);
        expect(r.status, `${cmd.join(' ')}`).toBe(2);
        expect(r.json.error.message).toBe(`generation \`${arg}\` is not a generation number (0, 1, 2, …: see \`zpkg history\`)`);
      }
    }
    expect(snapshot(root)).toEqual(before);
    expect(ok(['--root', root, '--json', 'history', '1']).json.id).toBe(1);
  });

  it('repo diff: versions only one repository holds, and the newest of each package compared by file index and installed size', () => {
    const { before, after } = repos();
    const d = ok(['--json', 'repo', 'diff', before, after]).json;
    const c = byName(d.changes);
    expect(Object.keys(c).sort()).toEqual(['app', 'rel', 'tool']);
    expect(c.app).toMatchObject({ kind: 'upgraded', from: '1', to: '2', files: { before: 3, after: 4 }, paths: { added: 1, removed: 0, changed: 0 } });
    // tool is built for one arch: its file-index key is tool@1/amd64 (it showed "? files").
    expect(c.tool).toMatchObject({ kind: 'added', files: { after: 1 } });
    expect(d.unchanged).toBe(1); // lib 1 on both sides
    expect(d.versions.added).toEqual([{ name: 'app', version: '2' }, { name: 'rel', version: '2' }, { name: 'tool', version: '1' }]);
    expect(d.versions.removed).toEqual([]);
    const reverse = ok(['--json', 'repo', 'diff', after, before]).json;
    expect(reverse.versions.removed).toHaveLength(3);
    expect(zpkg(['--json', 'repo', 'diff', before, join(before, 'nope')]).json.error.code).toBe('E_REPO_INVALID');
  });

  it('diff --set: two release sets of a repository, or of the image\'s remotes', () => {
    const { work, after } = repos();
    const d = ok(['--json', 'diff', '--set', 'rel=1', 'rel@2', '--repo', after]).json;
    expect(d.from).toEqual({ name: 'rel', version: '1' });
    expect(d.to).toEqual({ name: 'rel', version: '2' });
    const c = byName(d.changes);
    expect(Object.keys(c).sort()).toEqual(['app', 'lib', 'rel', 'tool']);
    expect(c.app).toMatchObject({ kind: 'upgraded', from: '1', to: '2' });
    expect(c.lib).toMatchObject({ kind: 'removed' });
    expect(c.tool).toMatchObject({ kind: 'added' });
    const root = join(work, 'img');
    ok(['--root', root, 'remote', 'add', 'main', after, ...TRUST]);
    const viaRemotes = ok(['--root', root, '--json', 'diff', '--set', 'rel=1', 'rel=2']).json;
    expect(viaRemotes.changes.map((x: Change) => `${x.kind} ${x.name}`)).toEqual(d.changes.map((x: Change) => `${x.kind} ${x.name}`));
    const missing = zpkg(['--json', 'diff', '--set', 'rel=1', 'rel=9', '--repo', after]);
    expect(missing.json.error.code).toBe('E_VERSION_UNKNOWN');
    const notSet = zpkg(['--json', 'diff', '--set', 'rel=1', 'app=2', '--repo', after]);
    expect(notSet.status).toBe(0); // a package without pins is a set of itself
  });
});
