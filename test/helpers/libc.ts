/**
 * An old glibc for tests: a real ELF shared object made with binutils (`as`,
 * `ld --version-script`), soname libc.so.6, defining each GLIBC_ version of
 * this machine's libc up to a given one (no program loads it; its version
 * definitions are what tests look at).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareVersions } from '../../src/core/version.js';

export const LIBC = '/lib/x86_64-linux-gnu/libc.so.6';
export const LD = '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2';

/** The non-base versions a library defines, per readelf. */
export function definedVersions(lib: string): string[] {
  const out = execFileSync('readelf', ['-W', '-V', lib], { encoding: 'utf8' });
  return [...out.matchAll(/Flags: (\S+)\s+Index: \d+\s+Cnt: \d+\s+Name: (\S+)/g)].filter((m) => m[1] !== 'BASE').map((m) => m[2]!);
}

/** A libc.so.6 defining the real libc's GLIBC_ versions up to `upTo` (and GLIBC_PRIVATE), one marker symbol each. */
export function craftOldLibc(dir: string, upTo: string): string {
  const versions = definedVersions(LIBC).filter((v) => v === 'GLIBC_PRIVATE' || (v.startsWith('GLIBC_2.') && compareVersions(v.slice(6), upTo) <= 0));
  const asm = ['.text', ...versions.flatMap((_, i) => [`.globl __zpkg_marker_${i}`, `.type __zpkg_marker_${i},@function`, `__zpkg_marker_${i}:`, ' ret'])].join('\n') + '\n';
  const script = versions.map((v, i) => `${v} { global: __zpkg_marker_${i};${i === 0 ? ' local: *;' : ''} }${i > 0 ? ` ${versions[i - 1]}` : ''};`).join('\n');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'v.map'), script);
  execFileSync('as', ['-o', join(dir, 'm.o'), '-'], { input: asm });
  execFileSync('ld', ['-shared', '-soname', 'libc.so.6', '--version-script', join(dir, 'v.map'), '-o', join(dir, 'libc.so.6'), join(dir, 'm.o')]);
  return join(dir, 'libc.so.6');
}

