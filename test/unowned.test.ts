// verify --unowned: paths no installed package (or adopted base) owns, never zpkg's own directories, never through a symlink.
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ok, tempDir, writePackage, zpkg, TRUST } from './helpers/zpkg.js';

function installedImage(dirs: (root: string) => string[] = () => []): { work: string; root: string } {
  const work = tempDir();
  const repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  ok(['build', writePackage(join(work, 'src'), { name: 'app', version: '1', config: ['etc/app.conf'] }, { 'etc/app.conf': 'a=1\n', 'usr/bin/app': { content: '#!/bin/sh\n', mode: 0o755 }, 'usr/lib/app/x': 'x\n', 'usr/bin/app-link': { link: 'app' } }), '--repo', repo]);
  const root = join(work, 'img');
  ok(['--root', root, ...dirs(root), 'remote', 'add', 'main', repo, ...TRUST]);
  ok(['--root', root, ...dirs(root), 'install', 'app']);
  return { work, root };
}

describe('verify --unowned', () => {
  it('lists every unowned file, directory, link and fifo, skipping zpkg\'s state and cache, and exits 1', () => {
    const { root } = installedImage();
    expect(ok(['--root', root, '--json', 'verify', '--unowned']).json.unowned).toEqual([]);
    writeFileSync(join(root, 'usr/bin/dropped'), 'evil\n');
    mkdirSync(join(root, 'usr/lib/app/extra/deep'), { recursive: true });
    writeFileSync(join(root, 'usr/lib/app/extra/deep/f'), '12345');
    symlinkSync('/etc/shadow', join(root, 'etc/leak'));
    execFileSync('mkfifo', [join(root, 'etc/pipe')]);
    const r = zpkg(['--root', root, '--json', 'verify', '--unowned']);
    expect(r.status).toBe(1);
    expect(r.json.unowned).toEqual([
      { path: 'etc/leak', type: 'link' },
      { path: 'etc/pipe', type: 'fifo' },
      { path: 'usr/bin/dropped', type: 'file', size: 5 },
      { path: 'usr/lib/app/extra', type: 'dir' },
      { path: 'usr/lib/app/extra/deep', type: 'dir' },
      { path: 'usr/lib/app/extra/deep/f', type: 'file', size: 5 },
    ]);
    // zpkg's state directory (state.db, cache, journal) is never listed.
    expect(r.json.unowned.some((u: { path: string }) => u.path.startsWith('var/lib/zpkg'))).toBe(false);
    const text = zpkg(['--root', root, 'verify', '--unowned']);
    expect(text.stdout).toContain('/usr/bin/dropped: not owned by any package');
    expect(text.stdout).toContain('/etc/pipe: not owned by any package (fifo)');
  });

  it('walks only the given paths, refuses a path under a symlink or missing, and an adopted base owns what it recorded', () => {
    const { root } = installedImage();
    writeFileSync(join(root, 'usr/bin/dropped'), 'evil\n');
    mkdirSync(join(root, 'opt/thing'), { recursive: true });
    writeFileSync(join(root, 'opt/thing/f'), 'f');
    const under = zpkg(['--root', root, '--json', 'verify', '--unowned', '/usr/bin']);
    expect(under.status).toBe(1);
    expect(under.json.under).toEqual(['usr/bin']);
    expect(under.json.unowned.map((u: { path: string }) => u.path)).toEqual(['usr/bin/dropped']);
    symlinkSync('/', join(root, 'hostroot'));
    const through = zpkg(['--root', root, '--json', 'verify', '--unowned', '/hostroot/etc']);
    expect(through.status).toBe(1);
    expect(through.json.error.code).toBe('E_PATH_UNSAFE');
    expect(zpkg(['--root', root, '--json', 'verify', '--unowned', '/nope']).json.error.code).toBe('E_NOT_FOUND');
    ok(['--root', root, 'adopt', 'base', '1.0', '/opt', '/usr/bin/dropped', '/hostroot']);
    expect(ok(['--root', root, '--json', 'verify', '--unowned']).json.unowned).toEqual([]);
  });

  it('never lists a state and cache kept in directories inside the image', () => {
    const dirs = (root: string): string[] => ['--state-dir', join(root, 'persist/state'), '--cache-dir', join(root, 'persist/cache')];
    const { root } = installedImage(dirs);
    writeFileSync(join(root, 'persist/note'), 'n');
    const r = zpkg(['--root', root, ...dirs(root), '--json', 'verify', '--unowned', '/persist']);
    expect(r.json.unowned).toEqual([{ path: 'persist/note', type: 'file', size: 1 }]);
  });
});
