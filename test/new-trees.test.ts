/**
 * New trees (src/txn/new-trees.ts): a directory a transaction creates whose
 * parent stands already is staged whole under a hidden name and landed by
 * one rename. Which directories qualify (pure), and on a real image: what a
 * fresh install reports and leaves, that nothing of a tree is visible under
 * its name before apply, and that a kill or a failure at any point of it is
 * undone to the image as it was.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { newTrees } from '../src/txn/new-trees.js';
import type { DirOp } from '../src/txn/types.js';
import { newRepo, ok, snapshot, tempDir, TRUST, zpkg } from './helpers/zpkg.js';

const dir = (path: string, create: boolean): DirOp => ({ path, package: 'p', mode: 0o755, uid: 0, gid: 0, create, declared: false });
const same = (path: string): string => path;

describe('which created directories are new trees', () => {
  it('the created directories whose parent stands, in order', () => {
    const dirs = [dir('usr', true), dir('usr/share', true), dir('usr/share/x', true), dir('etc', false), dir('etc/app', true), dir('etc/app/conf.d', true), dir('var', false), dir('var/lib', false)];
    expect(newTrees(dirs, same, [])).toEqual(['etc/app', 'usr']);
    expect(newTrees([dir('etc', false), dir('var/lib', false)], same, [])).toEqual([]);
  });

  it('none that a path written through a directory link lands in, nor one reached through a link', () => {
    // A merged /usr: `lib` → `usr/lib` stands; `usr/lib/foo` is new, and `lib/foo/x` is written through the link.
    const real = (path: string): string => (path === 'lib' || path.startsWith('lib/') ? `usr/${path}` : path);
    const dirs = [dir('usr/lib', false), dir('usr/lib/foo', true), dir('lib/foo', true), dir('usr/share/doc/p', true), dir('usr/share/doc', false)];
    expect(newTrees(dirs, real, ['lib/foo/x'])).toEqual(['usr/share/doc/p']);
    // A link path landing elsewhere leaves the trees it does not reach.
    expect(newTrees(dirs, real, ['lib/other/y'])).toEqual(['usr/lib/foo', 'usr/share/doc/p']);
    // Where a path lands cannot be told: no tree at all.
    expect(newTrees(dirs, (p) => (p.startsWith('lib/') ? null : p), ['lib/foo/x'])).toEqual([]);
  });
});

describe('a fresh install lands its new directories whole', () => {
  let repo: string;
  let work: string;

  beforeAll(() => {
    work = tempDir('zpkg-new-trees-');
    const r = newRepo(work);
    repo = r.repo;
    const files: Record<string, string | { link: string }> = { 'etc/app.conf': 'conf\n', 'etc/app/site.conf': 'site\n', 'etc/app/link': { link: 'site.conf' } };
    for (let i = 0; i < 300; i++) files[`opt/app/lib/m${i % 7}/f${i}.txt`] = `file ${i}\n`;
    r.build('app', '1', {}, files);
  });

  /** An image with `etc` standing (so `etc/app.conf` is staged beside itself) and the repository added. */
  function image(name: string): { root: string; before: string[] } {
    const root = join(work, name);
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc/hostname'), 'node\n');
    ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
    return { root, before: tree(root) };
  }
  const tree = (root: string): string[] => snapshot(root, (rel) => rel === 'var/lib/zpkg' || rel.startsWith('var/lib/zpkg/'));
  const hidden = (root: string, at = ''): string[] => readdirSync(join(root, at)).filter((n) => n.includes('.zpkg-'));

  it('reports the directories and the paths in them, and leaves in them what the package holds', () => {
    const { root } = image('fresh');
    const r = ok(['--root', root, '--json', 'install', 'app']);
    // `opt` (with opt/app/…) and `etc/app` are new; `etc/app.conf` lies beside a directory that stood.
    expect(r.json.files.written).toBe(303);
    expect(r.json.files.landedWhole).toEqual({ directories: 2, paths: 302 });
    expect(ok(['--root', root, 'verify']).status).toBe(0);
    expect(hidden(root)).toEqual([]);
    expect(hidden(root, 'etc')).toEqual([]);
    expect(existsSync(join(root, 'opt/app/lib/m3/f3.txt'))).toBe(true);
    // Each new directory holds what the package's source holds there: content, modes, links.
    for (const d of ['opt', 'etc/app']) expect(snapshot(join(root, d)), d).toEqual(snapshot(join(work, 'src-app-1/root', d)));
  });

  it('killed once staged: the new directories exist only under their hidden names, and recovery removes them', () => {
    const { root, before } = image('killed-staged');
    const r = zpkg(['--root', root, 'install', 'app'], { env: { ZPKG_CRASH_AT: 'staged' } });
    expect(r.signal).toBe('SIGKILL');
    expect(existsSync(join(root, 'opt'))).toBe(false);
    expect(existsSync(join(root, 'etc/app'))).toBe(false);
    expect(hidden(root)).toEqual([expect.stringMatching(/^\.opt\.zpkg-[0-9a-f]+$/)]);
    expect(hidden(root, 'etc').sort()).toEqual([expect.stringMatching(/^\.app\.conf\.zpkg-/), expect.stringMatching(/^\.app\.zpkg-/)]);
    // The journal says format 2: a zpkg from before trees refuses it rather than recovering the trees' paths beside themselves.
    const journals = readdirSync(join(root, 'var/lib/zpkg/journal')).filter((n) => n.endsWith('.json'));
    expect(journals).toHaveLength(1);
    const journal = JSON.parse(readFileSync(join(root, 'var/lib/zpkg/journal', journals[0]!), 'utf8'));
    expect({ format: journal.format, trees: [...journal.trees].sort() }).toEqual({ format: 2, trees: ['etc/app', 'opt'] });
    ok(['--root', root, 'recover']);
    expect(tree(root)).toEqual(before);
  });

  it('killed after the first directory landed, or failing at the second: undone to the image as it was', () => {
    for (const [name, env] of [
      ['killed-apply', { ZPKG_CRASH_AT: 'apply:1' }],
      ['failing-apply', { ZPKG_FAIL_AT: 'apply:2' }],
      ['failing-undo', { ZPKG_FAIL_AT: 'apply:2,rollback:1' }],
    ] as const) {
      const { root, before } = image(name);
      const r = zpkg(['--root', root, 'install', 'app'], { env });
      expect(r.status, name).not.toBe(0);
      if (name === 'killed-apply') expect(existsSync(join(root, 'etc/app/site.conf')) || existsSync(join(root, 'opt/app')), name).toBe(true);
      zpkg(['--root', root, 'recover']);
      expect(tree(root), name).toEqual(before);
      expect(zpkg(['--root', root, '--json', 'list']).json.packages, name).toEqual([]);
    }
  });
});
