/** The catalog file (format 2, columnar): round trips, format 1 still read, and refusal of anything damaged. */
import { describe, expect, it } from 'vitest';
import type { Candidate, CatalogEntry } from '../src/core/catalog.js';
import { CatalogRow, type CatalogTable } from '../src/core/catalog-table.js';
import { digestOf } from '../src/core/digest.js';
import { isZpkgError } from '../src/core/errors.js';
import { parseAtom, parseRelationField } from '../src/core/relation.js';
import { CATALOG_FORMAT, decodeCatalog, decodeCatalogTable, encodeCatalog, serializeTable } from '../src/repo/catalog-codec.js';
import { compress, decompress } from '../src/repo/compress.js';
import { importIndexFileTable, importIndexTable } from '../src/repo/debian/index.js';
import { buildPool, checkInstallable, solve, type Pool } from '../src/solver/index.js';
import { findPackagesIndex } from '#debian-index';
import { generatedIndex } from './helpers/generated-index.js';

function entry(name: string, version: string, fields: Partial<Record<'depends' | 'conflicts' | 'provides' | 'replaces', string>> = {}, extra: Partial<CatalogEntry> = {}): CatalogEntry {
  const atoms = (text = '') => parseRelationField(text).map((c) => c[0]!);
  return {
    name,
    version,
    arch: 'amd64',
    summary: `${name} does things`,
    depends: parseRelationField(fields.depends ?? ''),
    conflicts: atoms(fields.conflicts),
    provides: atoms(fields.provides),
    replaces: atoms(fields.replaces),
    size: 1000,
    installedSize: 4096,
    ...extra,
  };
}

/** The plain fields of an entry, whatever object holds them. */
function plain(e: CatalogEntry): CatalogEntry {
  const out: CatalogEntry = {
    name: e.name,
    version: e.version,
    arch: e.arch,
    summary: e.summary,
    depends: e.depends.map((c) => c.map((a) => ({ ...a, ...(a.constraint ? { constraint: { ...a.constraint } } : {}) }))),
    conflicts: e.conflicts.map((a) => ({ ...a })),
    provides: e.provides.map((a) => ({ ...a })),
    replaces: e.replaces.map((a) => ({ ...a })),
    size: e.size,
    installedSize: e.installedSize,
  };
  if (e.manifest !== undefined) out.manifest = e.manifest;
  return out;
}

const byKey = (a: CatalogEntry, b: CatalogEntry): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : a.version > b.version ? 1 : 0);

/** Every field and every relation shape the catalog must keep. */
const ENTRIES: CatalogEntry[] = [
  entry('app', '1:2.0~rc1-3+b1', {
    depends: 'libc6 (>= 2.36), default-mta | mail-transport-agent, so:libssl.so.3, so:libc.so.6(GLIBC_2.34), file:/usr/bin/python3, gcc:i386, libx (<< 2), liby (<= 2), libz (= 2), libw (>> 1)',
    conflicts: 'app-legacy, so:libold.so.1, gcc:arm64 (<< 12)',
    provides: 'virt, virt-versioned (= 1.5), so:libapp.so.1',
    replaces: 'app-legacy (<< 1.0)',
  }, { manifest: digestOf('app manifest'), size: 2 ** 40, installedSize: 2 ** 45 }),
  entry('app', '1:1.0-1', { depends: 'libc6 (>= 2.36)' }, { summary: 'Zürich ☃ naïve — 日本', manifest: digestOf('old app') }),
  entry('libc6', '2.36-9+deb12u4', { provides: 'so:libc.so.6, so:libc.so.6(GLIBC_2.34)' }, { arch: 'amd64', summary: '' }),
  entry('exim4', '4.96-15', { provides: 'mail-transport-agent', conflicts: 'mail-transport-agent' }, { arch: 'all', size: 0, installedSize: 0 }),
  entry('empty', '0', {}, { summary: '' }),
];

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return isZpkgError(err) ? err.code : `not a ZpkgError: ${(err as Error).message}`;
  }
  return undefined;
}

describe('catalog format 2', () => {
  it('keeps every field of every entry, sorted by name and version', () => {
    const decoded = decodeCatalog(encodeCatalog(ENTRIES), 'test');
    expect(decoded.map(plain)).toEqual([...ENTRIES].sort(byKey).map(plain));
    expect(decoded.every((e) => e instanceof CatalogRow)).toBe(true);
  });

  it('keeps relation atoms as core reads them: capabilities, foreign architectures, every operator', () => {
    const app = decodeCatalog(encodeCatalog(ENTRIES), 'test').find((e) => e.name === 'app' && e.version.startsWith('1:2'))!;
    expect(app.depends[1]).toEqual([{ name: 'default-mta' }, { name: 'mail-transport-agent' }]);
    expect(app.depends.map((c) => c[0]!.name)).toContain('so:libc.so.6(GLIBC_2.34)');
    expect(app.depends.map((c) => c[0]!.name)).toContain('file:/usr/bin/python3');
    expect(app.depends.map((c) => c[0]!.name)).toContain('gcc:i386');
    expect(app.depends.slice(-4).map((c) => c[0]!.constraint?.op)).toEqual(['<<', '<=', '=', '>>']);
    expect(app.conflicts[2]).toEqual(parseAtom('gcc:arm64 (<< 12)'));
    expect(app.provides[1]).toEqual({ name: 'virt-versioned', constraint: { op: '=', version: '1.5' } });
    expect(app.manifest).toBe(digestOf('app manifest'));
    expect([app.size, app.installedSize]).toEqual([2 ** 40, 2 ** 45]);
  });

  it('round-trips an empty catalog', () => {
    expect(decodeCatalog(encodeCatalog([]), 'test')).toEqual([]);
    expect(decodeCatalogTable(encodeCatalog([]), 'test').rows).toBe(0);
  });

  it('encodes the same catalog to the same bytes, whatever the order or the objects it came from', () => {
    const a = encodeCatalog(ENTRIES);
    expect(encodeCatalog([...ENTRIES].reverse())).toEqual(a);
    // Rows of a decoded table are copied id by id, plain entries field by field: the same bytes.
    expect(encodeCatalog(decodeCatalog(a, 'test'))).toEqual(a);
    expect(encodeCatalog(decodeCatalogTable(a, 'test').entries())).toEqual(a);
  });

  it('stores shared relations once', () => {
    const many = Array.from({ length: 50 }, (_, i) => entry(`p${i}`, '1', { depends: 'libc6 (>= 2.36), a | b' }));
    const t = decodeCatalogTable(encodeCatalog(many), 'test');
    expect(t.clauseCount).toBe(2);
    expect(t.atomCount).toBe(3);
  });

  it('decoded rows are catalog entries, and candidates once a remote is set', () => {
    const t = decodeCatalogTable(encodeCatalog(ENTRIES), 'test');
    const row = new CatalogRow(t, 0, 'main', 7);
    expect(row.toJSON()).toEqual({ ...plain(t.entry(0)), remote: 'main', priority: 7 });
    expect(JSON.parse(JSON.stringify(new CatalogRow(t, 0)))).toEqual(JSON.parse(JSON.stringify(t.entry(0))));
    expect(t.entry(0).depends[0]).toBe(t.entry(0).depends[0]); // frozen and shared
    expect(Object.isFrozen(t.entry(0).depends[0])).toBe(true);
  });

  it('reads format 1 (zstd JSON) catalogs', () => {
    const doc = {
      format: 1,
      packages: [
        { name: 'a', version: '1.0', arch: 'all', summary: 's', depends: ['b (>= 1) | c'], conflicts: ['d'], provides: ['v (= 2)'], manifest: digestOf('a'), size: 1, installedSize: 2 },
        { name: 'b', version: '1.0', arch: 'all', summary: '', size: 0, installedSize: 0 },
      ],
    };
    const bytes = compress(Buffer.from(JSON.stringify(doc)));
    const entries = decodeCatalog(bytes, 'test');
    expect(entries.map((e) => e.name)).toEqual(['a', 'b']);
    expect(entries[0]!.depends).toEqual([[{ name: 'b', constraint: { op: '>=', version: '1' } }, { name: 'c' }]]);
    expect(entries[0]!.provides).toEqual([{ name: 'v', constraint: { op: '=', version: '2' } }]);
    expect(entries[0]!.manifest).toBe(digestOf('a'));
    const t = decodeCatalogTable(bytes, 'test');
    expect(t.entries().map(plain)).toEqual(entries.map(plain));
  });
});

describe('a damaged catalog is refused with E_REPO_INVALID', () => {
  const raw = decompress(encodeCatalog(ENTRIES));
  const HEADER = 64;
  /** The raw bytes with `edit` applied, compressed again. */
  const damaged = (edit: (b: Buffer) => Buffer): Buffer => compress(edit(Buffer.from(raw)));
  const refuses = (bytes: Uint8Array): void => {
    expect(codeOf(() => decodeCatalog(bytes, 'test'))).toBe('E_REPO_INVALID');
    expect(codeOf(() => decodeCatalogTable(bytes, 'test'))).toBe('E_REPO_INVALID');
  };

  it('checks that the test damages a valid catalog', () => {
    expect(serializeTable(decodeCatalogTable(encodeCatalog(ENTRIES), 'test'))).toEqual(raw);
    expect(raw.readUInt32LE(8)).toBe(CATALOG_FORMAT);
  });

  it('bytes that are not zstd, or a truncated zstd frame', () => {
    refuses(Buffer.from('garbage'));
    const good = encodeCatalog(ENTRIES);
    refuses(good.subarray(0, good.length - 10));
  });

  it('content cut short, or with bytes after its end', () => {
    for (const keep of [0, 10, HEADER, HEADER + 3, raw.length - 8, raw.length - 1]) refuses(damaged((b) => b.subarray(0, keep)));
    refuses(damaged((b) => Buffer.concat([b, Buffer.alloc(8)])));
  });

  it('another magic or format number', () => {
    refuses(damaged((b) => (b.write('notacat!', 0, 'latin1'), b)));
    refuses(damaged((b) => (b.writeUInt32LE(3, 8), b)));
    refuses(compress(Buffer.from(JSON.stringify({ format: 9, packages: [] }))));
  });

  it('counts that do not match the arrays', () => {
    for (const field of [12, 16, 20, 24, 28, 32, 36]) {
      refuses(damaged((b) => (b.writeUInt32LE(b.readUInt32LE(field) + 1, field), b)));
      refuses(damaged((b) => (b.writeUInt32LE(0xffffffff, field), b)));
    }
  });

  /** Where the arrays start: string ends, string bytes, then five id columns and the two size columns. */
  const layout = () => {
    const rows = raw.readUInt32LE(12);
    const bytesFrom = HEADER + ((4 * raw.readUInt32LE(16) + 7) & ~7);
    const bytesTo = bytesFrom + ((raw.readUInt32LE(20) + 7) & ~7);
    const sizesFrom = bytesTo + 5 * ((4 * rows + 7) & ~7);
    return { bytesFrom, bytesTo, sizesFrom, sizesTo: sizesFrom + 2 * 8 * rows };
  };

  /** Every 4-byte word of every id and offset array, in turn, set to a value no id or offset may have. */
  it('any id or offset out of range', () => {
    const { bytesFrom, bytesTo, sizesFrom, sizesTo } = layout();
    let words = 0;
    const kept: number[] = [];
    for (let at = HEADER; at + 4 <= raw.length; at += 4) {
      if ((at >= bytesFrom && at < bytesTo) || (at >= sizesFrom && at < sizesTo)) continue; // checked below
      words++;
      const bytes = damaged((b) => (b.writeInt32LE(0x7fff0000, at), b));
      if (codeOf(() => decodeCatalogTable(bytes, 'test')) !== 'E_REPO_INVALID') kept.push(at);
    }
    expect(words).toBeGreaterThan(100);
    expect(kept).toEqual([]);
  });

  it('an invalid name, version or manifest digest', () => {
    const at = (text: string): number => raw.indexOf(Buffer.from(text));
    refuses(damaged((b) => (b.write('A', at('libc6')), b))); // package name
    refuses(damaged((b) => (b.write('x', at('2.36-9')), b))); // version must start with a digit
    refuses(damaged((b) => (b.write('Z', at(digestOf('app manifest')) + 10), b))); // digest hex
    refuses(damaged((b) => (b.write(' ', at('mail-transport-agent') + 4), b))); // relation name
  });

  it('a size that is not a whole number of bytes', () => {
    const { sizesFrom, sizesTo } = layout();
    for (const at of [sizesFrom, sizesTo - 8]) {
      for (const bad of [-1, 1.5, Number.NaN, Infinity, 2 ** 60]) refuses(damaged((b) => (b.writeDoubleLE(bad, at), b)));
    }
  });
});

const candidates = (entries: readonly CatalogEntry[]): Candidate[] => entries.map((e) => ({ ...e, remote: 'main', priority: 0 }));

describe('the solver over decoded catalogs', () => {
  const REPO = [
    entry('app', '2.0', { depends: 'lib (>= 2) | lib-compat, mta' }),
    entry('app', '1.0', { depends: 'lib' }),
    entry('lib', '2.1', { conflicts: 'lib-compat' }),
    entry('lib', '1.0'),
    entry('lib-compat', '1.0', { provides: 'lib (= 2.0)' }),
    entry('postfix', '3.7', { provides: 'mta', conflicts: 'mta' }),
    entry('exim4', '4.9', { provides: 'mta', conflicts: 'mta' }),
    entry('broken', '1', { depends: 'nothing-provides-this' }),
  ];

  it('solves and checks exactly as over plain entries', () => {
    const rows = decodeCatalog(encodeCatalog(REPO), 'test') as CatalogRow[];
    for (const r of rows) r.remote = 'main';
    const fromRows = buildPool(rows);
    const fromPlain = buildPool(candidates([...REPO].sort(byKey)));
    for (const name of ['app', 'mta', 'lib', 'broken']) {
      const a = solve(fromRows, [], { install: [{ name }] });
      const b = solve(fromPlain, [], { install: [{ name }] });
      const shape = (r: typeof a) => (r.ok ? r.plan.install.map((p) => `${p.name} ${p.version}`) : r.explanation);
      expect(shape(a)).toEqual(shape(b));
    }
    expect(checkInstallable(fromRows)).toEqual(checkInstallable(fromPlain));
    expect(checkInstallable(fromRows).map((u) => u.name)).toEqual(['broken']);
  });

  it('over several remotes: a higher priority wins, the same version offered twice is one solvable', () => {
    const high = decodeCatalogTable(encodeCatalog([entry('tool', '1.0', { depends: 'lib' }), entry('lib', '1.0')]), 'high');
    const low = decodeCatalogTable(encodeCatalog([entry('tool', '2.0', { depends: 'lib (>= 2)' }), entry('lib', '1.0'), entry('lib', '2.0')]), 'low');
    const rows = [...high.views('high', 10), ...low.views('low', 0)];
    const plainOnes = [...high.entries().map((e) => ({ ...e, remote: 'high', priority: 10 })), ...low.entries().map((e) => ({ ...e, remote: 'low', priority: 0 }))];
    const fromRows = buildPool(rows);
    const fromPlain = buildPool(plainOnes);
    expect(poolShape(fromRows)).toEqual(poolShape(fromPlain));
    expect(Array.from(fromRows.named('lib'), (s) => `${fromRows.entry(s).version}@${fromRows.entry(s).remote}`)).toEqual(['1.0@high', '2.0@low']);
    const r = solve(fromRows, [], { install: [{ name: 'tool' }] });
    expect(r.ok && r.plan.install.map((p) => `${p.name} ${p.version}`)).toEqual(['lib 1.0', 'tool 1.0']);
    const newer = solve(fromRows, [], { install: [{ name: 'tool', constraint: { op: '>=', version: '2' } }] });
    expect(newer.ok && newer.plan.install.map((p) => `${p.name} ${p.version}`)).toEqual(['lib 2.0', 'tool 2.0']);
  });

  it('names repeated alternatives once in a dependency (no duplicate providers)', () => {
    const pool = buildPool(candidates([entry('a', '1', { depends: 'x | y' }), entry('x', '1', { provides: 'y' })]));
    const a = pool.find('a', '1');
    expect(Array.from(pool.deps(a)[0]!)).toEqual([pool.find('x', '1')]);
  });
});

/** Everything the solver asks a pool, for every solvable: equal shapes, equal pools. */
function poolShape(pool: Pool): string[] {
  const out: string[] = [];
  for (let s = 0; s < pool.size; s++) {
    const e = pool.entry(s);
    const deps = pool.deps(s).map((d) => Array.from(d).join(',')).join(';');
    out.push(`${e.name} ${e.version} | ${deps} | ${Array.from(pool.partners(s)).join(',')} | ${Array.from(pool.siblings(s)).join(',')} | ${Array.from(pool.named(e.name)).join(',')}`);
  }
  return out;
}

describe('the pool of one catalog, from its stored index', () => {
  const REPO = [
    ...['1.0', '2.0', '1.10', '1:0.5', '2.0~rc1'].map((v) => entry('multi', v, { depends: `base (>= ${v.replace(/^1:/, '')}) | alt`, conflicts: 'old-multi (<< 3)' })),
    entry('base', '1.0', { provides: 'alt (= 1.0), virt', conflicts: 'virt' }),
    entry('base', '2.0', { provides: 'alt (= 2.0), virt', conflicts: 'virt' }),
    entry('other', '1', { provides: 'virt', conflicts: 'virt, base (<< 2)', replaces: 'base' }),
    entry('old-multi', '1', { depends: 'multi (= 1.0)' }),
    entry('lone', '0.1', { depends: 'nothing | virt' }),
  ];

  it('is the pool built from the same entries the general way', () => {
    const bytes = encodeCatalog(REPO);
    const rows = decodeCatalog(bytes, 'test');
    const t = decodeCatalogTable(bytes, 'test');
    expect(t.index).toBeDefined();
    const fromIndex = buildPool(rows as Candidate[]);
    const general = buildPool(candidates(t.entries()));
    expect(poolShape(fromIndex)).toEqual(poolShape(general));
    for (const name of ['multi', 'virt', 'alt', 'lone', 'old-multi']) {
      const a = solve(fromIndex, [], { install: [{ name }] });
      const b = solve(general, [], { install: [{ name }] });
      expect(JSON.stringify(a.ok ? a.plan.result : a.explanation)).toBe(JSON.stringify(b.ok ? b.plan.result : b.explanation));
    }
  });

  it('is refused when it does not match the packages, and used as stored when the caller vouches for the bytes', () => {
    const raw = decompress(encodeCatalog(REPO));
    // The index's last array, the atoms of each solvable's provides, ends the file.
    const provides = raw.readUInt32LE(48);
    const at = raw.length - Math.ceil((4 * provides) / 8) * 8;
    const edited = Buffer.from(raw);
    edited.writeInt32LE(edited.readInt32LE(at) === 0 ? 1 : 0, at);
    expect(codeOf(() => decodeCatalogTable(compress(edited), 'test'))).toBe('E_REPO_INVALID');
    expect(decodeCatalogTable(compress(edited), 'test', { verified: true }).index).toBeDefined();
  });

  /** The pool from a catalog's stored index against the pool built the general way from the same entries. */
  function sameAsGeneral(table: CatalogTable): void {
    const bytes = encodeCatalog(table.views());
    const t = decodeCatalogTable(bytes, 'test');
    expect(t.index).toBeDefined();
    const fromIndex = buildPool(t.views('main', 0));
    const general = buildPool(candidates(t.entries()));
    expect(fromIndex.size).toBe(general.size);
    const a = poolShape(fromIndex);
    const b = poolShape(general);
    // Compared as one string: toEqual on 63k lines takes long to fail usefully.
    const firstDiff = a.findIndex((line, i) => line !== b[i]);
    expect(firstDiff === -1 ? 'same' : `${a[firstDiff]} ≠ ${b[firstDiff]}`).toBe('same');
  }

  it('is the general pool on a generated catalog (versions repeated, provides and conflicts of every shape)', () => {
    const { table } = importIndexTable(generatedIndex(5, 3000));
    expect(table.rows).toBeGreaterThan(2000);
    sameAsGeneral(table);
  });

  const index = findPackagesIndex();
  // Real-corpus work (tens of seconds when other work shares the cores): the limit only bounds a hang.
  it.skipIf(index === undefined)(`is the general pool on ${index ?? 'the Debian index'}`, { timeout: 600_000 }, () => {
    sameAsGeneral(importIndexFileTable(index!).table);
  });
});
