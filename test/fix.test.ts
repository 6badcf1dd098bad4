// fix: what verify finds damaged is written again from verified blobs, offline; changed config files stay.
import { appendFileSync, chmodSync, readFileSync, readlinkSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ok, tempDir, writePackage, zpkg, TRUST } from './helpers/zpkg.js';

describe('fix', () => {
  it('repairs content, modes, links and missing files, keeps a changed config file, and works offline', () => {
    const work = tempDir();
    const repo = join(work, 'repo');
    ok(['repo', 'create', repo]);
    const files: Record<string, string | { content: string; mode: number } | { link: string }> = { 'etc/app.conf': 'a=1\n', 'usr/bin/app': { content: '#!/bin/sh\n', mode: 0o755 }, 'usr/bin/app-link': { link: 'app' } };
    for (let i = 0; i < 10; i++) files[`usr/share/app/f${i}`] = `data ${i}\n`;
    ok(['build', writePackage(join(work, 'src'), { name: 'app', version: '1', config: ['etc/app.conf'] }, files), '--repo', repo]);
    const root = join(work, 'img');
    ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
    ok(['--root', root, 'install', 'app']);

    writeFileSync(join(root, 'usr/share/app/f1'), 'tampered\n');
    chmodSync(join(root, 'usr/bin/app'), 0o777);
    unlinkSync(join(root, 'usr/bin/app-link'));
    unlinkSync(join(root, 'usr/share/app/f7'));
    appendFileSync(join(root, 'etc/app.conf'), 'admin=1\n');
    expect(zpkg(['--root', root, 'verify']).status).toBe(1);

    renameSync(repo, `${repo}.away`);
    const r = ok(['--root', root, '--json', 'fix']).json;
    expect(r.repaired.map((p: { path: string }) => p.path).sort()).toEqual(['usr/bin/app', 'usr/bin/app-link', 'usr/share/app/f1', 'usr/share/app/f7']);
    expect(r.files.written).toBe(4);
    expect(readFileSync(join(root, 'usr/share/app/f1'), 'utf8')).toBe('data 1\n');
    expect(readFileSync(join(root, 'usr/share/app/f7'), 'utf8')).toBe('data 7\n');
    expect(statSync(join(root, 'usr/bin/app')).mode & 0o7777).toBe(0o755);
    expect(readlinkSync(join(root, 'usr/bin/app-link'))).toBe('app');
    expect(readFileSync(join(root, 'etc/app.conf'), 'utf8')).toBe('a=1\nadmin=1\n');
    const v = zpkg(['--root', root, '--json', 'verify']);
    expect(v.status).toBe(0);
    expect(v.json.changedConfig.map((p: { path: string }) => p.path)).toEqual(['etc/app.conf']);
    expect(ok(['--root', root, '--json', 'fix']).json.repaired).toEqual([]);
    expect(ok(['--root', root, '--json', 'history']).json.transactions).toHaveLength(2);
  });
});
