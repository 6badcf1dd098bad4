// A config file an administrator replaced by a symbolic link: an upgrade or a removal decides
// whether it was changed locally without following the link, which may lead out of the image.
import { execFileSync } from 'node:child_process';
import { lstatSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ok, tempDir, writePackage, zpkg, TRUST } from './helpers/zpkg.js';

/** An image with app 1 installed from a repository that also holds app 2 (a new etc/app.conf). */
function image(): { work: string; root: string } {
  const work = tempDir();
  const repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  const files = (conf: string) => ({ 'etc/app.conf': conf, 'usr/bin/app': { content: '#!/bin/sh\n', mode: 0o755 } });
  ok(['build', writePackage(join(work, 'v1'), { name: 'app', version: '1', config: ['etc/app.conf'] }, files('a=1\n')), '--repo', repo]);
  const root = join(work, 'img');
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  ok(['--root', root, 'install', 'app (= 1)']);
  ok(['build', writePackage(join(work, 'v2'), { name: 'app', version: '2', config: ['etc/app.conf'] }, files('a=2\n')), '--repo', repo]);
  ok(['--root', root, 'refresh']);
  return { work, root };
}

describe('a config file replaced by a link', () => {
  it('counts as changed locally on upgrade even when the file outside it leads to holds the shipped content: the link stays, the new version lands beside it', () => {
    const { work, root } = image();
    // Outside the image, the very bytes app 1 shipped: a reader that follows the link finds the config unchanged.
    const outside = join(work, 'outside.conf');
    writeFileSync(outside, 'a=1\n');
    const conf = join(root, 'etc/app.conf');
    rmSync(conf);
    symlinkSync(outside, conf);
    const r = ok(['--root', root, '--json', 'update']).json;
    expect(r.newConfig).toEqual(['etc/app.conf']);
    expect(lstatSync(conf).isSymbolicLink()).toBe(true);
    expect(readlinkSync(conf)).toBe(outside);
    expect(readFileSync(`${conf}.zpkg-new`, 'utf8')).toBe('a=2\n');
    expect(readFileSync(outside, 'utf8')).toBe('a=1\n');
  });

  it('is kept on removal without opening what it leads to (a FIFO outside the image would block a reader forever)', () => {
    const { work, root } = image();
    const fifo = join(work, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const conf = join(root, 'etc/app.conf');
    rmSync(conf);
    symlinkSync(fifo, conf);
    // The deadline only catches a zpkg stuck opening the FIFO; it asserts nothing about speed.
    const r = zpkg(['--root', root, '--json', 'remove', 'app'], { timeoutMs: 120_000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(r.json.keptConfig).toEqual(['etc/app.conf']);
    expect(readlinkSync(conf)).toBe(fifo);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(() => lstatSync(join(root, 'usr/bin/app'))).toThrow();
  });
});
