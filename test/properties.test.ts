/**
 * Property-based tests (issue 16 §6) with fast-check, over every parser and
 * decoder zpkg points at outside input: versions, relations, manifests,
 * catalogs (format 1 and 2), recipes, tar archives (the .deb members), the
 * .zpar repository archive, packs (index, trailer, frames), package records
 * and their blob maps, journals and trust files (signed root metadata,
 * public keys). Each one, fed arbitrary or mutated input, either succeeds or
 * throws a ZpkgError that is not E_INTERNAL; where an encoder exists, what it
 * writes decodes to what it was given.
 *
 * `npm test` runs a short pass (ZPKG_FUZZ_RUNS, default 100 cases per
 * property, one fixed seed); `npm run fuzz` runs a long one with a fresh seed
 * (scripts/fuzz.mjs) and prints how many cases ran and what was found. Every failure prints its seed and path
 * so it can be replayed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isZpkgError } from '../src/core/errors.js';
import { compareVersions, formatVersion, parseVersion } from '../src/core/version.js';
import { formatClause, parseClause, parseRelationField } from '../src/core/relation.js';
import { decodeManifest, encodeManifest, validateManifest } from '../src/core/manifest.js';
import { decodeCatalog, encodeCatalog } from '../src/repo/catalog-codec.js';
import { compress, decompressBounded } from '../src/repo/compress.js';
import { parseRecipe } from '../src/build/recipe.js';
import { readTar } from '../src/build/deb/tar.js';
import { ArchiveReader } from '../src/repo/archive-reader.js';
import { pendingJournals } from '../src/txn/journal.js';
import { parseSignedRoot } from '../src/repo/root-metadata.js';
import { parsePublicKey } from '../src/repo/trust/keys.js';
import { digestOf } from '../src/core/digest.js';
import { buildBlobMap, decodeBlobMap, encodeBlobMap } from '../src/repo/blob-map.js';
import { bufferSource, FrameDecoder, FrameError } from '../src/repo/frame-decoder.js';
import { encodePackIndex, encodePackTrailer, MAX_GROUP_CONTENT, PACK_MAGIC, parsePackIndex, parsePackTrailer, storedBound, type PackIndex } from '../src/repo/pack-format.js';
import { decodeRecord, encodeRecord } from '../src/repo/record.js';
import { tempDir } from './helpers/zpkg.js';

const RUNS = Number(process.env.ZPKG_FUZZ_RUNS ?? 100);
/**
 * The short pass of `npm test` uses one fixed seed, so a test run passes or fails on
 * the code, not on the draw; `npm run fuzz` draws a new seed each run (and prints it).
 */
const SEED = Number(process.env.ZPKG_FUZZ_SEED ?? 20261204);
const found: { property: string; runs: number; failed: boolean; counterexample?: string }[] = [];

afterAll(() => {
  if (!process.env.ZPKG_FUZZ_REPORT) return;
  writeFileSync(process.env.ZPKG_FUZZ_REPORT, JSON.stringify(found, null, 2));
});

/** Runs `property` RUNS times (async or not), records the outcome, and fails with the counterexample. */
async function holds(name: string, property: fc.IProperty<any> | fc.IAsyncProperty<any>): Promise<void> {
  const details = await fc.check(property as fc.IAsyncProperty<any>, { numRuns: RUNS, seed: SEED });
  found.push({ property: name, runs: details.numRuns, failed: details.failed, counterexample: details.failed ? fc.stringify(details.counterexample) : undefined });
  expect(details.failed, `${name}: seed ${details.seed} path ${details.counterexamplePath ?? ''} counterexample ${details.counterexample ? fc.stringify(details.counterexample) : ''} ${details.errorInstance ? String((details.errorInstance as Error).stack ?? details.errorInstance) : ''}`).toBe(false);
}

/** Calls `fn`; a throw must be a typed error (a ZpkgError, never E_INTERNAL). */
function typedOnly(fn: () => unknown): true {
  try {
    fn();
  } catch (err) {
    if (!isZpkgError(err) || err.code === 'E_INTERNAL') throw new Error(`not a typed error: ${(err as Error)?.stack ?? String(err)}`);
  }
  return true;
}

async function typedOnlyAsync(fn: () => Promise<unknown>): Promise<true> {
  try {
    await fn();
  } catch (err) {
    if (!isZpkgError(err) || err.code === 'E_INTERNAL') throw new Error(`not a typed error: ${(err as Error)?.stack ?? String(err)}`);
  }
  return true;
}

/** Text made mostly of the characters a parser cares about, so cases reach past the first check. */
const textOf = (chars: string, maxLength = 64) => fc.array(fc.constantFrom(...chars.split('')), { maxLength }).map((a) => a.join(''));

const upstream = fc.tuple(fc.integer({ min: 0, max: 99 }), textOf('0123456789.+~abcz', 10)).map(([n, rest]) => `${n}${rest}`);
const versionText = fc.tuple(fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }), upstream, fc.option(textOf('0123456789.+~ab', 6).filter((r) => r.length > 0), { nil: undefined })).map(([e, u, r]) => `${e === undefined ? '' : `${e}:`}${u}${r === undefined ? '' : `-${r}`}`);
const name = fc.stringMatching(/^[a-z0-9][a-z0-9+.-]{0,12}$/);

describe('properties: versions', () => {
  it('any text: parseVersion returns or throws a typed error', () => holds('version: any text', fc.property(fc.string({ maxLength: 80 }), (s) => typedOnly(() => parseVersion(s)))));
  it('version-like text: parse → format → parse is the same version (compare = 0)', () =>
    holds('version: round trip', fc.property(versionText, (s) => {
      let v;
      try {
        v = parseVersion(s);
      } catch (err) {
        return isZpkgError(err);
      }
      return compareVersions(formatVersion(v), s) === 0;
    })));
  it('compare is antisymmetric and reflexive on valid versions', () =>
    holds('version: order', fc.property(versionText, versionText, (a, b) => {
      try {
        parseVersion(a);
        parseVersion(b);
      } catch {
        return true;
      }
      return compareVersions(a, a) === 0 && Math.sign(compareVersions(a, b)) === -Math.sign(compareVersions(b, a));
    })));
});

describe('properties: relations', () => {
  const op = fc.constantFrom('<<', '<=', '=', '>=', '>>');
  const atomText = fc.tuple(name, fc.option(fc.tuple(op, versionText), { nil: undefined })).map(([n, c]) => (c ? `${n} (${c[0]} ${c[1]})` : n));
  const clauseText = fc.array(atomText, { minLength: 1, maxLength: 4 }).map((a) => a.join(' | '));
  it('any text: parseClause and parseRelationField return or throw a typed error', () =>
    holds('relation: any text', fc.property(fc.oneof(fc.string({ maxLength: 120 }), textOf('abc01 ()<>=|,:~.-', 120)), (s) => typedOnly(() => parseClause(s)) && typedOnly(() => parseRelationField(s)))));
  it('valid clauses: format → parse → format is stable', () =>
    holds('relation: round trip', fc.property(clauseText, (s) => {
      let c;
      try {
        c = parseClause(s);
      } catch (err) {
        return isZpkgError(err);
      }
      const once = formatClause(c);
      return formatClause(parseClause(once)) === once;
    })));
});

const content = Buffer.from('hello\n');
const baseManifest = {
  format: 1,
  name: 'p',
  version: '1.0',
  arch: 'all',
  summary: '',
  description: '',
  license: 'MIT',
  depends: [],
  conflicts: [],
  provides: [],
  replaces: [],
  actions: [
    { type: 'dir', path: 'usr', mode: '0755', owner: 'root', group: 'root' },
    { type: 'file', path: 'usr/x', mode: '0644', owner: 'root', group: 'root', size: content.length, digest: digestOf(content) },
    { type: 'link', path: 'usr/y', target: 'x', owner: 'root', group: 'root' },
  ],
};
/** A JSON value that replaces one field somewhere in a manifest: the shapes that broke zpkg before. */
const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('constructor', 'toString', '__proto__', 'hasOwnProperty', '', '../x', '/abs', 'a\0b', 2 ** 53, -1, 1.5, null, [], {}, { type: 'constructor' }, { toString: 0 }),
);
function mutate(doc: any, path: (string | number)[], value: unknown): any {
  const copy = structuredClone(doc);
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key];
  node[path.at(-1)!] = value;
  return copy;
}
const manifestPaths: (string | number)[][] = [
  ...Object.keys(baseManifest).map((k) => [k]),
  ...baseManifest.actions.flatMap((a, i) => Object.keys(a).map((k) => ['actions', i, k])),
  ['actions', 0],
  ['actions', 3],
  ['hooks'],
  ['services'],
];

describe('properties: manifests', () => {
  it('one field replaced by a hostile value: validateManifest returns or throws a typed error', () =>
    holds('manifest: mutated field', fc.property(fc.constantFrom(...manifestPaths), hostileValue, (path, value) => typedOnly(() => validateManifest(mutate(baseManifest, path, value))))));
  it('a field whose value cannot be turned into text (`{"toString": 0}`) is refused with a typed error that names the field', () => {
    for (const path of [['format'], ['actions', 1, 'owner'], ['actions', 0, 'group'], ['actions', 1, 'type']]) {
      let caught: unknown;
      try {
        validateManifest(mutate(baseManifest, path, { toString: 0 }));
      } catch (err) {
        caught = err;
      }
      expect(isZpkgError(caught) && caught.code !== 'E_INTERNAL', `${path.join('.')}: ${String((caught as Error)?.stack)}`).toBe(true);
      expect((caught as Error).message).toContain(String(path.at(-1)));
    }
  });
  it('any bytes: decodeManifest returns or throws a typed error', () => holds('manifest: any bytes', fc.property(fc.uint8Array({ maxLength: 400 }), (b) => typedOnly(() => decodeManifest(b)))));
  it('a valid manifest: encode → decode gives it back, and the digest checks', () =>
    holds('manifest: round trip', fc.property(name, versionText, fc.string({ maxLength: 30 }), (n, ver, summary) => {
      let m;
      try {
        m = validateManifest({ ...baseManifest, name: n, version: ver, summary });
      } catch (err) {
        return isZpkgError(err);
      }
      const { bytes, digest } = encodeManifest(m);
      expect(decodeManifest(bytes, digest)).toEqual(m);
      return true;
    })));
});

describe('properties: catalogs', () => {
  const entry = fc.record({
    name,
    version: versionText.filter((s) => {
      try {
        parseVersion(s);
        return true;
      } catch {
        return false;
      }
    }),
    arch: fc.constantFrom('all', 'amd64', 'arm64'),
    summary: fc.string({ maxLength: 20 }),
    depends: fc.array(fc.array(name.map((n) => ({ name: n })), { minLength: 1, maxLength: 2 }), { maxLength: 3 }),
    conflicts: fc.array(name.map((n) => ({ name: n })), { maxLength: 2 }),
    provides: fc.array(name.map((n) => ({ name: n })), { maxLength: 2 }),
    replaces: fc.constant([]),
    size: fc.nat(),
    installedSize: fc.nat(),
  });
  it('entries: encode → decode gives the same entries (format 2)', () =>
    holds('catalog: round trip', fc.property(fc.uniqueArray(entry, { maxLength: 12, selector: (e) => `${e.name}=${e.version}=${e.arch}` }), (entries) => {
      const back = decodeCatalog(encodeCatalog(entries), 'prop').map((e) => ({ name: e.name, version: e.version, arch: e.arch, summary: e.summary, depends: e.depends, conflicts: e.conflicts, provides: e.provides, replaces: e.replaces, size: e.size, installedSize: e.installedSize }));
      const key = (e: { name: string; version: string; arch: string }) => `${e.name} ${e.version} ${e.arch}`;
      expect([...back].sort((a, b) => key(a).localeCompare(key(b)))).toEqual([...entries].sort((a, b) => key(a).localeCompare(key(b))));
      return true;
    })));
  it('an encoded catalog with bytes flipped after decompression: a typed error or a catalog', () =>
    holds('catalog: flipped bytes', fc.property(fc.uniqueArray(entry, { minLength: 1, maxLength: 6, selector: (e) => `${e.name}=${e.version}=${e.arch}` }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (entries, flips) => {
      const { decompress } = require_compress;
      const raw = Buffer.from(decompress(encodeCatalog(entries)));
      for (const [at, byte] of flips) raw[at % raw.length] = byte;
      return typedOnly(() => decodeCatalog(compress(raw), 'prop').forEach((e) => [e.name, e.version, e.depends.length, e.summary]));
    })));
  it('a format-1 catalog with one hostile field: a typed error or a catalog', () =>
    holds('catalog: format-1 mutated', fc.property(fc.constantFrom('name', 'version', 'arch', 'summary', 'depends', 'conflicts', 'provides', 'replaces', 'manifest', 'size', 'installedSize'), hostileValue, (field, value) => {
      const e: Record<string, unknown> = { name: 'a', version: '1', arch: 'all', summary: '', depends: ['b'], conflicts: [], provides: [], replaces: [], size: 1, installedSize: 1, [field]: value };
      return typedOnly(() => decodeCatalog(compress(Buffer.from(JSON.stringify({ format: 1, packages: [e] }))), 'prop').forEach((x) => [x.name.length, x.summary.length, x.depends.map((c) => c.map((a) => a.name.length))]));
    })));
  it('any bytes: decodeCatalog returns or throws a typed error', () => holds('catalog: any bytes', fc.property(fc.uint8Array({ maxLength: 300 }), (b) => typedOnly(() => decodeCatalog(compress(Buffer.from(b)), 'prop')))));
});
const require_compress = await import('../src/repo/compress.js');

describe('properties: recipes', () => {
  const keys = ['name', 'version', 'summary', 'description', 'license', 'arch', 'depends', 'conflicts', 'provides', 'replaces', 'files', 'build', 'hooks', 'services', 'source', 'sources', 'essential'];
  it('a YAML mapping of known keys with arbitrary values: parseRecipe returns or throws a typed error', () =>
    holds('recipe: mutated', fc.property(fc.dictionary(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 }), (doc) => typedOnly(() => parseRecipe(JSON.stringify({ name: 'r', version: '1.0', ...doc }), tempDir('zpkg-prop-recipe-'), 'zpkg.yaml')))));
  it('any text: parseRecipe returns or throws a typed error', () => holds('recipe: any text', fc.property(fc.string({ maxLength: 200 }), (s) => typedOnly(() => parseRecipe(s, '/nonexistent', 'zpkg.yaml')))));
});

/** A ustar header block for `path` of `size` bytes of type `type`, checksum right. */
function tarHeader(path: string, size: number, type: string): Buffer {
  const h = Buffer.alloc(512);
  h.write(path.slice(0, 100), 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

describe('properties: tar (.deb members)', () => {
  it('a well-formed tar with flipped bytes: readTar returns or throws a typed error', () =>
    holds('tar: flipped bytes', fc.property(fc.array(fc.tuple(fc.stringMatching(/^[a-z./]{1,20}$/), fc.uint8Array({ maxLength: 700 })), { minLength: 1, maxLength: 3 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), (members, flips) => {
      const blocks: Buffer[] = [];
      for (const [p, data] of members) {
        blocks.push(tarHeader(p, data.length, '0'), Buffer.from(data), Buffer.alloc((512 - (data.length % 512)) % 512));
      }
      blocks.push(Buffer.alloc(1024));
      const tar = Buffer.concat(blocks);
      for (const [at, byte] of flips) tar[at % tar.length] = byte;
      return typedOnly(() => readTar(tar, 'prop.tar'));
    })));
  it('any bytes: readTar returns or throws a typed error', () => holds('tar: any bytes', fc.property(fc.uint8Array({ maxLength: 2048 }), (b) => typedOnly(() => readTar(Buffer.from(b), 'prop.tar')))));
});

describe('properties: .zpar repository archives', () => {
  const dir = tempDir('zpkg-prop-zpar-');
  let n = 0;
  it('any bytes behind the magic: opening and reading root.json gives a typed error or bytes', () =>
    holds('zpar: any bytes', fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.boolean(), async (b, magic) => {
      const file = join(dir, `${++n}.zpar`);
      writeFileSync(file, Buffer.concat([magic ? Buffer.from('ZPKGAR01') : Buffer.alloc(0), Buffer.from(b), magic ? Buffer.from('ZPKGAR01') : Buffer.alloc(0)]));
      const reader = new ArchiveReader(file);
      try {
        return await typedOnlyAsync(() => reader.read('root.json'));
      } finally {
        await reader.close();
      }
    })));
});

describe('properties: journals', () => {
  const work = tempDir('zpkg-prop-journal-');
  let n = 0;
  const journal = { format: 1, txid: 'abc', command: 'zpkg install x', startedAt: '2026-01-01T00:00:00Z', puts: [{ dest: 'a', existed: false }], deletes: ['b'], createdDirs: ['c'], removedDirs: [{ path: 'd', mode: 493, uid: 0, gid: 0 }], changedDirs: [] };
  const paths: (string | number)[][] = [...Object.keys(journal).map((k) => [k]), ['puts', 0, 'dest'], ['puts', 0, 'existed'], ['puts', 0], ['deletes', 0], ['removedDirs', 0, 'mode'], ['removedDirs', 0, 'path']];
  it('a journal with one hostile field: pendingJournals returns journals whose paths stay inside the image, or a typed error', () =>
    holds('journal: mutated', fc.property(fc.constantFrom(...paths), hostileValue, (path, value) => {
      const state = join(work, String(++n));
      mkdirSync(join(state, 'journal'), { recursive: true });
      writeFileSync(join(state, 'journal/abc.json'), JSON.stringify(mutate(journal, path, value)));
      return typedOnly(() => {
        for (const j of pendingJournals(state)) {
          for (const p of [...j.puts.map((x) => x.dest), ...j.deletes, ...j.createdDirs, ...j.removedDirs.map((d) => d.path)]) {
            if (typeof p !== 'string' || p.startsWith('/') || p.split('/').includes('..')) throw new Error(`a journal path leaves the image: ${String(p)}`);
          }
        }
      });
    })));
  it('any bytes: pendingJournals returns or throws a typed error', () =>
    holds('journal: any bytes', fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      const state = join(work, String(++n));
      mkdirSync(join(state, 'journal'), { recursive: true });
      writeFileSync(join(state, 'journal/x.json'), b);
      return typedOnly(() => pendingJournals(state));
    })));
});

describe('properties: trust files', () => {
  it('any JSON as signed root metadata: parseSignedRoot returns or throws a typed error', () =>
    holds('trust: root metadata JSON', fc.property(fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.record({ signed: fc.jsonValue({ maxDepth: 2 }), signatures: fc.jsonValue({ maxDepth: 2 }) })), (doc) => typedOnly(() => parseSignedRoot(Buffer.from(JSON.stringify(doc)), 'prop')))));
  it('a field whose value cannot be turned into text (`{"toString": 0}`): a typed error that names the field', () => {
    const good = { type: 'zpkg-root', format: 3, repository: 'a'.repeat(32), version: 1, created: '2026-01-01T00:00:00Z', catalog: { digest: `sha256:${'a'.repeat(64)}`, size: 1, packages: 1 }, keys: {}, threshold: 0, keyGeneration: 1 };
    const parse = (signed: object) => () => parseSignedRoot(Buffer.from(JSON.stringify({ signed, signatures: [] })), 'prop');
    expect(parse(good)).not.toThrow();
    for (const field of ['format', 'threshold']) {
      expect(parse({ ...good, [field]: { toString: 0 } })).toThrow(expect.objectContaining({ code: 'E_REPO_INVALID', message: expect.stringContaining(`${field} {"toString":0}`) }));
    }
  });
  it('any bytes as root metadata: a typed error', () => holds('trust: root metadata bytes', fc.property(fc.uint8Array({ maxLength: 200 }), (b) => typedOnly(() => parseSignedRoot(Buffer.from(b), 'prop')))));
  it('any text as a public key: parsePublicKey returns or throws a typed error', () =>
    holds('trust: public key', fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.string({ maxLength: 60 }).map((s) => `ed25519:${s}`), fc.base64String({ maxLength: 60 }).map((s) => `ed25519:${s}`)), (s) => typedOnly(() => parsePublicKey(s, 'prop')))));
});

/** `bytes` with each (position, value) of `flips` written over it (positions taken modulo its length). */
const flipped = (bytes: Buffer, flips: readonly [number, number][]): Buffer => {
  const out = Buffer.from(bytes);
  for (const [at, v] of flips) if (out.length) out[at % out.length] = v;
  return out;
};
const flips = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 });

describe('properties: packs, records and blob maps', () => {
  const d = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}` as const;
  // Data region [8, 308): a group frame of two blobs and a frame of one.
  const index: PackIndex = {
    frames: [{ offset: 8, length: 100, size: 1000 }, { offset: 108, length: 200, size: 500 }],
    blobs: [{ digest: d(1), frame: 0, offset: 0, size: 600 }, { digest: d(2), frame: 0, offset: 600, size: 400 }, { digest: d(3), frame: 1, offset: 0, size: 500 }],
  };
  const indexBytes = encodePackIndex(index);

  /** What an accepted index promises every reader: frames back to back up to the index, each within its bounds, blobs inside their frame. */
  const sound = (x: PackIndex, end: number): boolean => {
    let at = PACK_MAGIC.length;
    for (const f of x.frames) {
      if (f.offset !== at || f.length === 0 || f.length > storedBound(f.size)) return false;
      at += f.length;
    }
    return at === end && x.blobs.every((b) => b.offset + b.size <= x.frames[b.frame]!.size && (x.frames[b.frame]!.size <= MAX_GROUP_CONTENT || (b.offset === 0 && b.size === x.frames[b.frame]!.size)));
  };

  it('a pack index with bytes flipped: refused with a typed error, or sound', () =>
    holds('pack index: flipped bytes', fc.property(flips, (f) => {
      let x: PackIndex | undefined;
      typedOnly(() => (x = parsePackIndex(flipped(indexBytes, f), 308, 'prop.pack')));
      if (x && !sound(x, 308)) throw new Error(`accepted an unsound index: ${JSON.stringify(x)}`);
      return true;
    })));

  it('any bytes as a pack index or trailer: a typed error, or a sound index', () =>
    holds('pack index: any bytes', fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 0, max: 1 << 30 }), (b, end) => {
      let x: PackIndex | undefined;
      typedOnly(() => (x = parsePackIndex(Buffer.from(b), end, 'prop.pack')));
      typedOnly(() => parsePackTrailer(Buffer.from(b.subarray(0, 24)), end, 'prop.pack'));
      if (x && !sound(x, end)) throw new Error(`accepted an unsound index: ${JSON.stringify(x)}`);
      return true;
    })));

  it('a pack trailer with bytes flipped: a typed error, or an index that ends where the trailer starts', () =>
    holds('pack trailer: flipped bytes', fc.property(flips, (f) => {
      const size = 308 + indexBytes.length + 24;
      let t: { offset: number; length: number } | undefined;
      typedOnly(() => (t = parsePackTrailer(flipped(encodePackTrailer(308, indexBytes.length), f), size, 'prop.pack')));
      if (t && t.offset + t.length !== size - 24) throw new Error(`accepted a trailer whose index does not end at the trailer: ${JSON.stringify(t)}`);
      return true;
    })));

  // A manifest of three files and the map of the pack above (its size: data, index, trailer).
  const files = [Buffer.alloc(600, 1), Buffer.alloc(400, 2), Buffer.alloc(500, 3)];
  const manifest = validateManifest({
    ...baseManifest,
    actions: files.map((c, i) => ({ type: 'file', path: `f${i}`, mode: '0644', owner: 'root', group: 'root', size: c.length, digest: digestOf(c) })),
  });
  const { bytes: manifestBytes, digest } = encodeManifest(manifest);
  const packSize = 308 + indexBytes.length + 24;
  const spots = [{ frame: 0, offset: 0 }, { frame: 0, offset: 600 }, { frame: 1, offset: 0 }];
  const mapBytes = encodeBlobMap(buildBlobMap(manifest, (dg) => {
    const i = files.findIndex((c) => digestOf(c) === dg);
    return { pack: { digest: d(9), size: packSize }, frame: index.frames[spots[i]!.frame]!, offset: spots[i]!.offset };
  }));

  it('a blob map with bytes flipped: a typed error, or every blob inside a frame inside its pack, and every frame within its bounds', () =>
    holds('blob map: flipped bytes', fc.property(flips, (f) => {
      typedOnly(() => {
        const map = decodeBlobMap(flipped(mapBytes, f), manifest, 'prop');
        map.blobs.forEach((b, i) => {
          const fr = map.frames[b.frame]!;
          const size = files[i]!.length;
          if (b.offset + size > fr.size || fr.offset + fr.length > map.packs[fr.pack]!.size - 24 || fr.length > storedBound(fr.size)) throw new Error(`accepted an unsound map: ${JSON.stringify(map)}`);
          if (fr.size > MAX_GROUP_CONTENT && !(b.offset === 0 && size === fr.size)) throw new Error(`accepted an oversized frame: ${JSON.stringify(fr)}`);
        });
      });
      return true;
    })));

  it('a package record with bytes flipped: a typed error, or the same manifest', () =>
    holds('record: flipped bytes', fc.property(flips, (f) => {
      typedOnly(() => {
        const r = decodeRecord(flipped(encodeRecord(manifestBytes, mapBytes), f), digest, 'prop');
        // The manifest is named by its digest: a record that decodes carries exactly it.
        if (!r.manifestBytes.equals(manifestBytes)) throw new Error('accepted other manifest bytes');
      });
      return true;
    })));

  it('a zstd frame with bytes flipped: the decoder stops at the declared size with a FrameError, or gives exactly the declared bytes', () => {
    const content = Buffer.from(Array.from({ length: 3000 }, (_, i) => `line ${i % 97}\n`).join(''));
    const stored = compress(content);
    const frame = { offset: 0, length: stored.length, size: content.length };
    const decoder = new FrameDecoder();
    return holds('frame: flipped bytes', fc.property(flips, (f) => {
      let out = 0;
      try {
        decoder.decode(bufferSource(flipped(stored, f)), frame, (piece) => void (out += piece.length));
      } catch (err) {
        if (!(err instanceof FrameError)) throw err;
        if (out > frame.size) throw new Error(`${out} bytes out of a frame declared ${frame.size}`);
        return true;
      }
      if (out !== frame.size) throw new Error(`decoded ${out} bytes of a frame declared ${frame.size} without an error`);
      return true;
    }));
  });
});

describe('properties: bounded memory (no time bound: sizes only)', () => {
  // zstd of `size` zero bytes (it compresses to almost nothing); `declare` false puts an empty frame first, so the header read first declares 0 bytes.
  const bomb = (size: number, declare: boolean): Buffer => {
    const frame = compress(Buffer.alloc(size));
    return declare ? frame : Buffer.concat([compress(Buffer.alloc(0)), frame]);
  };
  it('decompressBounded(data, max): the output never passes max bytes, whatever the frame declares', () =>
    holds('memory: decompressBounded output ≤ max', fc.property(fc.integer({ min: 0, max: 1 << 20 }), fc.integer({ min: 0, max: 1 << 16 }), fc.boolean(), (size, max, declare) => {
      try {
        const out = decompressBounded(bomb(size, declare), max, 'prop');
        if (out.length > max) throw new Error(`${out.length} bytes out of a bound of ${max}`);
      } catch (err) {
        if (!isZpkgError(err) || err.code === 'E_INTERNAL') throw err;
      }
      return true;
    })));

  it('a 256 MiB bomb declared small: refused, and array-buffer memory grows by far less than the bomb', () => {
    const frame = compress(Buffer.alloc(256 << 20));
    (globalThis as { gc?: () => void }).gc?.();
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    for (const max of [3, 4096, 1 << 20]) {
      expect(() => decompressBounded(frame, max, 'bomb')).toThrow(/decompresses to more than/);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    }
    // Generous: 64 MiB against a 256 MiB bomb (the unbounded decoder needed the whole 256 MiB at least).
    expect(peak - before).toBeLessThan(64 << 20);
  });

  it('a catalog whose decompressed size passes the limit is refused at the limit (format 2, E_REPO_INVALID)', () => {
    const stored = compress(Buffer.alloc(8 << 20));
    const err = (() => {
      try {
        decodeCatalog(stored, 'bomb', { maxBytes: 1 << 20 });
      } catch (e) {
        return e as { code?: string; message: string };
      }
      return undefined;
    })();
    expect(err?.code).toBe('E_REPO_INVALID');
    expect(err?.message).toMatch(/more than 1048576 bytes/);
  });
});
