// Issue 16 §3 "Parsers": every parser is linear and has input limits. Each case is sized so that a
// quadratic parser would run for minutes (the case's timeout bounds the hang; no time is asserted),
// and ends in a typed error, or in the right answer when the input is legitimate.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compress } from '../../src/repo/compress.js';
import { publishCatalogBytes } from '../helpers/bombs.js';
import { expectRefused, hostileImage, hostileWorld, type HostileWorld } from '../helpers/hostile.js';
import { thrown } from '../helpers/hostile.js';
import { ok, zpkg } from '../helpers/zpkg.js';

let world: HostileWorld;
beforeAll(() => {
  world = hostileWorld('zpkg-parsers-');
});


/** A format-1 catalog (JSON, relations as strings) of `packages`, published as the repository's catalog. */
async function publishFormat1(repo: string, packages: unknown[]): Promise<void> {
  await publishCatalogBytes(repo, compress(Buffer.from(JSON.stringify({ format: 1, packages }))), packages.length);
}

const entry = (name: string, extra: Record<string, unknown> = {}) => ({ name, version: '1.0', arch: 'all', summary: '', depends: [], conflicts: [], provides: [], replaces: [], ...extra });

describe('relations', () => {
  it('a relation with 48,000, 64,000 or 1,000,000 spaces is refused at once, naming the limit', async () => {
    const { parseAtom, parseClause, parseRelationField, MAX_ATOM_LENGTH } = await import('../../src/core/relation.js');
    for (const n of [48_000, 64_000, 1_000_000]) {
      for (const text of [`a${' '.repeat(n)}(>= 1`, `a (${' '.repeat(n)}>= 1)`, `a (>= 1${' '.repeat(n)}`]) {
        const err = thrown(() => parseAtom(text));
        expect(err.code).toBe('E_RELATION_INVALID');
        expect(err.message).toContain(`longer than ${MAX_ATOM_LENGTH}`);
        expect(thrown(() => parseClause(`b | ${text}`)).code).toBe('E_RELATION_INVALID');
      }
    }
    // Just under the limit, white space still reads (and is scanned in linear time).
    expect(parseAtom(`a${' '.repeat(MAX_ATOM_LENGTH - 10)}(>= 1)`)).toEqual({ name: 'a', constraint: { op: '>=', version: '1' } });
    // Many short alternatives and clauses are legitimate, and linear: 200,000 of each.
    expect(parseClause(Array.from({ length: 200_000 }, (_, i) => `p${i}`).join(' | '))).toHaveLength(200_000);
    expect(parseRelationField('a (>= 1), '.repeat(200_000))).toHaveLength(200_000);
    expect(thrown(() => parseClause('a |'.repeat(500_000))).code).toBe('E_RELATION_INVALID');
  });

  it('a recipe whose depends holds a 64,000-space relation is refused by build', () => {
    const dir = join(world.work, 'spacey-recipe');
    mkdirSync(join(dir, 'root/usr/share'), { recursive: true });
    writeFileSync(join(dir, 'root/usr/share/spacey'), 'x\n');
    writeFileSync(join(dir, 'zpkg.yaml'), `name: spacey\nversion: "1"\nsummary: ""\ndescription: ""\nlicense: MIT\narch: all\nowner: root\ngroup: root\nroot: root\ndepends: ["base${' '.repeat(64_000)}(>= 1"]\n`);
    const r = zpkg(['--json', 'build', dir, '--repo', world.repo]);
    expect(r.status).not.toBe(0);
    expect(['E_RELATION_INVALID', 'E_RECIPE_INVALID']).toContain(r.json?.error?.code);
    expect(r.json?.error?.message).toMatch(/longer than 16384/);
    expect(r.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
  });

  it('a format-1 catalog with a 64,000-space relation is refused by refresh', async () => {
    const w = hostileWorld('zpkg-parsers-cat-');
    const root = hostileImage(w, 'img');
    await publishFormat1(w.repo, [entry('spacey', { depends: [`base${' '.repeat(64_000)}(>= 1`] })]);
    // The catalog's decoder names the entry and the reason (the relation's own error inside it).
    expectRefused(w, root, ['refresh'], { code: 'E_REPO_INVALID', message: /catalog entry 0 \(spacey\).*longer than 16384/ });
  });
});

describe('versions', () => {
  it('versions of a million characters compare in linear time; malformed ones are typed errors', async () => {
    const { compareVersions, parseVersion } = await import('../../src/core/version.js');
    const long = `1${'.1a'.repeat(333_333)}`;
    expect(compareVersions(long, `${long}b`)).toBeLessThan(0);
    expect(compareVersions(`${'9'.repeat(1_000_000)}`, `${'9'.repeat(999_999)}8`)).toBeGreaterThan(0);
    expect(compareVersions(`1${'~'.repeat(1_000_000)}`, '1')).toBeLessThan(0);
    expect(parseVersion('1:'.repeat(500_000)).epoch).toBe(1);
    for (const bad of [`${'1:'.repeat(500_000)}!`, `a${'-'.repeat(1_000_000)}`, `1 ${'x'.repeat(1_000_000)}`, `${'x'.repeat(1_000_000)}:1`]) {
      expect(thrown(() => parseVersion(bad)).code).toBe('E_VERSION_INVALID');
    }
  });

  it('`zpkg vercmp` on hostile versions answers or refuses with a typed error', () => {
    // One argument may hold at most 128 KiB (MAX_ARG_STRLEN).
    const r = zpkg(['vercmp', `1${'.0'.repeat(60_000)}`, `1${'.0'.repeat(60_000)}.1`]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('<');
    // Many pairs on stdin: 5,000 of 2,000 characters each, one answer each.
    const pairs = Array.from({ length: 5_000 }, (_, i) => `1${'.1'.repeat(1000)}${i} 1${'.1'.repeat(1000)}${i + 1}`).join('\n');
    const many = zpkg(['vercmp', '-'], { input: `${pairs}\n` });
    expect(many.status, many.stderr).toBe(0);
    expect(many.stdout.trim().split('\n')).toHaveLength(5_000);
    const bad = zpkg(['--json', 'vercmp', `1 ${'x'.repeat(120_000)}`, '2']);
    expect(bad.json?.error?.code).toBe('E_VERSION_INVALID');
  });
});

describe('catalogs and manifests (JSON)', () => {
  it('a format-1 catalog nested a million levels deep is a typed refusal, not a stack overflow', async () => {
    const w = hostileWorld('zpkg-parsers-deep-');
    const root = hostileImage(w, 'img');
    const deep = `{"format":1,"packages":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`;
    await publishCatalogBytes(w.repo, compress(Buffer.from(deep)), 1);
    expectRefused(w, root, ['refresh'], { code: 'E_REPO_INVALID' });
  });

  it('a format-1 catalog of 300,000 versions with fields of the wrong kind is refused naming the entry', async () => {
    const w = hostileWorld('zpkg-parsers-wide-');
    const root = hostileImage(w, 'img');
    const packages = Array.from({ length: 300_000 }, (_, i) => entry(`p${i}`));
    packages.push({ name: 42, version: '1.0' } as never);
    await publishFormat1(w.repo, packages);
    expectRefused(w, root, ['refresh'], { code: 'E_REPO_INVALID', message: /catalog entry 300000: name: .*Expected string/ });
  });

  it('a format-1 catalog of 300,000 legitimate versions is read', async () => {
    const w = hostileWorld('zpkg-parsers-many-');
    const root = hostileImage(w, 'img');
    const packages = Array.from({ length: 300_000 }, (_, i) => entry(`p${i}`, { depends: i ? [`p${i - 1} (>= 1.0) | p0`] : [] }));
    await publishFormat1(w.repo, packages);
    const r = ok(['--root', root, '--json', 'refresh']);
    expect(JSON.parse(r.stdout).remotes[0]).toMatchObject({ status: 'updated', packages: 300_000 });
  });
});

describe('Debian control data', () => {
  it('stanzas with a million continuation lines, a million-byte field name or a million blank lines parse in linear time', async () => {
    const { parseStanzas } = await import('../../src/repo/debian/index.js');
    expect(parseStanzas(`Package: a\nDescription: x\n${' y\n'.repeat(1_000_000)}`)).toHaveLength(1);
    expect(parseStanzas('\n'.repeat(1_000_000))).toHaveLength(0);
    expect(parseStanzas(`Package: a\nDepends: ${' '.repeat(1_000_000)}b\n`)).toHaveLength(1);
    expect(thrown(() => parseStanzas(`Package: a\n${'X'.repeat(1_000_000)}\n`)).code).toBe('E_REPO_INVALID');
  });

  it('`repo import-index` of an index whose relations hold 64,000 spaces skips them with a reason and imports the rest', () => {
    const dir = join(world.work, 'index');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'Packages');
    const stanza = (name: string, depends: string) => `Package: ${name}\nVersion: 1.0\nArchitecture: all\nDepends: ${depends}\nFilename: pool/${name}.deb\nSize: 1\nSHA256: ${'0'.repeat(64)}\nDescription: x\n\n`;
    writeFileSync(file, stanza('good', 'libc6 (>= 2.36)') + stanza('spacey', `libc6${' '.repeat(64_000)}(>= 2.36`) + stanza('alts', Array.from({ length: 50_000 }, (_, i) => `p${i}`).join(' | ')));
    const repo = join(dir, 'repo');
    ok(['repo', 'create', repo]);
    const r = zpkg(['--json', 'repo', 'import-index', file, '--repo', repo]);
    expect(r.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/spacey/);
  });
});

describe('YAML: recipes and zpkg.yaml', () => {
  const laughs = (top: string): string => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 12; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    return `${lines.join('\n')}\n${top}`;
  };

  it('a recipe built as a billion-laughs alias bomb is refused as an invalid recipe', () => {
    const dir = join(world.work, 'laughs');
    mkdirSync(join(dir, 'root'), { recursive: true });
    writeFileSync(join(dir, 'zpkg.yaml'), laughs('name: laughs\nversion: "1"\nsummary: *l\n'));
    const r = zpkg(['--json', 'build', dir, '--repo', world.repo]);
    expect(r.status).not.toBe(0);
    expect(r.json?.error?.code).toBe('E_RECIPE_INVALID');
    expect(r.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
  });

  it('an image configuration built as an alias bomb is refused as an invalid configuration', () => {
    const root = hostileImage(world, 'laughs-config');
    mkdirSync(join(root, 'etc/zpkg'), { recursive: true });
    writeFileSync(join(root, 'etc/zpkg/zpkg.yaml'), laughs('limits: *l\n'));
    expectRefused(world, root, ['refresh'], { code: 'E_CONFIG_INVALID' });
  });
});
