/**
 * A generated Debian `Packages` index: the same seed gives the same text.
 * Besides ordinary stanzas it holds every shape the importer reads two ways
 * (the byte-level fast path and the general mapping): capabilities, arch
 * qualifiers and restrictions, obsolete operators, odd white space, non-ASCII
 * text, malformed stanzas and relations the importer must skip with a reason.
 * Tests compare catalogs made from it, so it stands in for the real index on
 * a machine that has none.
 */
import { prng } from './prng.js';

/** Relations that are valid but read the slow way, or that are refused, or that only a careful parser reads right. */
const ODD_CLAUSES = [
  'so:libc.so.6(GLIBC_2.34)',
  'so:libssl.so.3 (>= 3.0.2)',
  'so:libstdc++.so.6(GLIBCXX_3.4.30)',
  'file:/usr/bin/python3',
  'file:/a[x)]',
  'file:/opt/x:amd64',
  'file:foo',
  'file:any',
  'python3:any (>= 3.11~)',
  'gcc:native',
  'gcc:i386',
  'libc6-x32:i386 (>= 2.36)',
  'libfoo (>= 1) [!i386 !armel] <!nocheck> <cross>',
  'libfoo:native (>= 1) [linux-any] <!nodoc>',
  'libbar [amd64]',
  'p (< 1)',
  'p (> 1)',
  'p(>=1)',
  'p ( <<  2:1.0-1~ )',
  'q (<<)',
  'q (<=)',
  'q (>>)',
  'q (= )',
  'Foo',
  'foo_bar',
  'naïve',
  'a (>= 1.0-)',
  'b\u00a0(>= 1)',
  'c (>= 1) junk',
  'd (>= 1',
  'e [amd64',
  'f:any:i386',
  'so:',
  'so:Foo.so.1',
  'x (>= 1(2)',
  'y (>= 1\u00a0)',
  'z (>= é)',
  'w\t(>=\t1)',
  'v (=1.0) <a> <b>',
];

const OPS = ['<<', '<=', '=', '>=', '>>', '<', '>'];

export function generatedIndex(seed: number, stanzas: number): string {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const int = (n: number): number => Math.floor(rnd() * n);
  const names = Array.from({ length: Math.max(8, stanzas >> 1) }, (_, i) => (i % 7 === 0 ? `lib${['ssl', 'z', 'c', 'x11-', 'gtk+'][i % 5]}${i}` : `pkg-${i}`));
  const version = (): string =>
    pick([
      () => `${int(5)}.${int(20)}-${1 + int(3)}`,
      () => `${1 + int(2)}:${int(9)}.${int(9)}~rc${int(3)}-${int(4)}+b${int(2)}`,
      () => `${int(3)}.${int(12)}+dfsg-${int(5)}`,
      () => `${int(10)}`,
    ])();
  const atom = (): string => {
    if (rnd() < 0.025) return pick(ODD_CLAUSES);
    let s = pick(names);
    const q = rnd();
    if (q < 0.08) s += ':any';
    else if (q < 0.1) s += ':native';
    else if (q < 0.12) s += ':arm64';
    if (rnd() < 0.5) {
      const sp = pick(['', ' ', '  ']);
      s += `${pick([' ', '', ' '])}(${sp}${pick(OPS)}${pick([' ', '', ' '])}${version()}${sp})`;
    }
    if (rnd() < 0.05) s += ' [amd64 arm64]';
    if (rnd() < 0.05) s += ' <!nocheck>';
    return s;
  };
  const clause = (alternatives: boolean): string => {
    const n = alternatives && rnd() < 0.2 ? 2 + int(2) : 1;
    return Array.from({ length: n }, atom).join(pick([' | ', '|', ' |  ']));
  };
  const field = (alternatives: boolean): string => {
    const n = 1 + int(5);
    const parts = Array.from({ length: n }, () => clause(alternatives));
    // Sometimes folded over continuation lines, sometimes with an empty item.
    return parts.join(rnd() < 0.1 ? ',\n ' : rnd() < 0.03 ? ', ,' : ', ');
  };

  const out: string[] = [rnd() < 0.5 ? '\ufeff' : ''];
  for (let i = 0; i < stanzas; i++) {
    const lines: string[] = [];
    const eol = rnd() < 0.05 ? '\r\n' : '\n';
    const key = (k: string): string => (rnd() < 0.03 ? k.toLowerCase() : rnd() < 0.02 ? k.toUpperCase() : k);
    const r = rnd();
    if (r < 0.01) lines.push(' continuation before any field');
    if (r > 0.995) lines.push('not a field line');
    if (rnd() < 0.02) lines.push('# a comment');
    if (rnd() > 0.01) lines.push(`${key('Package')}: ${rnd() < 0.01 ? pick(['Upper', 'naïve', '-x', '']) : pick(names)}`);
    if (rnd() > 0.01) lines.push(`${key('Version')}: ${rnd() < 0.01 ? pick(['1.0-', 'a1', ':1', '1 2']) : version()}`);
    if (rnd() > 0.01) lines.push(`${key('Architecture')}: ${pick(['amd64', 'all', 'amd64', 'all', 'i386'])}`);
    if (rnd() < 0.3) lines.push(`${key('Pre-Depends')}: ${field(true)}`);
    if (rnd() < 0.8) lines.push(`${key('Depends')}: ${field(true)}`);
    if (rnd() < 0.2) lines.push(`Recommends: ${field(true)}`);
    if (rnd() < 0.15) lines.push(`${key('Conflicts')}: ${field(rnd() < 0.05)}`);
    if (rnd() < 0.15) lines.push(`${key('Breaks')}: ${field(rnd() < 0.05)}`);
    if (rnd() < 0.2) {
      const provides = Array.from({ length: 1 + int(3) }, () => {
        const n = pick(names);
        const v = rnd();
        return v < 0.3 ? `${n} (= ${version()})` : v < 0.32 ? `${n} (>= 1)` : v < 0.36 ? pick(['so:libz.so.1', 'so:libc.so.6(GLIBC_2.34)', 'file:/bin/sh']) : n;
      });
      lines.push(`${key('Provides')}: ${provides.join(', ')}`);
    }
    if (rnd() < 0.1) lines.push(`${key('Replaces')}: ${field(false)}`);
    if (rnd() < 0.01) lines.push(`Depends: ${pick(names)}`); // twice: refused
    lines.push(`${key('Installed-Size')}: ${rnd() < 0.01 ? pick(['12a', '99999999999999999999', '']) : int(100000)}`);
    lines.push(`Size: ${rnd() < 0.01 ? '-1' : int(10_000_000)}`);
    lines.push(`Description: ${pick(['a tool', 'Zürich ☃ naïve — 日本', '  padded  ', ''])}`);
    if (rnd() < 0.5) lines.push(' more about it', ' .', ' and more');
    if (rnd() < 0.1) lines.push(`Multi-Arch: ${pick(['same', 'foreign', 'allowed'])}`);
    out.push(lines.join(eol) + eol);
    out.push(rnd() < 0.05 ? ' \t' + eol : eol);
  }
  return out.join('');
}
