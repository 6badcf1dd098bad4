// import-deb maps the Debian alternatives it can see (literal update-alternatives --install calls of a postinst) to mediated links.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAlternatives } from '../src/build/deb/alternatives.js';
import { ok, tempDir, TRUST } from './helpers/zpkg.js';

/** A .deb made by dpkg-deb with one executable and a postinst. */
function deb(work: string, name: string, files: Record<string, string>, postinst: string): string {
  const tree = join(work, `${name}-tree`);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(tree, path)), { recursive: true });
    writeFileSync(join(tree, path), content);
    chmodSync(join(tree, path), 0o755);
  }
  mkdirSync(join(tree, 'DEBIAN'), { recursive: true });
  writeFileSync(join(tree, 'DEBIAN/control'), `Package: ${name}\nVersion: 1.0-1\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: ${name}\n`);
  writeFileSync(join(tree, 'DEBIAN/postinst'), postinst, { mode: 0o755 });
  const out = join(work, `${name}.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', tree, out], { stdio: 'ignore' });
  return out;
}

describe('import-deb alternatives', () => {
  it('parses literal --install calls with their slaves, continuation lines included, and skips computed ones', () => {
    const script = [
      '#!/bin/sh',
      'set -e',
      'update-alternatives --quiet --install /usr/bin/awk awk /usr/bin/gawk 10 \\',
      '  --slave /usr/bin/nawk nawk /usr/bin/gawk',
      '\tupdate-alternatives \\',
      '\t  --install /usr/sbin/iptables iptables /usr/sbin/iptables-nft 20',
      'update-alternatives --install /usr/bin/x x "$DIR/x" 5',
      'update-alternatives --install /usr/bin/y y /usr/bin/y.real $PRIO',
    ].join('\n');
    expect(parseAlternatives(script)).toEqual([
      { link: '/usr/bin/awk', mediator: 'awk', target: '/usr/bin/gawk', priority: 10 },
      { link: '/usr/bin/nawk', mediator: 'awk', target: '/usr/bin/gawk', priority: 10 },
      { link: '/usr/sbin/iptables', mediator: 'iptables', target: '/usr/sbin/iptables-nft', priority: 20 },
    ]);
  });

  it('two imported packages providing awk: the higher priority holds the links, set-mediator switches, slaves follow their master', () => {
    const work = tempDir();
    const gawk = deb(work, 'gawkz', { 'usr/bin/gawkz': '#!gawk\n' }, '#!/bin/sh\nset -e\nupdate-alternatives --quiet --install /usr/bin/awk awk /usr/bin/gawkz 10 \\\n  --slave /usr/bin/nawk nawk /usr/bin/gawkz\n');
    const mawk = deb(work, 'mawkz', { 'usr/bin/mawkz': '#!mawk\n' }, '#!/bin/sh\nupdate-alternatives --install /usr/bin/awk awk /usr/bin/mawkz 5\nupdate-alternatives --install /usr/bin/other other /usr/bin/not-in-package 50\n');
    const repo = join(work, 'repo');
    ok(['repo', 'create', repo]);
    ok(['import-deb', gawk, mawk, '--repo', repo, '--no-derive']);
    const root = join(work, 'img');
    ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
    ok(['--root', root, 'install', 'mawkz']);
    expect(readlinkSync(join(root, 'usr/bin/awk'))).toBe('/usr/bin/mawkz');
    ok(['--root', root, 'install', 'gawkz']);
    expect(readlinkSync(join(root, 'usr/bin/awk'))).toBe('/usr/bin/gawkz');
    expect(readlinkSync(join(root, 'usr/bin/nawk'))).toBe('/usr/bin/gawkz');
    const set = ok(['--root', root, '--json', 'set-mediator', 'awk', 'mawkz']).json;
    expect(set.mediations[0]).toMatchObject({ mediator: 'awk', chosen: { implementation: 'mawkz', priority: 5, paths: ['usr/bin/awk'] }, byChoice: true });
    expect(readlinkSync(join(root, 'usr/bin/awk'))).toBe('/usr/bin/mawkz');
    expect(() => readlinkSync(join(root, 'usr/bin/nawk'))).toThrow(); // gawkz's slave goes with its master
    expect(() => readlinkSync(join(root, 'usr/bin/other'))).toThrow(); // a target the package does not deliver is not an alternative it can see
    expect(ok(['--root', root, '--json', 'verify']).json.problems).toEqual([]);
  });
});
