/**
 * Issue 16 §4, follow-up 16e: root metadata, the trust state state.db keeps
 * for a remote, and the `.zpar` index go through valibot shapes (core/shape.ts)
 * before any field is used — own keys only, lists bounded — and a document of
 * the wrong shape is a typed error naming it, never a crash or a silent pass.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { isZpkgError } from '../../src/core/errors.js';
import { readTrust } from '../../src/image/remote-store.js';
import { ArchiveReader } from '../../src/repo/archive-reader.js';
import { ARCHIVE_MAGIC } from '../../src/repo/archive-format.js';
import { MAX_ROOT_KEYS, MAX_ROOT_SIGNATURES, parseSignedRoot } from '../../src/repo/root-metadata.js';
import { generateSigningKey } from '../../src/repo/trust/keys.js';
import { hostileImage, hostileWorld } from '../helpers/hostile.js';
import { tempDir } from '../helpers/zpkg.js';

type Json = Record<string, unknown>;

const digest = `sha256:${'a'.repeat(64)}`;
/** A well-formed unsigned `signed`: no keys, threshold 0, no expiry. */
const unsigned = (): Json => ({
  type: 'zpkg-root',
  format: 3,
  repository: '0'.repeat(32),
  version: 1,
  created: '2026-01-01T00:00:00Z',
  catalog: { digest, size: 1, packages: 0 },
  keys: {},
  threshold: 0,
  keyGeneration: 1,
});

function refusal(doc: unknown): Error {
  try {
    parseSignedRoot(Buffer.from(JSON.stringify(doc)), 'test-repo');
  } catch (err) {
    expect(isZpkgError(err), String(err)).toBe(true);
    return err as Error;
  }
  throw new Error('accepted');
}

describe('root metadata: the decoded JSON goes through a valibot shape first', () => {
  it('the well-formed unsigned root parses', () => {
    expect(parseSignedRoot(Buffer.from(JSON.stringify({ signed: unsigned(), signatures: [] })), 'test-repo').signed.version).toBe(1);
  });

  const wrong: [string, (s: Json) => void, RegExp][] = [
    ['a version that is a string', (s) => { s.version = '1'; }, /version must be a non-negative integer/],
    ['a created time that is a number', (s) => { s.created = 7; }, /created must be a timestamp/],
    ['a catalog that is a list', (s) => { s.catalog = [digest, 1, 0]; }, /catalog must be \{digest, size, packages\}/],
    ['a catalog size that is fractional', (s) => { s.catalog = { digest, size: 1.5, packages: 0 }; }, /catalog must be/],
    ['files of null', (s) => { s.files = null; }, /files must be \{digest, size\}/],
    ['keys that are a list', (s) => { s.keys = []; }, /keys must be an object/],
    ['a key listed under `constructor`', (s) => { s.keys = { constructor: { type: 'ed25519', public: 'x' } }; }, /key id `constructor` is not 64 hex digits/],
    ['a key listed under `__proto__`', (s) => { s.keys = JSON.parse('{"__proto__": {"type": "ed25519", "public": "x"}}'); }, /key id `__proto__` is not 64 hex digits/],
    ['a keyGeneration of 0', (s) => { s.keyGeneration = 0; }, /keyGeneration must be a positive integer/],
    ['a format that is a string', (s) => { s.format = '3'; }, /format 3 is not supported/],
    ['a type of `constructor`', (s) => { s.type = 'constructor'; }, /type must be `zpkg-root`/],
    ...['type', 'format', 'repository', 'version', 'created', 'threshold', 'keyGeneration'].map((k): [string, (s: Json) => void, RegExp] => [`no \`${k}\``, (s) => { delete s[k]; }, new RegExp(`: ${k} is missing$`)]),
  ];
  for (const [what, edit, message] of wrong) {
    it(`${what}: E_REPO_INVALID saying so`, () => {
      const signed = unsigned();
      edit(signed);
      const err = refusal({ signed, signatures: [] });
      expect(isZpkgError(err, 'E_REPO_INVALID')).toBe(true);
      expect(err.message).toMatch(/^test-repo: root\.json is invalid: /);
      expect(err.message).toMatch(message);
    });
  }

  it('the pre-signing layout (no envelope) keeps its message', () => {
    expect(refusal(unsigned()).message).toMatch(/a repository written before signing existed/);
    expect(refusal({ signed: unsigned(), signatures: {} }).message).toMatch(/a repository written before signing existed/);
  });

  it('a signature whose keyid is a number: each signature must be {keyid, sig}', () => {
    expect(refusal({ signed: unsigned(), signatures: [{ keyid: 1, sig: 'x' }] }).message).toMatch(/each signature must be \{keyid, sig\}/);
  });

  it(`more than ${MAX_ROOT_SIGNATURES} signatures is refused before they are walked`, () => {
    const signatures = Array.from({ length: MAX_ROOT_SIGNATURES + 1 }, () => ({ keyid: 'a'.repeat(64), sig: 'x' }));
    expect(refusal({ signed: unsigned(), signatures }).message).toMatch(new RegExp(`more than ${MAX_ROOT_SIGNATURES} signatures`));
  });

  it('a million signatures: refused the same way, not verified one by one', () => {
    const signatures = Array.from({ length: 1_000_000 }, () => ({ keyid: 'a', sig: 'x' }));
    expect(refusal({ signed: unsigned(), signatures }).message).toMatch(/more than \d+ signatures/);
  });

  it(`more than ${MAX_ROOT_KEYS} keys is refused`, () => {
    const keys = Object.fromEntries(Array.from({ length: MAX_ROOT_KEYS + 1 }, () => generateSigningKey()).map((k) => [k.id, k.entry]));
    const signed = { ...unsigned(), keys, threshold: 1, expires: '2099-01-01T00:00:00Z' };
    expect(refusal({ signed, signatures: [] }).message).toMatch(new RegExp(`more than ${MAX_ROOT_KEYS} keys`));
  });

  it('a field is read from the document itself, never from Object.prototype', () => {
    const signed = unsigned();
    delete signed.catalog;
    const proto = Object.prototype as Json;
    // Non-enumerable, as a polyfill would add it (an enumerable one would also show in every for…in).
    Object.defineProperty(proto, 'catalog', { value: { digest, size: 1, packages: 0 }, enumerable: false, configurable: true });
    try {
      expect(refusal({ signed, signatures: [] }).message).toMatch(/catalog must be \{digest, size, packages\}/);
    } finally {
      delete proto.catalog;
    }
  });

  it('a format newer than this zpkg is still E_REPO_FORMAT', () => {
    const err = refusal({ signed: { ...unsigned(), format: 99 }, signatures: [] });
    expect(isZpkgError(err, 'E_REPO_FORMAT')).toBe(true);
  });
});

describe('the trust state of a remote in state.db is shape-checked: E_STATE_CORRUPT, not a crash', () => {
  const world = hostileWorld('zpkg-shapes-');
  const root = hostileImage(world, 'img');
  const cases: [string, string, string][] = [
    ['pinned keys that are an object', 'pinned', '{"a":1}'],
    ['a pinned key that is not a key id', 'pinned', '["constructor"]'],
    ['trusted keys that are a list', 'keys', '[1,2]'],
    ['a trusted key listed under `__proto__`', 'keys', '{"__proto__":{"type":"ed25519","public":"x"}}'],
    ['a trusted key of the wrong type', 'keys', `{"${'b'.repeat(64)}":{"type":"rsa","public":"x"}}`],
    ['a thousand pinned keys', 'pinned', JSON.stringify(Array.from({ length: 1000 }, () => 'c'.repeat(64)))],
  ];
  for (const [what, column, value] of cases) {
    it(`${what}: readTrust gives E_STATE_CORRUPT naming the remote`, () => {
      const file = join(root, 'var/lib/zpkg/state.db');
      const d = new Database(file);
      const before = d.prepare(`SELECT ${column} AS v FROM remote_trust WHERE remote = 'main'`).get() as { v: string };
      d.prepare(`UPDATE remote_trust SET ${column} = ? WHERE remote = 'main'`).run(value);
      d.close();
      const db = new Database(file, { readonly: true });
      try {
        let err: unknown;
        try {
          readTrust(db, 'main');
        } catch (e) {
          err = e;
        }
        expect(isZpkgError(err, 'E_STATE_CORRUPT'), String(err)).toBe(true);
        expect((err as Error).message).toMatch(/remote main/);
      } finally {
        db.close();
        const r = new Database(file);
        r.prepare(`UPDATE remote_trust SET ${column} = ? WHERE remote = 'main'`).run(before.v);
        r.close();
      }
    });
  }
  it('the untouched trust state reads back', () => {
    const db = new Database(join(root, 'var/lib/zpkg/state.db'), { readonly: true });
    try {
      expect(readTrust(db, 'main')?.pinned.length).toBe(1);
    } finally {
      db.close();
    }
  });
});

describe('the .zpar index goes through a valibot shape: a typed refusal, never a crash', () => {
  const dir = tempDir('zpkg-shapes-zpar-');
  /** A hand-made archive: magic, 4 data bytes at offset 8, `index` as the index, the trailer. */
  function archive(name: string, index: string): string {
    const data = Buffer.from('data');
    const idx = Buffer.from(index);
    const trailer = Buffer.alloc(24);
    trailer.writeBigUInt64LE(BigInt(8 + data.length), 0);
    trailer.writeBigUInt64LE(BigInt(idx.length), 8);
    ARCHIVE_MAGIC.copy(trailer, 16);
    const file = join(dir, name);
    writeFileSync(file, Buffer.concat([ARCHIVE_MAGIC, data, idx, trailer]));
    return file;
  }
  const cases: [string, string, RegExp][] = [
    ['an index that is null', 'null', /the index is not an object/],
    ['an index that is a list', '[1]', /the index is not an object/],
    ['files that are a list', '{"format":1,"files":[[8,4]]}', /files is not an object/],
    ['files missing', '{"format":1}', /the index is invalid: files/],
    ['a span of strings', '{"format":1,"files":{"a":["8","4"]}}', /a file entry is not \[offset, length\]/],
    ['a span of three numbers', '{"format":1,"files":{"a":[8,4,0]}}', /a file entry is not \[offset, length\]/],
    ['a fractional offset', '{"format":1,"files":{"a":[8.5,1]}}', /a file entry is not \[offset, length\]/],
    ['a format of 2', '{"format":2,"files":{}}', /unknown index format 2/],
    ['a span past the data', '{"format":1,"files":{"a":[8,5]}}', /`a` points outside the data/],
  ];
  for (const [what, index, message] of cases) {
    it(`${what}: E_REPO_INVALID saying why`, async () => {
      const reader = new ArchiveReader(archive(`${what.replace(/\W+/g, '-')}.zpar`, index));
      let err: unknown;
      try {
        reader.paths();
      } catch (e) {
        err = e;
      }
      await reader.close();
      expect(isZpkgError(err, 'E_REPO_INVALID'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(/is not a zpkg repository archive: /);
      expect((err as Error).message).toMatch(message);
    });
  }
  it("paths named like inherited keys are the archive's own files, read back exactly", async () => {
    const reader = new ArchiveReader(archive('proto.zpar', '{"format":1,"files":{"__proto__":[8,2],"constructor":[10,2]}}'));
    expect(reader.paths().sort()).toEqual(['__proto__', 'constructor']);
    expect((await reader.read('__proto__'))?.toString()).toBe('da');
    expect((await reader.read('constructor'))?.toString()).toBe('ta');
    expect(await reader.read('toString')).toBeUndefined();
    await reader.close();
  });
});

describe('the file index goes through a valibot shape: E_REPO_INVALID, never a map of garbage', async () => {
  const { decodeFileIndex } = await import('../../src/repo/snapshot.js');
  const { compress } = await import('../../src/repo/compress.js');
  const decode = (doc: string) => decodeFileIndex(compress(Buffer.from(doc)), 'test-repo');
  const cases: [string, string][] = [
    ['a file index that is null', 'null'],
    ['packages that are a list', '{"packages":[["usr/bin/a"]]}'],
    ['a package whose files are a string', '{"packages":{"alpha":"usr/bin/a"}}'],
    ['a package whose files hold a number', '{"packages":{"alpha":["usr/bin/a",7]}}'],
    ['a package named `__proto__` whose files are an object', '{"packages":{"__proto__":{"x":1}}}'],
  ];
  for (const [what, doc] of cases) {
    it(`${what}: E_REPO_INVALID naming the file index`, () => {
      let err: unknown;
      try {
        decode(doc);
      } catch (e) {
        err = e;
      }
      expect(isZpkgError(err, 'E_REPO_INVALID'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(/^test-repo: the file index/);
    });
  }
  it('packages named like inherited keys keep their files', () => {
    const index = decode('{"packages":{"constructor":["usr/bin/c"],"__proto__":["usr/bin/p"]}}');
    expect(index.get('constructor')).toEqual(['usr/bin/c']);
    expect(index.get('__proto__')).toEqual(['usr/bin/p']);
  });
});
