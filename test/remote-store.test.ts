/**
 * A remote lives in one store: its row, its mirrors and what the image trusts
 * for it are in state.db. An image written by the release before (schema 3:
 * trust.json and mirrors.json under var/lib/zpkg/repos/NAME/) opens, has its
 * files moved into state.db, and keeps refusing and accepting what it did; a
 * `remote add` that fails leaves nothing behind; `remote remove` leaves
 * nothing either.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/core/canonical-json.js';
import { digestOf } from '../src/core/digest.js';
import { openImage } from '../src/image/image.js';
import { SCHEMA_VERSION } from '../src/image/schema.js';
import { addRemote, listRemotes, readTrust, removeRemote } from '../src/image/remotes.js';
import { resolveTrustedKey } from '../src/repo/trust/key-file.js';
import { ok, snapshot, tempDir, TEST_PUB, TRUST, writePackage, zpkg } from './helpers/zpkg.js';

let work: string;
let repo: string;
const KEY_ID = resolveTrustedKey(TEST_PUB);
const STATE = 'var/lib/zpkg';
const TABLES = ['remotes', 'remote_mirrors', 'remote_trust'];

beforeAll(() => {
  work = tempDir('zpkg-remote-store-');
  repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  ok(['build', writePackage(join(work, 'tool-1'), { name: 'tool', version: '1.0' }, { 'usr/bin/tool': 'one\n' }), '--repo', repo]);
});

function rows(root: string, tables = TABLES): Record<string, unknown[]> {
  const db = new Database(join(root, STATE, 'state.db'), { readonly: true });
  try {
    return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM ${t}`).all()]));
  } finally {
    db.close();
  }
}

/** The image's files (zpkg's state directory included, its database apart) and every row about remotes. */
function everything(root: string): unknown {
  return { tree: snapshot(root, (rel) => rel.startsWith(`${STATE}/state.db`) || rel === `${STATE}/lock`), rows: rows(root) };
}

describe('an image made by the previous release (trust and mirrors in JSON files)', () => {
  let root: string;
  let firstRoot: Buffer;
  beforeAll(() => {
    root = join(work, 'old-image');
    mkdirSync(root);
    firstRoot = readFileSync(join(repo, 'root.json'));
    // The primary URL is a directory that does not exist: every read goes to the mirror.
    ok(['--root', root, 'remote', 'add', 'main', join(work, 'gone'), '--mirror', repo, ...TRUST]);
    ok(['--root', root, 'remote', 'add', 'spare', repo, '--insecure']);
    ok(['--root', root, 'refresh']);

    // Back to schema 3, as the release before left it: no trust or mirror tables, no essential column, and per remote
    // trust.json (JSON.stringify(TrustState, null, 2) + "\n") and mirrors.json (JSON.stringify(urls)).
    const db = new Database(join(root, STATE, 'state.db'));
    db.exec("DROP TABLE remote_trust; DROP TABLE remote_mirrors; ALTER TABLE packages DROP COLUMN essential; UPDATE meta SET value = '3' WHERE key = 'schema';");
    db.close();
    const signed = JSON.parse(firstRoot.toString('utf8')).signed;
    const trust = {
      insecure: false,
      pinned: [KEY_ID],
      keys: signed.keys,
      threshold: signed.threshold,
      keyGeneration: signed.keyGeneration,
      repository: signed.repository,
      version: signed.version,
      digest: digestOf(Buffer.from(canonicalJson(signed))),
    };
    expect(Object.keys(signed.keys)).toEqual([KEY_ID]);
    writeFileSync(join(root, STATE, 'repos/main/trust.json'), `${JSON.stringify(trust, null, 2)}\n`);
    writeFileSync(join(root, STATE, 'repos/main/mirrors.json'), JSON.stringify([repo]));
    // A trust file that cannot be read is not imported, and is left for the administrator.
    writeFileSync(join(root, STATE, 'repos/spare/trust.json'), '{"insecure": tr');
  });

  it('opens at the new schema with the files moved into state.db, trust and mirrors kept', () => {
    const list = ok(['--root', root, '--json', 'remote', 'list']).json.remotes;
    expect(list).toMatchObject([
      { name: 'main', url: join(work, 'gone'), mirrors: [repo], trust: 'signed', keys: [KEY_ID], threshold: 1, version: JSON.parse(firstRoot.toString()).signed.version },
      { name: 'spare', mirrors: [], trust: 'none' },
    ]);
    expect(existsSync(join(root, STATE, 'repos/main/trust.json'))).toBe(false);
    expect(existsSync(join(root, STATE, 'repos/main/mirrors.json'))).toBe(false);
    expect(readFileSync(join(root, STATE, 'repos/spare/trust.json'), 'utf8')).toBe('{"insecure": tr');
    // The cached bytes stay: they are a cache, not facts.
    expect(existsSync(join(root, STATE, 'repos/main/catalog.zst'))).toBe(true);
    const db = new Database(join(root, STATE, 'state.db'), { readonly: true });
    expect(db.prepare("SELECT value FROM meta WHERE key = 'schema'").pluck().get()).toBe(String(SCHEMA_VERSION));
    db.close();
    expect(rows(root).remote_trust).toMatchObject([{ remote: 'main', insecure: 0, pinned: JSON.stringify([KEY_ID]), threshold: 1 }]);
  });

  it('refresh accepts the next root metadata through the mirror, then refuses a replay of the old one', () => {
    ok(['build', writePackage(join(work, 'tool-2'), { name: 'tool', version: '2.0' }, { 'usr/bin/tool': 'two\n' }), '--repo', repo]);
    const r = zpkg(['--root', root, '--json', 'refresh']);
    // `spare` has no trust any more (its file was unreadable): it is refused, after `main` was refreshed.
    expect(r.json.error.code).toBe('E_KEY_REQUIRED');
    expect(r.json.error.message).toBe('1 remote of 2 could not be refreshed: spare');
    expect(r.json.error.failed[0].message).toMatch(/remote `spare` has no key to trust/);
    expect(r.json.error.remotes.map((x: { remote: string }) => x.remote)).toEqual(['main']);
    ok(['--root', root, 'remote', 'remove', 'spare']);
    const next = JSON.parse(readFileSync(join(repo, 'root.json'), 'utf8')).signed.version;
    expect(ok(['--root', root, '--json', 'remote', 'list']).json.remotes[0]).toMatchObject({ name: 'main', version: next });
    ok(['--root', root, 'install', 'tool']);
    expect(readFileSync(join(root, 'usr/bin/tool'), 'utf8')).toBe('two\n');

    const newer = readFileSync(join(repo, 'root.json'));
    writeFileSync(join(repo, 'root.json'), firstRoot);
    try {
      const before = everything(root);
      const replay = zpkg(['--root', root, '--json', 'refresh']);
      expect(replay.status).toBe(1);
      expect(replay.json.error.code).toBe('E_ROLLBACK');
      expect(everything(root)).toEqual(before);
    } finally {
      writeFileSync(join(repo, 'root.json'), newer);
    }
  });
});

describe('remote add and remove are one transaction each', () => {
  it('a mirror with a bad URL: refused before anything is written, even the image', () => {
    const fresh = join(work, 'never-made');
    const r = zpkg(['--root', fresh, '--json', 'remote', 'add', 'main', repo, '--mirror', 'ftp://example.invalid/r', ...TRUST]);
    expect([r.status, r.json.error.code]).toEqual([1, 'E_URL_INVALID']);
    expect(existsSync(fresh)).toBe(false);

    const root = join(work, 'has-one');
    ok(['--root', root, 'remote', 'add', 'first', repo, ...TRUST]);
    const before = everything(root);
    expect(zpkg(['--root', root, '--json', 'remote', 'add', 'second', repo, '--mirror', 'gopher://x/', ...TRUST]).json.error.code).toBe('E_URL_INVALID');
    expect(everything(root)).toEqual(before);
  });

  it('a write refused by the database in the middle of the add leaves no row, no mirror, no trust and no directory', () => {
    const root = join(work, 'refused-write');
    ok(['--root', root, 'remote', 'add', 'first', repo, ...TRUST]);
    const db = new Database(join(root, STATE, 'state.db'));
    // The trust row is the last write of an add: refuse it, after the remote's row and mirrors went in.
    db.exec("CREATE TRIGGER refuse_trust BEFORE INSERT ON remote_trust WHEN NEW.remote = 'second' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;");
    db.close();
    const before = everything(root);
    const r = zpkg(['--root', root, '--json', 'remote', 'add', 'second', repo, '--mirror', repo, ...TRUST]);
    expect(r.status).toBe(1);
    expect(r.json.error.message).toMatch(/refused by the test/);
    expect(everything(root)).toEqual(before);
    expect(existsSync(join(root, STATE, 'repos/second'))).toBe(false);
  });

  it('remove takes the row, the mirrors, the trust and the cached bytes', () => {
    const root = join(work, 'removed');
    ok(['--root', root, 'remote', 'add', 'main', repo, '--mirror', repo, ...TRUST]);
    ok(['--root', root, 'refresh']);
    expect(rows(root).remote_trust).toHaveLength(1);
    ok(['--root', root, 'remote', 'remove', 'main']);
    expect(rows(root)).toEqual({ remotes: [], remote_mirrors: [], remote_trust: [] });
    expect(existsSync(join(root, STATE, 'repos/main'))).toBe(false);
  });

  it('through the library: a second add of a name changes nothing of the first', () => {
    const image = openImage(join(work, 'library'), { create: true });
    try {
      addRemote(image, { name: 'main', url: repo, keys: [KEY_ID], mirrors: [join(work, 'elsewhere')] });
      const first = { remotes: listRemotes(image), trust: readTrust(image, 'main') };
      expect(first.remotes).toMatchObject([{ name: 'main', url: repo, priority: 0, mirrors: [join(work, 'elsewhere')] }]);
      expect(first.trust).toMatchObject({ insecure: false, pinned: [KEY_ID], keys: null, version: 0 });
      expect(() => addRemote(image, { name: 'main', url: join(work, 'other'), insecure: true, priority: 5 })).toThrow(expect.objectContaining({ code: 'E_REMOTE_EXISTS' }));
      expect({ remotes: listRemotes(image), trust: readTrust(image, 'main') }).toEqual(first);
      removeRemote(image, 'main');
      expect(listRemotes(image)).toEqual([]);
      expect(readTrust(image, 'main')).toBeUndefined();
      expect(() => removeRemote(image, 'main')).toThrow(expect.objectContaining({ code: 'E_REMOTE_UNKNOWN' }));
    } finally {
      image.close();
    }
  });
});
