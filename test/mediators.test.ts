// mediators: several packages deliver one link under a mediator; the highest priority wins unless the image chose; set-mediator switches it in one transaction.
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ok, tempDir, writePackage, zpkg, TRUST } from './helpers/zpkg.js';

function image(): { work: string; root: string } {
  const work = tempDir();
  const repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  const shell = (name: string, priority: number): void => {
    ok(['build', writePackage(join(work, name), { name, version: '1', attributes: [{ path: 'bin/sh', mediator: 'sh', priority }, { path: 'usr/bin/sh', mediator: 'sh', priority }] }, { [`bin/${name}`]: { content: `#!${name}\n`, mode: 0o755 }, 'bin/sh': { link: name }, 'usr/bin/sh': { link: `../../bin/${name}` } }), '--repo', repo]);
  };
  shell('dash', 10);
  shell('busybox', 5);
  ok(['build', writePackage(join(work, 'plain'), { name: 'plain', version: '1' }, { 'bin/sh': { link: 'plain' } }), '--repo', repo]);
  const root = join(work, 'img');
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  return { work, root };
}

const sh = (root: string): string | null => readlinkSafe(join(root, 'bin/sh'));
function readlinkSafe(p: string): string | null {
  try {
    return readlinkSync(p);
  } catch {
    return null;
  }
}

describe('mediators', () => {
  it('the highest priority wins, set-mediator switches in one transaction, and removing the holder hands the links over', () => {
    const { root } = image();
    ok(['--root', root, 'install', 'busybox']);
    expect(sh(root)).toBe('busybox');
    ok(['--root', root, 'install', 'dash']); // higher priority: the links move to dash in this transaction
    expect(sh(root)).toBe('dash');
    expect(readlinkSync(join(root, 'usr/bin/sh'))).toBe('../../bin/dash');
    expect(ok(['--root', root, '--json', 'owns', '/bin/sh']).stdout).toContain('dash');
    expect(ok(['--root', root, '--json', 'verify']).json.problems).toEqual([]);
    expect(ok(['--root', root, '--json', 'verify', '--unowned']).json.unowned).toEqual([]);

    const before = ok(['--root', root, '--json', 'history']).json.transactions.length;
    const set = ok(['--root', root, '--json', 'set-mediator', 'sh', 'busybox']).json;
    expect(set.mediations).toMatchObject([{ mediator: 'sh', chosen: { implementation: 'busybox', package: 'busybox' }, byChoice: true }]);
    expect(sh(root)).toBe('busybox');
    expect(readlinkSync(join(root, 'usr/bin/sh'))).toBe('../../bin/busybox');
    expect(ok(['--root', root, '--json', 'history']).json.transactions.length).toBe(before + 1);
    expect(ok(['--root', root, '--json', 'verify']).json.problems).toEqual([]);
    // The choice holds through later transactions: reinstalling dash does not take the links back.
    ok(['--root', root, 'remove', 'dash']);
    ok(['--root', root, 'install', 'dash']);
    expect(sh(root)).toBe('busybox');
    // --auto: the highest priority again.
    ok(['--root', root, 'set-mediator', 'sh', '--auto']);
    expect(sh(root)).toBe('dash');
    // Removing the holder hands the links to the next implementation in the same transaction.
    ok(['--root', root, 'remove', 'dash']);
    expect(sh(root)).toBe('busybox');
    expect(ok(['--root', root, '--json', 'verify']).json.problems).toEqual([]);
    ok(['--root', root, 'remove', 'busybox']);
    expect(sh(root)).toBe(null);
  });

  it('refuses an unknown mediator or implementation, and a link without a mediator still conflicts', () => {
    const { root } = image();
    ok(['--root', root, 'install', 'dash', 'busybox']);
    expect(sh(root)).toBe('dash');
    const noImpl = zpkg(['--root', root, '--json', 'set-mediator', 'sh', 'zsh']);
    expect(noImpl.status).toBe(1);
    expect(noImpl.json.error.code).toBe('E_NOT_FOUND');
    expect(noImpl.json.error.hint).toContain('busybox (busybox, priority 5)');
    expect(zpkg(['--root', root, '--json', 'set-mediator', 'python3', 'x']).json.error.code).toBe('E_NOT_FOUND');
    expect(zpkg(['--root', root, '--json', 'set-mediator', 'sh']).status).toBe(2);
    const plain = zpkg(['--root', root, '--json', 'install', 'plain']);
    expect(plain.json.error.code).toBe('E_FILE_CONFLICT');
    expect(sh(root)).toBe('dash');
  });
  it('an upgrade to a version that no longer delivers the links hands them to the next implementation in the same transaction', () => {
    const { work, root } = image();
    ok(['--root', root, 'install', 'busybox', 'dash']);
    expect(sh(root)).toBe('dash');
    // dash 2 ships only its binary: what it leaves (its version 1's manifest) is what brings mediation in.
    ok(['build', writePackage(join(work, 'dash-2'), { name: 'dash', version: '2' }, { 'bin/dash': { content: '#!dash 2\n', mode: 0o755 } }), '--repo', join(work, 'repo')]);
    ok(['--root', root, 'refresh']);
    ok(['--root', root, 'install', 'dash=2']);
    expect(sh(root)).toBe('busybox');
    expect(readlinkSync(join(root, 'usr/bin/sh'))).toBe('../../bin/busybox');
    expect(ok(['--root', root, '--json', 'verify']).json.problems).toEqual([]);
  });
});
