// Issue 17 "weak dependencies": `recommends` / `suggests` in recipes, the catalog and import-deb;
// recommends installed only with --with-recommends or `recommends: true`; shown by info and dry runs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageFromDeb } from '../../src/build/deb/package.js';
import { parseClause } from '../../src/core/relation.js';
import { compress, decompress } from '../../src/repo/compress.js';
import { decodeCatalog, encodeCatalog } from '../../src/repo/catalog-codec.js';
import { ok, tempDir, writePackage, zpkg, TRUST } from '../helpers/zpkg.js';

let work: string;
let repo: string;
let n = 0;

function publish(name: string, version: string, extra: Record<string, unknown> = {}): void {
  const src = writePackage(join(work, `src-${name}-${version}-${n++}`), { name, version, ...extra }, { [`usr/share/${name}/v`]: `${name} ${version}\n` });
  ok(['build', src, '--repo', repo]);
}

function image(config?: string): string {
  const root = join(work, `img-${n++}`);
  if (config !== undefined) {
    mkdirSync(join(root, 'etc/zpkg'), { recursive: true });
    writeFileSync(join(root, 'etc/zpkg/zpkg.yaml'), config);
  }
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  return root;
}

const names = (root: string, ...flags: string[]): string[] => ok(['--root', root, '--json', 'list', ...flags]).json.packages.map((p: { name: string }) => p.name);

beforeAll(() => {
  work = tempDir();
  repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  publish('web-docs', '1.0');
  publish('cache-tool', '1.0');
  publish('clashes', '1.0', { conflicts: ['web'] });
  publish('web', '1.0', { recommends: ['web-docs', 'nginx-extras | cache-tool', 'ghost (>= 9)', 'clashes'], suggests: ['web-themes'] });
});

describe('weak dependencies', () => {
  it('by default only the package lands; the dry run and --json list the recommends skipped and the suggests', () => {
    const root = image();
    const dry = ok(['--root', root, '--json', 'install', '--dry-run', 'web']).json;
    expect(dry.install).toEqual([{ name: 'web', version: '1.0' }]);
    expect(dry.recommends.skipped.map((s: { relation: string; why: string | null }) => [s.relation, s.why])).toEqual([
      ['web-docs', null], ['nginx-extras | cache-tool', null], ['ghost (>= 9)', null], ['clashes', null],
    ]);
    expect(dry.recommends.suggested).toEqual([{ relation: 'web-themes', by: 'web 1.0' }]);
    const text = ok(['--root', root, 'install', '--dry-run', 'web']).stdout;
    expect(text.split('\n')).toContain('not installing `web-docs`, `nginx-extras | cache-tool`, `ghost (>= 9)`, and `clashes`, recommended by web 1.0: pass --with-recommends (or set `recommends: true` in etc/zpkg/zpkg.yaml)');
    expect(text.split('\n')).toContain('web 1.0 suggests `web-themes`');
    ok(['--root', root, 'install', 'web']);
    expect(names(root)).toEqual(['web']);
  });

  it('--with-recommends installs those that can be (marked auto), and skips the impossible ones with the reason', () => {
    const root = image();
    const r = ok(['--root', root, '--json', 'install', '--with-recommends', 'web']).json;
    expect(r.recommends.installed).toEqual([{ name: 'web-docs', version: '1.0', by: 'web 1.0' }, { name: 'cache-tool', version: '1.0', by: 'web 1.0' }]);
    const skipped = Object.fromEntries(r.recommends.skipped.map((s: { relation: string; why: string }) => [s.relation, s.why]));
    expect(skipped['ghost (>= 9)']).toMatch(/nothing offers/);
    expect(skipped.clashes).toMatch(/conflict/);
    expect(names(root)).toEqual(['cache-tool', 'web', 'web-docs']);
    expect(names(root, '--auto')).toEqual(['cache-tool', 'web-docs']);
    expect(names(root, '--manual')).toEqual(['web']);
  });

  it('`recommends: true` in zpkg.yaml does the same without the flag', () => {
    const root = image('recommends: true\n');
    ok(['--root', root, 'install', 'web']);
    expect(names(root)).toEqual(['cache-tool', 'web', 'web-docs']);
    const bad = image('recommends: yes please\n');
    expect(zpkg(['--root', bad, '--json', 'install', 'web']).json.error.code).toBe('E_CONFIG_INVALID');
  });

  it('info shows recommends and suggests, offered and installed', () => {
    const root = image();
    expect(ok(['--root', root, '--json', 'info', 'web']).json).toMatchObject({ installed: null, recommends: ['web-docs', 'nginx-extras | cache-tool', 'ghost (>= 9)', 'clashes'], suggests: ['web-themes'] });
    ok(['--root', root, 'install', 'web']);
    const info = ok(['--root', root, 'info', 'web']).stdout;
    expect(info).toMatch(/recommends: web-docs, nginx-extras \| cache-tool, ghost \(>= 9\), clashes/);
    expect(info).toMatch(/suggests: web-themes/);
  });

  it('a recipe with a malformed recommend is refused naming the field', () => {
    const src = writePackage(join(work, `bad-${n++}`), { name: 'bad', version: '1.0', recommends: ['web (>> '] }, { 'usr/share/bad/v': 'x\n' });
    const r = zpkg(['--json', 'build', src, '--repo', repo]);
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_RECIPE_INVALID');
    expect(r.json.error.message).toMatch(/recommends/);
  });
});

describe('weak relations in the catalog', () => {
  const entry = (name: string, extra: Record<string, unknown> = {}) => ({ name, version: '1', arch: 'all', summary: '', depends: [], conflicts: [], provides: [], replaces: [], size: 0, installedSize: 0, ...extra });

  it('round-trip through the catalog, and a catalog without any is what it was before them', () => {
    const withWeak = decodeCatalog(encodeCatalog([entry('a', { recommends: [parseClause('b (>= 1) | c')], suggests: [parseClause('d')] }), entry('b')]), 't');
    expect(withWeak.map((e) => [e.name, e.recommends?.map((c) => c.map((x) => x.name)), e.suggests?.length])).toEqual([['a', [['b', 'c']], 1], ['b', undefined, undefined]]);
    // Re-encoding the decoded rows (what every publish does) keeps them.
    expect(decodeCatalog(encodeCatalog(withWeak), 't')[0]!.recommends).toEqual(withWeak[0]!.recommends);
    const plain = decompress(encodeCatalog([entry('a'), entry('b')]));
    expect(plain.readUInt32LE(60)).toBe(0);
  });

  it('a corrupt weak section is refused with E_REPO_INVALID', () => {
    const raw = decompress(encodeCatalog([entry('a', { recommends: [parseClause('b')] })]));
    const at = raw.indexOf(Buffer.from('[[0,'));
    const bad = Buffer.from(raw);
    bad.write('[[7,', at, 'latin1');
    expect(() => decodeCatalog(compress(bad, 3), 't')).toThrow(expect.objectContaining({ code: 'E_REPO_INVALID', message: expect.stringMatching(/weak relations/) }));
  });
});

describe('import-deb maps Recommends and Suggests', () => {
  it('reads them from the control file of a .deb built by dpkg-deb', () => {
    const tree = join(work, 'deb-tree');
    mkdirSync(join(tree, 'DEBIAN'), { recursive: true });
    mkdirSync(join(tree, 'usr/share/weakling'), { recursive: true });
    writeFileSync(join(tree, 'usr/share/weakling/data'), 'x\n');
    writeFileSync(join(tree, 'DEBIAN/control'), 'Package: weakling\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: weak\nRecommends: libfoo1 (>= 2.0) | libfoo-alt, bar:any\nSuggests: baz-doc\n');
    const out = join(work, 'weakling.deb');
    execFileSync('dpkg-deb', ['-Zgzip', '--build', tree, out], { stdio: 'ignore' });
    const pkg = packageFromDeb(out);
    expect(pkg.manifest.recommends).toEqual(['libfoo1 (>= 2.0) | libfoo-alt', 'bar']);
    expect(pkg.manifest.suggests).toEqual(['baz-doc']);
  });
});
