/**
 * `zpkg lint` through the CLI on real package sets: every finding code is
 * produced by a package made to have it (with the path and a hint), a clean
 * set gives none and exit 0, errors give exit 1; targets are recipe
 * directories (built in memory, nothing published), a repository directory,
 * or names looked up in `--repo`.
 */
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ok, snapshot, tempDir, writePackage, zpkg } from './helpers/zpkg.js';

let work: string;
let base: string;
let good: string;
let bad: string;

function put(dir: string, path: string, from: string | Buffer, mode?: number): void {
  const abs = join(dir, 'root', path);
  mkdirSync(dirname(abs), { recursive: true });
  if (typeof from === 'string') copyFileSync(from, abs);
  else writeFileSync(abs, from);
  if (mode !== undefined) chmodSync(abs, mode);
}

beforeAll(() => {
  work = tempDir('zpkg-lint-');
  // The base every binary here needs: the real glibc, published in a repository given as --repo.
  base = join(work, 'base');
  ok(['repo', 'create', base]);
  const libc = writePackage(join(work, 'libc'), { name: 'libc', version: '2.36-9', license: 'LGPL-2.1' }, { 'lib64/ld-linux-x86-64.so.2': { link: '../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' } });
  put(libc, 'lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libc.so.6');
  put(libc, 'lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2');
  ok(['build', libc, '--repo', base]);

  good = writePackage(join(work, 'good'), { name: 'zlib', version: '1.2.13', license: 'Zlib' }, { 'usr/lib/x86_64-linux-gnu/libz.so.1': { link: 'libz.so.1.2.13' } });
  put(good, 'usr/lib/x86_64-linux-gnu/libz.so.1.2.13', '/lib/x86_64-linux-gnu/libz.so.1.2.13');

  bad = writePackage(join(work, 'bad'), { name: 'bad', version: '1.0', license: '', depends: ['no-such-package (>= 2)'] }, {
    'usr/share/bad/open-to-all': { content: 'x\n', mode: 0o666 },
    'usr/bin/raise': { content: '#!/bin/sh\nid\n', mode: 0o4755 },
    'weird/place/file': 'x\n',
    'var/spool/bad/.keep': '',
    'usr/lib/x86_64-linux-gnu/libz.so.1': { link: 'libz.so.1.2.13' },
  });
  chmodSync(join(bad, 'root/var/spool/bad'), 0o1777);
  mkdirSync(join(bad, 'root/usr/share/doc'), { recursive: true });
  chmodSync(join(bad, 'root/usr/share/doc'), 0o700);
  mkdirSync(join(good, 'root/usr/share/doc'), { recursive: true });
  chmodSync(join(good, 'root/usr/share/doc'), 0o755);
  put(bad, 'usr/bin/ssl-tool', '/usr/bin/openssl');
  put(bad, 'usr/lib/x86_64-linux-gnu/broken.so.1', readFileSync('/lib/x86_64-linux-gnu/libz.so.1.2.13').subarray(0, 300));
});

describe('zpkg lint', () => {
  it('a clean package with its needs met by --repo: no findings, exit 0', () => {
    const r = zpkg(['--json', 'lint', good, '--repo', base]);
    expect(r.status).toBe(0);
    expect(r.json.findings).toEqual([]);
    expect(r.json.packages).toEqual([{ name: 'zlib', version: '1.2.13', origin: good }]);
  });

  it('without the repository its library needs are unmet: L_SO_UNMET with the path, exit 1', () => {
    const r = zpkg(['--json', 'lint', good]);
    expect(r.status).toBe(1);
    const f = r.json.findings.find((x: { code: string }) => x.code === 'L_SO_UNMET');
    expect(f).toMatchObject({ severity: 'error', package: 'zlib 1.2.13', path: 'usr/lib/x86_64-linux-gnu/libz.so.1.2.13' });
    expect(f.message).toContain('so:libc.so.6');
    expect(f.hint).toBeTruthy();
  });

  it('finds each code in a set made to have them, and publishes nothing', () => {
    const before = snapshot(base);
    const r = zpkg(['--json', 'lint', good, bad, '--repo', base]);
    expect(r.status).toBe(1);
    const got = (code: string) => r.json.findings.filter((f: { code: string }) => f.code === code);
    const one = (code: string) => {
      const fs = got(code);
      expect(fs, code).toHaveLength(1);
      expect(fs[0].hint, code).toBeTruthy();
      return fs[0];
    };
    expect(one('L_OVERLAP')).toMatchObject({ severity: 'error', package: 'bad 1.0', path: 'usr/lib/x86_64-linux-gnu/libz.so.1' });
    expect(one('L_DIR_MISMATCH')).toMatchObject({ severity: 'error', path: 'usr/share/doc' });
    expect(one('L_DEP_UNMET')).toMatchObject({ severity: 'error', package: 'bad 1.0' });
    expect(one('L_DEP_UNMET').message).toContain('no-such-package (>= 2)');
    const so = got('L_SO_UNMET');
    expect(so.every((f: { path: string }) => f.path === 'usr/bin/ssl-tool')).toBe(true);
    expect(so.map((f: { message: string }) => f.message).join('\n')).toContain('so:libssl.so.3(OPENSSL_3.0.0)');
    expect(one('L_WORLD_WRITABLE')).toMatchObject({ severity: 'warning', path: 'usr/share/bad/open-to-all' });
    expect(one('L_SETUID')).toMatchObject({ severity: 'warning', path: 'usr/bin/raise' });
    expect(one('L_PATH_UNUSUAL')).toMatchObject({ severity: 'warning', path: 'weird' });
    expect(one('L_NO_LICENSE')).toMatchObject({ severity: 'warning', package: 'bad 1.0' });
    expect(one('L_ELF_UNREADABLE')).toMatchObject({ severity: 'warning', path: 'usr/lib/x86_64-linux-gnu/broken.so.1' });
    expect(r.json.errors).toBe(r.json.findings.filter((f: { severity: string }) => f.severity === 'error').length);
    expect(snapshot(base)).toEqual(before);
    const text = zpkg(['lint', good, bad, '--repo', base]);
    expect(text.stdout).toMatch(/^error L_OVERLAP bad 1\.0 \/usr\/lib\/x86_64-linux-gnu\/libz\.so\.1: .*\n  hint: /m);
    expect(text.stdout).toMatch(/2 packages: \d+ errors, 5 warnings\n$/);
  });

  it('lints a repository directory, and a package named in --repo', () => {
    const repo = join(work, 'repo');
    ok(['repo', 'create', repo]);
    ok(['build', good, bad, '--repo', repo]);
    const whole = zpkg(['--json', 'lint', repo, '--repo', base]);
    expect(whole.status).toBe(1);
    expect(whole.json.packages.map((p: { name: string }) => p.name).sort()).toEqual(['bad', 'zlib']);
    expect(whole.json.findings.map((f: { code: string }) => f.code)).toContain('L_OVERLAP');
    expect(whole.json.findings.map((f: { code: string }) => f.code)).toContain('L_ELF_UNREADABLE');
    const named = zpkg(['--json', 'lint', 'zlib', '--repo', repo, '--repo', base]);
    expect(named.status).toBe(0);
    expect(named.json.findings).toEqual([]);
    const unknown = zpkg(['--json', 'lint', 'nothing-here', '--repo', base]);
    expect(unknown.status).toBe(1);
    expect(unknown.json.error.code).toBe('E_PACKAGE_UNKNOWN');
  });
});
