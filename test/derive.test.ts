/**
 * Relations derived from what a package ships (src/build/deps), on real
 * binaries and libraries of this machine, checked against GNU readelf: a
 * library provides its soname and each version it defines; a program depends
 * on each DT_NEEDED library, each non-weak version it needs, and its
 * interpreter; needs the package meets itself are dropped; an executable
 * script depends on its `#!` interpreter.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, realpathSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPackage } from '../src/build/build.js';
import { deriveRelations } from '../src/build/deps/index.js';
import { isPathAction } from '../src/core/manifest.js';
import { tempDir, writePackage } from './helpers/zpkg.js';

interface Seen {
  interpreter?: string;
  needed: string[];
  soname?: string;
  /** Non-base version definitions. */
  defs: string[];
  /** `so:FILE(VER)` for each non-weak version need. */
  versionNeeds: string[];
}

/** What readelf says about one file, in relation terms. */
function readelf(path: string): Seen {
  const out = execFileSync('readelf', ['-W', '-l', '-d', '-V', path], { encoding: 'utf8' });
  const seen: Seen = { needed: [], defs: [], versionNeeds: [] };
  let section = '';
  let file = '';
  for (const line of out.split('\n')) {
    let m = /Requesting program interpreter: (.*)\]/.exec(line);
    if (m) seen.interpreter = m[1];
    m = /\(NEEDED\)\s+Shared library: \[(.*)\]/.exec(line);
    if (m) seen.needed.push(m[1]!);
    m = /\(SONAME\)\s+Library soname: \[(.*)\]/.exec(line);
    if (m) seen.soname = m[1];
    if (line.startsWith("Version definition section")) section = 'def';
    else if (line.startsWith("Version needs section")) section = 'need';
    else if (line.startsWith('Version symbols section')) section = '';
    if (section === 'def') {
      m = /Flags: (\S+).*Name: (\S+)/.exec(line);
      if (m && m[1] !== 'BASE') seen.defs.push(m[2]!);
    }
    if (section === 'need') {
      m = /File: (\S+)/.exec(line);
      if (m) file = m[1]!;
      m = /Name: (\S+)\s+Flags: (\S+)/.exec(line);
      if (m && m[2] !== 'WEAK') seen.versionNeeds.push(`so:${file}(${m[1]})`);
    }
  }
  return seen;
}

const sorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();

/** A package source holding real files of this machine at the same paths. */
function sourceWith(dir: string, name: string, files: Record<string, string>, links: Record<string, string> = {}): string {
  writePackage(dir, { name, version: '1.0' }, {});
  for (const [path, from] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, 'root', path)), { recursive: true });
    copyFileSync(realpathSync(from), join(dir, 'root', path));
  }
  for (const [path, target] of Object.entries(links)) {
    mkdirSync(dirname(join(dir, 'root', path)), { recursive: true });
    symlinkSync(target, join(dir, 'root', path));
  }
  return dir;
}

let work: string;
beforeAll(() => {
  work = tempDir('zpkg-derive-');
});

describe('derived relations on real files, against readelf', () => {
  it('a program depends on its needed libraries, their non-weak versions and its interpreter', () => {
    const programs = ['/usr/bin/ls', '/usr/bin/sort', '/usr/bin/python3.11', '/usr/bin/openssl', '/usr/sbin/nginx'].filter((p) => {
      try {
        return realpathSync(p) !== undefined;
      } catch {
        return false;
      }
    });
    expect(programs.length).toBeGreaterThanOrEqual(3);
    for (const program of programs) {
      const rel = program.slice(1);
      const b = buildPackage(sourceWith(join(work, `prog-${program.replace(/\W/g, '_')}`), 'prog', { [rel]: program }));
      const r = readelf(program);
      const expected = sorted([...r.needed.map((n) => `so:${n}`), ...r.versionNeeds, ...(r.interpreter ? [`file:${r.interpreter}`] : [])]);
      expect(expected.length, program).toBeGreaterThan(2);
      expect(sorted(b.manifest.depends), program).toEqual(expected);
      // A program in a command directory provides its path, nothing else.
      expect(b.manifest.provides, program).toEqual([`file:${program}`]);
    }
  });

  it('a library provides its soname and each version it defines; its symlinks add nothing', () => {
    const lib = '/lib/x86_64-linux-gnu/libz.so.1';
    const real = realpathSync(lib);
    const r = readelf(real);
    expect(r.soname).toBe('libz.so.1');
    expect(r.defs.length).toBeGreaterThan(10);
    const b = buildPackage(
      sourceWith(join(work, 'zlib'), 'zlib', { 'usr/lib/x86_64-linux-gnu/libz.so.1.2.13': real }, { 'usr/lib/x86_64-linux-gnu/libz.so.1': 'libz.so.1.2.13' }),
    );
    expect(sorted(b.manifest.provides)).toEqual(sorted(['so:libz.so.1', ...r.defs.map((d) => `so:libz.so.1(${d})`)]));
    expect(sorted(b.manifest.depends)).toEqual(sorted([...r.needed.map((n) => `so:${n}`), ...r.versionNeeds]));
    expect(b.manifest.depends).toContain('so:libc.so.6(GLIBC_2.14)');
  });

  it('glibc: libc.so.6 and the dynamic loader provide their versions and the loader path, and need nothing from each other', () => {
    const b = buildPackage(
      sourceWith(
        join(work, 'glibc'),
        'libc',
        { 'lib/x86_64-linux-gnu/libc.so.6': '/lib/x86_64-linux-gnu/libc.so.6', 'lib/x86_64-linux-gnu/ld-linux-x86-64.so.2': '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' },
        { 'lib64/ld-linux-x86-64.so.2': '../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' },
      ),
    );
    const libc = readelf('/lib/x86_64-linux-gnu/libc.so.6');
    const ld = readelf('/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2');
    expect(sorted(b.manifest.provides)).toEqual(
      sorted([
        'so:libc.so.6', ...libc.defs.map((d) => `so:libc.so.6(${d})`),
        'so:ld-linux-x86-64.so.2', ...ld.defs.map((d) => `so:ld-linux-x86-64.so.2(${d})`),
        'file:/lib64/ld-linux-x86-64.so.2', 'file:/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
      ]),
    );
    expect(b.manifest.provides).toContain('so:libc.so.6(GLIBC_2.34)');
    // libc.so.6 needs ld.so's GLIBC_PRIVATE and names the loader as interpreter: both shipped here.
    expect(libc.versionNeeds).toContain('so:ld-linux-x86-64.so.2(GLIBC_PRIVATE)');
    expect(b.manifest.depends).toEqual([]);
  });

  it('needs a package meets itself are dropped, others kept (libssl with libcrypto, without it)', () => {
    const ssl = realpathSync('/lib/x86_64-linux-gnu/libssl.so.3');
    const crypto = realpathSync('/lib/x86_64-linux-gnu/libcrypto.so.3');
    expect(readelf(ssl).versionNeeds.some((v) => v.startsWith('so:libcrypto.so.3('))).toBe(true);
    const both = buildPackage(sourceWith(join(work, 'ssl-both'), 'ssl', { 'usr/lib/x86_64-linux-gnu/libssl.so.3': ssl, 'usr/lib/x86_64-linux-gnu/libcrypto.so.3': crypto }));
    expect(both.manifest.depends.filter((d) => d.startsWith('so:libcrypto') || d.startsWith('so:libssl'))).toEqual([]);
    expect(both.manifest.depends).toContain('so:libc.so.6');
    const alone = buildPackage(sourceWith(join(work, 'ssl-alone'), 'ssl', { 'usr/lib/x86_64-linux-gnu/libssl.so.3': ssl }));
    expect(alone.manifest.depends).toContain('so:libcrypto.so.3');
    expect(alone.manifest.depends).toContain('so:libcrypto.so.3(OPENSSL_3.0.0)');
  });
});

describe('scripts', () => {
  it('an executable script depends on its #! interpreter; /bin/sh is assumed; a non-executable one adds nothing', () => {
    const dir = writePackage(join(work, 'scripts'), { name: 'tools', version: '1.0', depends: ['zos-base'] }, {
      'usr/bin/tool-py': { content: '#!/usr/bin/python3 -u\nprint(1)\n', mode: 0o755 },
      'usr/bin/tool-env': { content: '#! /usr/bin/env perl\n', mode: 0o755 },
      'usr/bin/tool-sh': { content: '#!/bin/sh\necho\n', mode: 0o755 },
      'usr/share/tools/example.py': { content: '#!/usr/bin/python2\n', mode: 0o644 },
    });
    const b = buildPackage(dir);
    expect(b.manifest.depends).toEqual(['zos-base', 'file:/usr/bin/env', 'file:/usr/bin/python3']);
    expect(b.manifest.provides).toEqual(['file:/usr/bin/tool-env', 'file:/usr/bin/tool-py', 'file:/usr/bin/tool-sh']);
  });

  it('a script whose interpreter the package ships depends on nothing', () => {
    const dir = sourceWith(join(work, 'py'), 'py', { 'usr/bin/python3': '/usr/bin/python3' });
    writePackage(dir, { name: 'py', version: '1.0' }, { 'usr/bin/pyscript': { content: '#!/usr/bin/python3\n', mode: 0o755 } });
    const b = buildPackage(dir);
    expect(b.manifest.depends.filter((d) => d.startsWith('file:/usr/bin/python3'))).toEqual([]);
    expect(b.manifest.provides).toContain('file:/usr/bin/python3');
  });

  it('derivation can be switched off', () => {
    const b = buildPackage(sourceWith(join(work, 'off'), 'off', { 'usr/bin/ls': '/usr/bin/ls' }));
    const actions = b.manifest.actions.filter(isPathAction);
    expect(deriveRelations(actions, b.blobs, { enabled: false })).toEqual({ provides: [], depends: [], needs: [], warnings: [] });
    expect(deriveRelations(actions, b.blobs).depends).toEqual(b.manifest.depends);
  });
});
