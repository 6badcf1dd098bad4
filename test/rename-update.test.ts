/**
 * Renamed packages on update (solver/supersede.ts): Debian renames a library
 * by a package that replaces, breaks and provides the old one (the time_t
 * transition: libssl3 → libssl3t64). apt's full-upgrade removes the old one
 * where the new one must land; so does `update`, for exactly such packages,
 * and never for a held or protected one.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { newRepo, ok, tempDir, TRUST } from './helpers/zpkg.js';

let work: string;
let repo: string;
let n = 0;

beforeAll(() => {
  work = tempDir('zpkg-rename-');
  const made = newRepo(work);
  repo = made.repo;
  const build = made.build;
  build('ssl', '1', {}, { 'usr/lib/libssl.so.3': 'ssl 1\n', 'usr/lib/legacy.so': 'legacy 1\n' });
  build('tool', '1', { depends: ['ssl'] }, { 'usr/bin/tool': 'tool 1\n' });
  build('ssl-t64', '2', { replaces: ['ssl'], conflicts: ['ssl (<< 2)'], provides: ['ssl (= 2)'] }, { 'usr/lib/libssl.so.3': 'ssl 2\n' });
  // Takes a file over from ssl too, without being its new name.
  build('legacy', '2', { replaces: ['ssl (<< 2)'], conflicts: ['ssl (<< 2)'] }, { 'usr/lib/legacy.so': 'legacy 2\n' });
  build('tool', '2', { depends: ['ssl-t64 (>= 2)', 'legacy'] }, { 'usr/bin/tool': 'tool 2\n' });
});

const image = (): string => {
  const root = join(work, `img-${n++}`);
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  ok(['--root', root, 'install', 'tool=1']);
  return root;
};

describe('update across a rename', () => {
  it('removes the renamed package where its successor lands, naming it', () => {
    const root = image();
    const dry = ok(['--root', root, 'update', '--dry-run']).stdout;
    expect(dry).toMatch(/^would remove ssl 1 \(replaced by ssl-t64\)$/m);
    // Before: "no installed package has a newer version to take": installed ssl had to stay, and ssl-t64 conflicts with it.
    const r = ok(['--root', root, '--json', 'update']).json;
    expect(r.upgrade).toEqual([{ name: 'tool', from: '1', to: '2' }]);
    expect(r.install.map((p: { name: string }) => p.name).sort()).toEqual(['legacy', 'ssl-t64']);
    expect(r.remove).toEqual([{ name: 'ssl', version: '1', replacedBy: 'ssl-t64' }]);
    expect(readFileSync(join(root, 'usr/lib/libssl.so.3'), 'utf8')).toBe('ssl 2\n');
    expect(readFileSync(join(root, 'usr/lib/legacy.so'), 'utf8')).toBe('legacy 2\n');
    ok(['--root', root, 'verify']);
    expect(ok(['--root', root, '--json', 'history', String(r.id)]).json.changes.remove).toEqual([{ name: 'ssl', version: '1', replacedBy: 'ssl-t64' }]);
  });

  it('keeps a held package, and the update that needs it gone waits', () => {
    const root = image();
    ok(['--root', root, 'hold', 'ssl']);
    const r = ok(['--root', root, '--json', 'update']).json;
    expect(r.remove).toEqual([]);
    expect(r.upgrade).toEqual([]);
    expect(readFileSync(join(root, 'usr/bin/tool'), 'utf8')).toBe('tool 1\n');
  });

  it('keeps a protected package', () => {
    const root = image();
    mkdirSync(join(root, 'etc/zpkg'), { recursive: true });
    writeFileSync(join(root, 'etc/zpkg/zpkg.yaml'), 'protected: [ssl]\n');
    const r = ok(['--root', root, '--json', 'update']).json;
    expect(r.remove).toEqual([]);
    expect(r.upgrade).toEqual([]);
    expect(readFileSync(join(root, 'usr/lib/libssl.so.3'), 'utf8')).toBe('ssl 1\n');
  });
});
