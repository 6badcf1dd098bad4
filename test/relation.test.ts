import { describe, expect, it } from 'vitest';
import { isZpkgError } from '../src/core/errors.js';
import { OP_EQ, OP_GE, OP_GT, OP_LE, OP_LT, OP_NONE, operatorCode } from '../src/core/operator.js';
import { atomSpans, scanAtom } from '../src/core/relation-scan.js';
import { parseVersion } from '../src/core/version.js';
import {
  type Atom,
  assertPackageName,
  formatAtom,
  formatClause,
  isPackageName,
  isRelationName,
  parseAtom,
  parseClause,
  parseRelationField,
  provideSatisfies,
  providesAtom,
  satisfiesConstraint,
  satisfiesOp,
  validateProvide,
} from '../src/core/relation.js';
import { prng } from './helpers/prng.js';

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (!isZpkgError(err, 'E_RELATION_INVALID')) throw err;
    return err.message;
  }
  throw new Error('accepted');
}

describe('parseAtom', () => {
  it('reads a bare name', () => {
    expect(parseAtom('libc6')).toEqual({ name: 'libc6' });
    expect(parseAtom('  g++  ')).toEqual({ name: 'g++' });
    expect(parseAtom('a')).toEqual({ name: 'a' });
  });

  it('reads a versioned name, with or without spaces', () => {
    expect(parseAtom('name (>= 1.2)')).toEqual({ name: 'name', constraint: { op: '>=', version: '1.2' } });
    expect(parseAtom('name(>=1.2)')).toEqual({ name: 'name', constraint: { op: '>=', version: '1.2' } });
    expect(parseAtom('name ( <<  2:1.0-1~ )')).toEqual({ name: 'name', constraint: { op: '<<', version: '2:1.0-1~' } });
  });

  it('reads every operator', () => {
    for (const op of ['<<', '<=', '=', '>=', '>>'] as const) {
      expect(parseAtom(`p (${op} 1)`).constraint).toEqual({ op, version: '1' });
    }
  });

  it('reads the obsolete `<` and `>` as `<=` and `>=`', () => {
    expect(parseAtom('p (< 1)').constraint).toEqual({ op: '<=', version: '1' });
    expect(parseAtom('p (> 1)').constraint).toEqual({ op: '>=', version: '1' });
  });

  it('reads shared-library capabilities, with symbol versions', () => {
    expect(parseAtom('so:libc.so.6')).toEqual({ name: 'so:libc.so.6' });
    expect(parseAtom('so:libc.so.6(GLIBC_2.34)')).toEqual({ name: 'so:libc.so.6(GLIBC_2.34)' });
    expect(parseAtom('so:libstdc++.so.6(GLIBCXX_3.4.30)')).toEqual({ name: 'so:libstdc++.so.6(GLIBCXX_3.4.30)' });
    expect(parseAtom('so:libssl.so.3 (>= 3.0.2)')).toEqual({ name: 'so:libssl.so.3', constraint: { op: '>=', version: '3.0.2' } });
  });

  it('reads file capabilities', () => {
    expect(parseAtom('file:/usr/bin/python3')).toEqual({ name: 'file:/usr/bin/python3' });
    expect(parseAtom('file:/bin/sh')).toEqual({ name: 'file:/bin/sh' });
  });

  it('drops `:any`/`:native`, keeps a foreign arch in the name so no package of this arch satisfies it', () => {
    expect(parseAtom('python3:any')).toEqual({ name: 'python3' });
    expect(parseAtom('python3:any (>= 3.11~)')).toEqual({ name: 'python3', constraint: { op: '>=', version: '3.11~' } });
    expect(parseAtom('gcc:native')).toEqual({ name: 'gcc' });
    expect(parseAtom('file:any')).toEqual({ name: 'file' });
    expect(parseAtom('gcc:arm64')).toEqual({ name: 'gcc:arm64' });
    expect(parseAtom('libc6-x32:i386 (>= 2.36)')).toEqual({ name: 'libc6-x32:i386', constraint: { op: '>=', version: '2.36' } });
    expect(providesAtom({ name: 'gcc', version: '12', provides: [] }, parseAtom('gcc:arm64'))).toBe(false);
  });

  it('drops [arch] restrictions and <profile> lists', () => {
    expect(parseAtom('libfoo [amd64]')).toEqual({ name: 'libfoo' });
    expect(parseAtom('libfoo (>= 1) [!i386 !armel]')).toEqual({ name: 'libfoo', constraint: { op: '>=', version: '1' } });
    expect(parseAtom('libfoo <!nocheck> <cross>')).toEqual({ name: 'libfoo' });
    expect(parseAtom('libfoo:native (>= 1) [linux-any] <!nodoc>')).toEqual({ name: 'libfoo', constraint: { op: '>=', version: '1' } });
  });

  it('refuses bad input with E_RELATION_INVALID', () => {
    const bad = [
      '',
      '   ',
      'Foo',
      'UPPER (>= 1)',
      'foo bar',
      'foo (>= )',
      'foo (>=)',
      'foo (~ 1)',
      'foo (== 1)',
      'foo (>= 1',
      'foo >= 1',
      '(>= 1)',
      'foo (>= 1.0-)',
      'foo (>= a1)',
      'foo (>= 1) extra',
      '-foo',
      '.foo',
      'foo_bar',
      'so:',
      'so:libc.so.6(GLIBC 2.34)',
      'file:relative/path',
      'file:',
      'foo,bar',
    ];
    for (const text of bad) expect(() => parseAtom(text), text).toThrow(expect.objectContaining({ code: 'E_RELATION_INVALID' }));
  });

  it('names the relation and the version problem', () => {
    expect(refusal(() => parseAtom('foo (>= 1.0-)'))).toMatch(/`foo \(>= 1\.0-\)`.*revision/);
    expect(refusal(() => parseAtom('Foo'))).toMatch(/`Foo` is not a valid package or capability name/);
  });
});

describe('relation-scan.ts, the one reader of atom syntax', () => {
  /** The regular expression parseAtom was before relation-scan.ts: its reading is the reference. */
  const REFERENCE =
    /^\s*(so:[A-Za-z0-9_.+-]+(?:\([A-Za-z0-9_.+@-]+\))?|file:\/[^\s|,()]*|[A-Za-z0-9][A-Za-z0-9+._-]*)(?::([a-z0-9-]+))?\s*(?:\(\s*(<<|<=|>=|>>|=|<|>)\s*([^\s)]+)\s*\))?\s*(?:\[[^\]]*\]\s*)?(?:<[^>]*>\s*)*$/;

  /** What the reference makes of `text`: the atom, or the message of its refusal. */
  function reference(text: string): Atom | string {
    const invalid = (reason: string) => `relation \`${text}\` is invalid: ${reason}`;
    const m = REFERENCE.exec(text);
    if (!m) return invalid(`cannot read \`${text.trim()}\` as \`name\` or \`name (op version)\``);
    const name = m[2] !== undefined && m[2] !== 'any' && m[2] !== 'native' ? `${m[1]!}:${m[2]}` : m[1]!;
    if (!isRelationName(name)) return invalid(`\`${name}\` is not a valid package or capability name`);
    if (m[3] === undefined) return { name };
    try {
      parseVersion(m[4]!);
    } catch (err) {
      return invalid((err as Error).message);
    }
    return { name, constraint: { op: (m[3] === '<' ? '<=' : m[3] === '>' ? '>=' : m[3]) as '<=', version: m[4]! } };
  }

  function read(text: string): Atom | string {
    try {
      return parseAtom(text);
    } catch (err) {
      if (!isZpkgError(err, 'E_RELATION_INVALID')) throw err;
      return err.message;
    }
  }

  it('takes the next choice where the first fails later on, as a backtracking expression does', () => {
    expect(parseAtom('file:/a[x)]')).toEqual({ name: 'file:/a' });
    expect(parseAtom('file:/opt/x:amd64 [y z]')).toEqual({ name: 'file:/opt/x:amd64' });
    expect(parseAtom('so:libc.so.6(GLIBC_2.34) (>= 2)')).toEqual({ name: 'so:libc.so.6(GLIBC_2.34)', constraint: { op: '>=', version: '2' } });
    expect(parseAtom('so:foo(>= 1)')).toEqual({ name: 'so:foo', constraint: { op: '>=', version: '1' } });
    expect(parseAtom('file:any')).toEqual({ name: 'file' });
    expect(parseAtom('a\u00a0(>=\u20031)\ufeff')).toEqual({ name: 'a', constraint: { op: '>=', version: '1' } });
    // `<<` leaves no version, so `<` is read with the version `<`, which is then refused as a version.
    expect(read('q (<<)')).toMatch(/^relation `q \(<<\)` is invalid: version `<`/);
    expect(read('q (<< )')).toMatch(/^relation `q \(<< \)` is invalid: version `<`/);
    expect(read('q (= )')).toMatch(/cannot read/);
  });

  it('agrees with the reference expression on random text, in what it reads and in every refusal', () => {
    const pieces = ['so:', 'file:/', 'file:', 'a', 'lib', 'Z', '_', '.', '+', '-', '0', '9', ':', 'any', 'native', 'i386', '(', ')', '<', '>', '=', '<<', '>=', ' ', ' ', '\t', '\n', '\u00a0', '\u2028', '\ufeff', '\u180e', '\v', '[', ']', '!', '@', 'GLIBC_2.34', 'é', '|', ',', '~', '1.0-1', '2:', '/usr/bin', ' (>= 1)', '(= 2)', ' [amd64]', ' <!nocheck>', '\ud800'];
    const rnd = prng(11);
    const differ: string[] = [];
    for (let k = 0; k < 50_000; k++) {
      let text = '';
      for (let n = 1 + Math.floor(rnd() * 10); n > 0; n--) text += pieces[Math.floor(rnd() * pieces.length)];
      if (JSON.stringify(read(text)) !== JSON.stringify(reference(text))) differ.push(JSON.stringify(text));
    }
    expect(differ.slice(0, 5)).toEqual([]);
  });

  it('reads the bytes of an index where text and bytes agree (ASCII), finding the same parts', () => {
    const spans = atomSpans();
    const fromBytes = atomSpans();
    for (const text of ['libc6 (>= 2.36)', '  gcc:i386 ( << 12 ) [amd64] <!nocheck>', 'python3:any', 'so:libz.so.1', 'p (> 1)', 'x (= 1) junk']) {
      const units = Uint16Array.from(text, (c) => c.charCodeAt(0));
      const ok = scanAtom(units, 0, units.length, spans);
      expect(scanAtom(Buffer.from(text, 'latin1'), 0, text.length, fromBytes)).toBe(ok);
      if (ok) expect(fromBytes).toEqual(spans);
    }
    expect(scanAtom(Buffer.from('gcc:i386 (<< 12)'), 0, 16, spans)).toBe(true);
    expect(spans).toMatchObject({ start: 0, headEnd: 3, nameEnd: 8, capability: false, op: OP_LT, versionStart: 13, versionEnd: 15 });
  });
});

describe('parseClause and parseRelationField', () => {
  it('reads alternatives', () => {
    expect(parseClause('a | b (<< 2)')).toEqual([{ name: 'a' }, { name: 'b', constraint: { op: '<<', version: '2' } }]);
    expect(parseClause('default-mta|mail-transport-agent')).toEqual([{ name: 'default-mta' }, { name: 'mail-transport-agent' }]);
  });

  it('refuses empty clauses and empty alternatives', () => {
    expect(refusal(() => parseClause(''))).toMatch(/empty/);
    expect(() => parseClause('a || b')).toThrow(expect.objectContaining({ code: 'E_RELATION_INVALID' }));
    expect(() => parseClause('a |')).toThrow(expect.objectContaining({ code: 'E_RELATION_INVALID' }));
    expect(() => parseClause('| a')).toThrow(expect.objectContaining({ code: 'E_RELATION_INVALID' }));
  });

  it('reads a comma-separated field into clauses, across lines', () => {
    expect(parseRelationField('libc6 (>= 2.34), a | b (<< 2),\n python3:any')).toEqual([
      [{ name: 'libc6', constraint: { op: '>=', version: '2.34' } }],
      [{ name: 'a' }, { name: 'b', constraint: { op: '<<', version: '2' } }],
      [{ name: 'python3' }],
    ]);
    expect(parseRelationField('')).toEqual([]);
    expect(parseRelationField('a, , b,')).toEqual([[{ name: 'a' }], [{ name: 'b' }]]);
  });

  it('refuses a field with one bad clause', () => {
    expect(() => parseRelationField('a, b (>= x), c')).toThrow(expect.objectContaining({ code: 'E_RELATION_INVALID' }));
  });

  it('formats back to Debian syntax', () => {
    const text = 'a (>= 1:2.0-1) | so:libc.so.6(GLIBC_2.34) | file:/bin/sh';
    expect(formatClause(parseClause(text))).toBe(text);
    expect(formatAtom(parseAtom('p (< 1)'))).toBe('p (<= 1)');
  });
});

describe('names', () => {
  it('tells package names from capabilities', () => {
    expect(isPackageName('libstdc++6')).toBe(true);
    expect(isPackageName('a')).toBe(true);
    expect(isPackageName('0ad')).toBe(true);
    expect(isPackageName('Foo')).toBe(false);
    expect(isPackageName('so:libc.so.6')).toBe(false);
    expect(isRelationName('so:libc.so.6(GLIBC_2.34)')).toBe(true);
    expect(isRelationName('file:/usr/bin/env')).toBe(true);
    expect(() => assertPackageName('Bad_Name')).toThrow(expect.objectContaining({ code: 'E_NAME_INVALID' }));
  });
});

describe('satisfiesConstraint', () => {
  it('applies each operator with Debian ordering', () => {
    expect(satisfiesConstraint('1.0', undefined)).toBe(true);
    expect(satisfiesConstraint('1.0~rc1', { op: '<<', version: '1.0' })).toBe(true);
    expect(satisfiesConstraint('1.0', { op: '<<', version: '1.0' })).toBe(false);
    expect(satisfiesConstraint('1.0', { op: '<=', version: '1.0-0' })).toBe(true);
    expect(satisfiesConstraint('1.00', { op: '=', version: '1.0' })).toBe(true);
    expect(satisfiesConstraint('1:0', { op: '>=', version: '9.9' })).toBe(true);
    expect(satisfiesConstraint('1.0', { op: '>>', version: '1.0' })).toBe(false);
    expect(satisfiesConstraint('1.0+b1', { op: '>>', version: '1.0' })).toBe(true);
  });
});

describe('satisfiesOp and provideSatisfies: the comparison on operator codes', () => {
  it('is satisfiesConstraint, code by code', () => {
    const versions = ['0', '1.0~rc1', '1.0', '1.00', '1.0-0', '1.0+b1', '1:0', '2'];
    for (const op of ['<<', '<=', '=', '>=', '>>'] as const) {
      for (const v of versions) for (const w of versions) expect(satisfiesOp(v, operatorCode(op), w), `${v} ${op} ${w}`).toBe(satisfiesConstraint(v, { op, version: w }));
    }
    expect([OP_LT, OP_LE, OP_EQ, OP_GE, OP_GT].map((op) => satisfiesOp('1', op, '1'))).toEqual([false, true, true, true, false]);
    expect(satisfiesOp('anything', OP_NONE, '')).toBe(true);
  });

  it('answers a versioned atom only through an exact provide', () => {
    expect(provideSatisfies(OP_NONE, '', OP_NONE, '')).toBe(true);
    expect(provideSatisfies(OP_NONE, '', OP_GE, '1')).toBe(false);
    expect(provideSatisfies(OP_EQ, '2', OP_GE, '1')).toBe(true);
    expect(provideSatisfies(OP_EQ, '2', OP_LT, '2')).toBe(false);
    expect(provideSatisfies(OP_GE, '2', OP_GE, '1')).toBe(false);
  });
});

describe('providesAtom', () => {
  const pkg = (name: string, version: string, provides: Atom[] = []) => ({ name, version, provides });

  it('a package satisfies atoms on its own name and version', () => {
    expect(providesAtom(pkg('libc6', '2.36-9'), parseAtom('libc6'))).toBe(true);
    expect(providesAtom(pkg('libc6', '2.36-9'), parseAtom('libc6 (>= 2.34)'))).toBe(true);
    expect(providesAtom(pkg('libc6', '2.36-9'), parseAtom('libc6 (>= 2.37)'))).toBe(false);
    expect(providesAtom(pkg('libc6', '2.36-9'), parseAtom('musl'))).toBe(false);
  });

  it('an unversioned provide satisfies only an unversioned atom', () => {
    const mawk = pkg('mawk', '1.3.4', [parseAtom('awk')]);
    expect(providesAtom(mawk, parseAtom('awk'))).toBe(true);
    expect(providesAtom(mawk, parseAtom('awk (>= 1)'))).toBe(false);
    expect(providesAtom(mawk, parseAtom('awk (<< 99)'))).toBe(false);
  });

  it('a versioned provide `(= 2)` satisfies constraints on that version', () => {
    const p = pkg('python3-yaml', '6.0-3', [parseAtom('python3-yaml-abi (= 2)')]);
    expect(providesAtom(p, parseAtom('python3-yaml-abi'))).toBe(true);
    expect(providesAtom(p, parseAtom('python3-yaml-abi (>= 2)'))).toBe(true);
    expect(providesAtom(p, parseAtom('python3-yaml-abi (= 2)'))).toBe(true);
    expect(providesAtom(p, parseAtom('python3-yaml-abi (<< 2)'))).toBe(false);
    expect(providesAtom(p, parseAtom('python3-yaml-abi (>= 3)'))).toBe(false);
  });

  it('the provide version counts, not the providing package version', () => {
    const glibc = pkg('libc6', '2.36-9', [parseAtom('so:libc.so.6(GLIBC_2.34)'), parseAtom('so:libc.so.6 (= 6)')]);
    expect(providesAtom(glibc, parseAtom('so:libc.so.6(GLIBC_2.34)'))).toBe(true);
    expect(providesAtom(glibc, parseAtom('so:libc.so.6(GLIBC_2.38)'))).toBe(false);
    expect(providesAtom(glibc, parseAtom('so:libc.so.6 (>= 6)'))).toBe(true);
    expect(providesAtom(glibc, parseAtom('so:libc.so.6 (>= 2.36)'))).toBe(true);
    expect(providesAtom(glibc, parseAtom('so:libc.so.6 (>= 7)'))).toBe(false);
  });

  it('validateProvide allows only `=`', () => {
    expect(() => validateProvide(parseAtom('x (= 1)'), 'x (= 1)')).not.toThrow();
    expect(() => validateProvide(parseAtom('x'), 'x')).not.toThrow();
    expect(refusal(() => validateProvide(parseAtom('x (>= 1)'), 'x (>= 1)'))).toMatch(/exact version/);
  });
});
