/**
 * The path plan (src/txn/changeset.ts) asks the state about each path of a
 * small change (LOOKUP_LIMIT) instead of reading every file and directory
 * row: both ways must plan the same, and a small change must not read the
 * whole tables (a one-file install on an image holding 100,000 files spent
 * 0.37 s reading them). Real repository, real image, real SQLite.
 */
import type Database from 'better-sqlite3';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAtom } from '../src/core/relation.js';
import { openImage, type Image } from '../src/image/image.js';
import { filesNamed } from '../src/image/state.js';
import { StreamReport } from '../src/report/report.js';
import type { Changeset } from '../src/txn/types.js';
import { prepare } from '../src/txn/prepare.js';
import { solveTarget } from '../src/txn/solve.js';
import { ok, tempDir, TRUST, writePackage, type TreeEntry } from './helpers/zpkg.js';

const work = tempDir('zpkg-plan-lookups-');
const repo = join(work, 'repo');
let serial = 0;

function publish(recipe: Record<string, unknown>, files: Record<string, TreeEntry>): void {
  const dir = join(work, `src-${++serial}`);
  writePackage(dir, recipe, files);
  ok(['build', dir, '--repo', repo]);
}

const quiet = (): StreamReport => new StreamReport({ json: true, quiet: true, stdout: new PassThrough(), stderr: new PassThrough() });

/** An image holding `base 1` and `sib 1`, which share `usr/share/common`. */
function image(): { root: string; image: Image } {
  const root = join(work, `image-${++serial}`);
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  ok(['--root', root, 'install', 'base=1', 'sib']);
  return { root, image: openImage(root) };
}

/** A merged-/usr image (`bin` → `usr/bin`) holding `tool 1`, which records `bin/tool` and `bin/other`: on disk `usr/bin/…`. */
function mergedImage(): { root: string; image: Image } {
  const root = join(work, `image-${++serial}`);
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  symlinkSync('usr/bin', join(root, 'bin'));
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  ok(['--root', root, 'install', 'tool=1']);
  return { root, image: openImage(root) };
}

/** What a changeset plans, without the handles it carries (content plan, manifests). */
function planned(cs: Changeset): unknown {
  const { put, dirs, delete: gone, dropDirs, keptConfig, newConfig, adopted, takenOver, inPlace, leftAlone, dirsLeftAlone, owners, yielded } = cs;
  return JSON.parse(JSON.stringify({ put, dirs, gone, dropDirs, keptConfig, newConfig, adopted, takenOver, inPlace, leftAlone, dirsLeftAlone: [...dirsLeftAlone], owners: [...owners], yielded }));
}

/** The plan of `request` on a fresh image, looked up path by path (`Infinity`) or from every row (0): its changeset, or its refusal. */
async function plan(request: { install?: string[]; remove?: string[] }, lookupLimit: number, db?: (d: Database.Database) => Database.Database, make = image): Promise<unknown> {
  const { image: img } = make();
  const used = db ? { ...img, db: db(img.db) } : img;
  try {
    const target = await solveTarget(used, { install: (request.install ?? []).map((s) => parseAtom(s)), remove: request.remove ?? [] }, {}, 'test');
    const prepared = await prepare(used, target, { report: quiet(), dryRun: true, lookupLimit });
    return planned(prepared.changeset);
  } catch (err) {
    return { refused: (err as { code?: string }).code, message: (err as Error).message };
  } finally {
    img.db.close();
  }
}

/** `db` with every SQL text it prepares recorded in `into`. */
function recording(into: string[]): (d: Database.Database) => Database.Database {
  return (d) =>
    new Proxy(d, {
      get(target, key) {
        const v = Reflect.get(target, key, target);
        if (key === 'prepare') return (sql: string) => (into.push(sql), target.prepare(sql));
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
}

beforeAll(() => {
  ok(['repo', 'create', repo]);
  publish({ name: 'base', version: '1' }, { 'usr/share/common/a': 'a one', 'usr/share/common/keep': 'kept', 'etc/base.conf': 'x=1' });
  publish({ name: 'base', version: '2' }, { 'usr/share/common/keep': 'kept', 'usr/share/base/moved': 'a two', 'etc/base.conf': 'x=1' });
  publish({ name: 'sib', version: '1' }, { 'usr/share/common/b': 'b' });
  publish({ name: 'clash', version: '1' }, { 'usr/share/common/a': 'not base' });
  publish({ name: 'taker', version: '1', replaces: ['base'] }, { 'usr/share/common/a': 'taken' });
  publish({ name: 'flat', version: '1' }, { 'usr/share': 'a file where a directory is' });
  publish({ name: 'beside', version: '1' }, { 'usr/share/common/c': 'c', 'opt/beside/d': 'd' });
  publish({ name: 'tool', version: '1' }, { 'bin/tool': 'tool one', 'bin/other': 'other' });
  publish({ name: 'tool', version: '2' }, { 'usr/bin/tool': 'tool two', 'bin/other': 'other' });
  publish({ name: 'dup', version: '1' }, { 'usr/bin/tool': 'another tool' });
  publish({ name: 'mover', version: '1', replaces: ['tool'] }, { 'usr/bin/tool': 'moved over' });
});

describe('the path plan of a small change', () => {
  const cases: [string, { install?: string[]; remove?: string[] }][] = [
    ['a package beside the installed ones, in a directory they share', { install: ['beside'] }],
    ['an upgrade that moves a file and keeps a shared directory', { install: ['base (= 2)'] }],
    ['a removal that leaves a shared directory to its other owner', { remove: ['sib'] }],
    ['a package that replaces an installed one and takes its file over', { install: ['taker'] }],
    ['a package delivering a path an installed one holds (the solver makes room)', { install: ['clash'] }],
    ['a file where installed packages own a directory (refused)', { install: ['flat'] }],
  ];
  it.each(cases)('%s: planned the same path by path as from every row', async (_, request) => {
    const byPath = await plan(request, Infinity);
    const fromRows = await plan(request, 0);
    expect(byPath).toEqual(fromRows);
    // The cases plan something or are refused for a path: neither way returns an empty plan by mistake.
    expect(JSON.stringify(byPath)).toMatch(/usr\/share/);
  });

  // On a merged /usr, the plan asks for the twins of the paths it deletes or finds unrecorded (link-twins.ts).
  const twinCases: [string, { install?: string[]; remove?: string[] }][] = [
    ['an upgrade that moves bin/tool to usr/bin/tool: the file written under the new name is not deleted under the old', { install: ['tool (= 2)'] }],
    ['a package delivering usr/bin/tool, which is bin/tool of an installed one (refused)', { install: ['dup'] }],
    ['a package that replaces tool and delivers usr/bin/tool', { install: ['mover'] }],
    ['a removal through the link', { remove: ['tool'] }],
  ];
  it.each(twinCases)('merged /usr, %s: planned the same path by path as from every row', async (_, request) => {
    const byPath = await plan(request, Infinity, undefined, mergedImage);
    const fromRows = await plan(request, 0, undefined, mergedImage);
    expect(byPath).toEqual(fromRows);
    expect(JSON.stringify(byPath)).toMatch(/bin\/tool/);
  });

  it('filesNamed answers by last component, for one name or several', () => {
    const { image: img } = mergedImage();
    try {
      const paths = (names: string[]): string[] => filesNamed(img.db, names).map((f) => f.path).sort();
      expect(paths(['tool'])).toEqual(['bin/tool']);
      expect(paths(['tool', 'other', 'absent'])).toEqual(['bin/other', 'bin/tool']);
      expect(paths(['bin', 'ool', 'absent'])).toEqual([]);
      expect(paths([])).toEqual([]);
    } finally {
      img.db.close();
    }
  });

  it('on a merged /usr, finds twins among the files of their names, without reading every row', async () => {
    for (const request of [{ remove: ['tool'] }, { install: ['dup'] }]) {
      const small: string[] = [];
      await plan(request, undefined as unknown as number, recording(small), mergedImage);
      expect(small.filter((sql) => /^SELECT \* FROM (files|dirs)$/.test(sql))).toEqual([]);
      expect(small.some((sql) => /^SELECT \* FROM files WHERE (path = @name|substr\(path)/.test(sql))).toBe(true);
      const large: string[] = [];
      await plan(request, 0, recording(large), mergedImage);
      expect(large).toContain('SELECT * FROM files');
    }
  });

  it('reads no whole table of files or directories, where a large one does', async () => {
    const small: string[] = [];
    await plan({ install: ['beside'] }, undefined as unknown as number, recording(small));
    expect(small.filter((sql) => /^SELECT \* FROM (files|dirs)$/.test(sql))).toEqual([]);
    expect(small).toContain('SELECT * FROM files WHERE path = ?');
    const large: string[] = [];
    await plan({ install: ['beside'] }, 0, recording(large));
    expect(large).toEqual(expect.arrayContaining(['SELECT * FROM files', 'SELECT * FROM dirs']));
  });
});
