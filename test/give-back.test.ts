/**
 * Files a package took over with `replaces` go back to the package it took
 * them from when it goes — removed, rolled back, or upgraded to a version
 * without them — written again from that package's own blobs (the content
 * cache: no network needed). Before, they were deleted and the package they
 * came from stayed installed without them (`verify`: missing), and a
 * rollback to before the takeover was not the generation it named.
 */
import { readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { newRepo, ok, tempDir, TRUST, zpkg } from './helpers/zpkg.js';

let work: string;
let repo: string;
let n = 0;

beforeAll(() => {
  work = tempDir('zpkg-give-back-');
  const made = newRepo(work);
  repo = made.repo;
  made.build('docs', '1', {}, { 'usr/share/doc/x': 'x of docs\n', 'usr/share/doc/y': 'y of docs\n', 'usr/share/doc/z': 'z of docs\n' });
  made.build('docs', '2', {}, { 'usr/share/doc/x': 'x of docs 2\n', 'usr/share/doc/y': 'y of docs\n', 'usr/share/doc/z': 'z of docs\n' });
  made.build('newdocs', '1', { replaces: ['docs'] }, { 'usr/share/doc/x': 'x of newdocs 1\n' });
  made.build('newdocs', '2', { replaces: ['docs'] }, { 'usr/share/doc/other': 'other\n' });
  made.build('ydocs', '1', { replaces: ['docs'] }, { 'usr/share/doc/y': 'y of ydocs\n' });
});

function image(): string {
  const root = join(work, `img-${n++}`);
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  ok(['--root', root, 'install', 'docs=1']);
  return root;
}

const read = (root: string, path: string): string => readFileSync(join(root, path), 'utf8');
const owner = (root: string, path: string): string => ok(['--root', root, 'owns', `/${path}`]).stdout.trim();

describe('files taken over with replaces go back', () => {
  it('when the package that took them is removed, even with its repository gone', () => {
    const root = image();
    expect(ok(['--root', root, '--json', 'install', 'newdocs=1']).json.takenOver).toEqual([{ path: 'usr/share/doc/x', from: 'docs', to: 'newdocs' }]);
    expect(read(root, 'usr/share/doc/x')).toBe('x of newdocs 1\n');
    renameSync(repo, `${repo}.away`);
    try {
      const r = ok(['--root', root, '--json', 'remove', 'newdocs']).json;
      expect(r.takenOver).toEqual([{ path: 'usr/share/doc/x', from: 'newdocs', to: 'docs' }]);
    } finally {
      renameSync(`${repo}.away`, repo);
    }
    // Before: the file was deleted, and `verify` said "docs: /usr/share/doc/x: missing".
    expect(read(root, 'usr/share/doc/x')).toBe('x of docs\n');
    expect(owner(root, 'usr/share/doc/x')).toBe('/usr/share/doc/x is owned by docs');
    ok(['--root', root, 'verify']);
    // History records who took which files from whom, in both transactions.
    const history = (ok(['--root', root, '--json', 'history']).json as { transactions: { id: number; command: string; changes: { takeovers?: unknown } }[] }).transactions;
    const byCommand = (c: string) => history.find((h) => h.command.includes(c))!;
    expect(byCommand('install newdocs=1').changes.takeovers).toEqual([{ from: 'docs', to: 'newdocs', paths: 1, first: 'usr/share/doc/x' }]);
    expect(byCommand('remove newdocs').changes.takeovers).toEqual([{ from: 'newdocs', to: 'docs', paths: 1, first: 'usr/share/doc/x' }]);
    expect(byCommand('install docs=1').changes.takeovers).toBeUndefined();
    expect(ok(['--root', root, 'history', String(byCommand('install newdocs=1').id)]).stdout).toContain('files that changed owner (1):\n  newdocs took /usr/share/doc/x from docs');
  });

  it('when a rollback goes back to before the takeover: the generation it names, file for file', () => {
    const root = image();
    ok(['--root', root, 'install', 'newdocs=1']);
    const r = ok(['--root', root, '--json', 'rollback', '1']).json;
    expect(r.takenOver).toEqual([{ path: 'usr/share/doc/x', from: 'newdocs', to: 'docs' }]);
    expect(read(root, 'usr/share/doc/x')).toBe('x of docs\n');
    ok(['--root', root, 'verify']);
    expect(ok(['--root', root, 'recover', '-n']).stdout).toBe('nothing to recover\n');
    // And forward again: taken over once more.
    ok(['--root', root, 'rollback', '2']);
    expect(read(root, 'usr/share/doc/x')).toBe('x of newdocs 1\n');
    expect(owner(root, 'usr/share/doc/x')).toBe('/usr/share/doc/x is owned by newdocs');
    ok(['--root', root, 'verify']);
  });

  it('when an upgrade of the package that took them no longer delivers them', () => {
    const root = image();
    ok(['--root', root, 'install', 'newdocs=1']);
    const r = ok(['--root', root, '--json', 'update', 'newdocs']).json;
    expect(r.upgrade).toEqual([{ name: 'newdocs', from: '1', to: '2' }]);
    expect(read(root, 'usr/share/doc/x')).toBe('x of docs\n');
    expect(owner(root, 'usr/share/doc/x')).toBe('/usr/share/doc/x is owned by docs');
    ok(['--root', root, 'verify']);
  });

  it('only what the leaving package took: a file another staying package took over stays its own', () => {
    const root = image();
    ok(['--root', root, 'install', 'newdocs=1', 'ydocs']);
    expect(ok(['--root', root, 'remove', 'newdocs']).stdout).toContain('docs takes over usr/share/doc/x from newdocs\n');
    expect(read(root, 'usr/share/doc/x')).toBe('x of docs\n');
    expect(read(root, 'usr/share/doc/y')).toBe('y of ydocs\n');
    expect(owner(root, 'usr/share/doc/y')).toBe('/usr/share/doc/y is owned by ydocs');
    expect(read(root, 'usr/share/doc/z')).toBe('z of docs\n');
    ok(['--root', root, 'verify']);
  });

  it('best effort: with neither the cache nor the repository at hand, the removal goes on, warns, and fix writes them later', () => {
    const root = image();
    ok(['--root', root, 'install', 'newdocs=1']);
    rmSync(join(root, 'var/lib/zpkg/cache'), { recursive: true });
    renameSync(repo, `${repo}.away`);
    let r: ReturnType<typeof ok>;
    try {
      r = ok(['--root', root, 'remove', 'newdocs']);
    } finally {
      renameSync(`${repo}.away`, repo);
    }
    expect(r.stderr).toContain('warning: docs 1 cannot be given back the files a leaving package took over (');
    expect(r.stderr).toContain('`zpkg fix docs` writes them later');
    expect(zpkg(['--root', root, 'verify']).status).toBe(1);
    ok(['--root', root, 'fix', 'docs']);
    expect(read(root, 'usr/share/doc/x')).toBe('x of docs\n');
    ok(['--root', root, 'verify']);
  });

  it("an upgrade of the package they came from leaves them to the package that replaces it, and gets its own version back later", () => {
    const root = image();
    ok(['--root', root, 'install', 'newdocs=1']);
    // Before: refused, "docs 2 and installed newdocs both deliver `usr/share/doc/x`" (dpkg: "replaced by files in installed package").
    const up = ok(['--root', root, 'update', 'docs']);
    expect(up.stdout).toContain('docs leaves usr/share/doc/x to newdocs, which replaces it\n');
    expect(read(root, 'usr/share/doc/x')).toBe('x of newdocs 1\n');
    expect(owner(root, 'usr/share/doc/x')).toBe('/usr/share/doc/x is owned by newdocs');
    ok(['--root', root, 'verify']);
    ok(['--root', root, 'remove', 'newdocs']);
    expect(read(root, 'usr/share/doc/x')).toBe('x of docs 2\n');
    expect(owner(root, 'usr/share/doc/x')).toBe('/usr/share/doc/x is owned by docs');
    ok(['--root', root, 'verify']);
  });

  it('a replacing package and the one it replaces landing together: the path is the replacer\'s', () => {
    const root = image();
    ok(['--root', root, 'install', 'newdocs=1']);
    ok(['--root', root, 'remove', 'newdocs']);
    ok(['--root', root, 'update', 'docs']);
    // Back to generation 2 (docs 1 and newdocs 1) lands both at once. Before: "docs 1 and newdocs 1 both deliver `usr/share/doc/x`".
    const r = ok(['--root', root, '--json', 'rollback', '2']).json;
    expect(r.yielded).toEqual([{ path: 'usr/share/doc/x', package: 'docs', to: 'newdocs' }]);
    expect(read(root, 'usr/share/doc/x')).toBe('x of newdocs 1\n');
    expect(owner(root, 'usr/share/doc/x')).toBe('/usr/share/doc/x is owned by newdocs');
    ok(['--root', root, 'verify']);
  });

  it('not to a package leaving in the same transaction', () => {
    const root = image();
    ok(['--root', root, 'install', 'newdocs=1']);
    const r = ok(['--root', root, '--json', 'remove', 'newdocs', 'docs']).json;
    expect(r.takenOver).toEqual([]);
    expect(ok(['--root', root, '--json', 'list']).json.packages).toEqual([]);
    ok(['--root', root, 'verify', '--unowned']);
  });
});
