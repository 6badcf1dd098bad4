// revert: the shipped version of config files back in place as one transaction, the local one kept as PATH.zpkg-old.
import { appendFileSync, existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ok, snapshot, tempDir, writePackage, zpkg, TRUST } from './helpers/zpkg.js';

function installedImage(): { work: string; repo: string; root: string } {
  const work = tempDir();
  const repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  ok(['build', writePackage(join(work, 'src'), { name: 'app', version: '1', config: ['etc/app.conf', 'etc/app/extra.conf'] }, { 'etc/app.conf': 'a=1\n', 'etc/app/extra.conf': 'e=1\n', 'usr/bin/app': { content: '#!/bin/sh\n', mode: 0o755 } }), '--repo', repo]);
  const root = join(work, 'img');
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  ok(['--root', root, 'install', 'app']);
  return { work, repo, root };
}

describe('revert', () => {
  it('writes back changed and deleted config files offline, keeps the local one as .zpkg-old, and verify is clean again', () => {
    const { repo, root } = installedImage();
    appendFileSync(join(root, 'etc/app.conf'), 'admin=1\n');
    unlinkSync(join(root, 'etc/app/extra.conf'));
    renameSync(repo, `${repo}.away`); // the blobs come from the image's cache
    const dry = ok(['--root', root, '--json', 'revert', '-n', '/etc/app.conf']).json;
    expect(dry.reverted).toEqual([{ path: 'etc/app.conf', package: 'app', keptOld: true }]);
    expect(readFileSync(join(root, 'etc/app.conf'), 'utf8')).toBe('a=1\nadmin=1\n');
    const r = ok(['--root', root, '--json', 'revert', '/etc/app.conf', 'etc/app/extra.conf']).json;
    expect(r.reverted).toEqual([
      { path: 'etc/app.conf', package: 'app', keptOld: true },
      { path: 'etc/app/extra.conf', package: 'app', keptOld: false },
    ]);
    expect(readFileSync(join(root, 'etc/app.conf'), 'utf8')).toBe('a=1\n');
    expect(readFileSync(join(root, 'etc/app.conf.zpkg-old'), 'utf8')).toBe('a=1\nadmin=1\n');
    expect(readFileSync(join(root, 'etc/app/extra.conf'), 'utf8')).toBe('e=1\n');
    expect(existsSync(join(root, 'etc/app/extra.conf.zpkg-old'))).toBe(false);
    const v = ok(['--root', root, '--json', 'verify']).json;
    expect(v.changedConfig).toEqual([]);
    const history = ok(['--root', root, '--json', 'history']).json.transactions;
    expect(history).toHaveLength(2);
    expect(history.at(-1).command).toContain('revert');
    // Reverting what is already as shipped is reported and commits nothing.
    expect(ok(['--root', root, '--json', 'revert', '/etc/app.conf']).json.unchanged).toEqual(['etc/app.conf']);
    expect(ok(['--root', root, '--json', 'history']).json.transactions).toHaveLength(2);
  });

  it('refuses a path no package delivers and a file that is not a config file, changing nothing', () => {
    const { root } = installedImage();
    appendFileSync(join(root, 'etc/app.conf'), 'admin=1\n');
    writeFileSync(join(root, 'etc/mine'), 'x');
    const before = snapshot(root);
    const unowned = zpkg(['--root', root, '--json', 'revert', '/etc/app.conf', '/etc/mine']);
    expect(unowned.status).toBe(1);
    expect(unowned.json.error.code).toBe('E_NOT_FOUND');
    expect(unowned.json.error.message).toContain('/etc/mine');
    const notConfig = zpkg(['--root', root, '--json', 'revert', '/etc/app.conf', '/usr/bin/app']);
    expect(notConfig.json.error.code).toBe('E_INPUT_INVALID');
    expect(notConfig.json.error.hint).toContain('zpkg fix app');
    expect(snapshot(root)).toEqual(before);
  });

  it('a revert killed after its commit keeps the local version as .zpkg-old once recovered; killed before, it is undone', () => {
    const { root } = installedImage();
    appendFileSync(join(root, 'etc/app.conf'), 'admin=1\n');
    const before = snapshot(root, (p) => p.startsWith('var/lib/zpkg'));
    const early = zpkg(['--root', root, 'revert', '/etc/app.conf'], { env: { ZPKG_CRASH_AT: 'applied' } });
    expect(early.signal).toBe('SIGKILL');
    const plan = ok(['--root', root, '--json', 'recover', '-n']).json;
    expect(plan.journals).toEqual([expect.objectContaining({ action: 'undo', puts: 1, deletes: 0 })]);
    expect(ok(['--root', root, 'recover', '-n']).stdout).toMatch(/: not committed; would be undone \(1 path written and 0 paths deleted go back as they were\)\n$/);
    ok(['--root', root, 'recover']);
    expect(snapshot(root, (p) => p.startsWith('var/lib/zpkg'))).toEqual(before);
    const late = zpkg(['--root', root, 'revert', '/etc/app.conf'], { env: { ZPKG_CRASH_AT: 'committed' } });
    expect(late.signal).toBe('SIGKILL');
    ok(['--root', root, 'recover']);
    expect(readFileSync(join(root, 'etc/app.conf'), 'utf8')).toBe('a=1\n');
    expect(readFileSync(join(root, 'etc/app.conf.zpkg-old'), 'utf8')).toBe('a=1\nadmin=1\n');
  });
});
