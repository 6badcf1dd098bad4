/**
 * The remotes of an image as state.db holds them: a row per remote, its
 * mirrors in order, and what the image trusts for it (repo/trust/accept.ts
 * TrustState). Each change is one SQLite transaction, so a remote is in the
 * image whole (row, mirrors, trust) or not at all. The bytes fetched from a
 * remote (root metadata, catalog, file index) are a cache under
 * `repos/<name>/`, not kept here.
 */
import type Database from 'better-sqlite3';
import type { Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { own, v } from '../core/shape.js';
import type { TrustState } from '../repo/trust/accept.js';
import { isKeyId, type KeyId, type PublicKeyEntry } from '../repo/trust/keys.js';
import { stateJson } from './state.js';

export interface Remote {
  name: string;
  url: string;
  priority: number;
  addedAt: string;
  /** Other URLs of the same repository, tried in order when a read from `url` fails. */
  mirrors: string[];
}

function mirrorsOf(db: Database.Database, name: string): string[] {
  return db.prepare('SELECT url FROM remote_mirrors WHERE remote = ? ORDER BY seq').pluck().all(name) as string[];
}

/** Every remote, highest priority first. */
export function listRemotes(db: Database.Database): Remote[] {
  const rows = db.prepare('SELECT name, url, priority, added_at AS addedAt FROM remotes ORDER BY priority DESC, name').all() as Omit<Remote, 'mirrors'>[];
  return rows.map((r) => ({ ...r, mirrors: mirrorsOf(db, r.name) }));
}

export function findRemote(db: Database.Database, name: string): Remote | undefined {
  const r = db.prepare('SELECT name, url, priority, added_at AS addedAt FROM remotes WHERE name = ?').get(name) as Omit<Remote, 'mirrors'> | undefined;
  return r && { ...r, mirrors: mirrorsOf(db, name) };
}

/** Replaces a remote's mirrors; the caller holds the transaction. */
export function writeMirrors(db: Database.Database, name: string, mirrors: readonly string[]): void {
  db.prepare('DELETE FROM remote_mirrors WHERE remote = ?').run(name);
  const insert = db.prepare('INSERT INTO remote_mirrors (remote, seq, url) VALUES (?, ?, ?)');
  mirrors.forEach((url, seq) => insert.run(name, seq, url));
}

/** Adds a remote with its mirrors and trust in one transaction; refused when the name is taken. */
export function insertRemote(db: Database.Database, remote: Remote, trust: TrustState): void {
  db.transaction(() => {
    if (findRemote(db, remote.name)) {
      throw new ZpkgError('E_REMOTE_EXISTS', `a remote named \`${remote.name}\` exists already`, { hint: `remove it first with \`zpkg remote remove ${remote.name}\`` });
    }
    db.prepare('INSERT INTO remotes (name, url, priority, added_at) VALUES (?, ?, ?, ?)').run(remote.name, remote.url, remote.priority, remote.addedAt);
    writeMirrors(db, remote.name, remote.mirrors);
    writeTrust(db, remote.name, trust);
  }).immediate();
}

/** What `remote set` changes: absent fields stay as they are. */
export interface RemoteChange {
  url?: string;
  priority?: number;
  mirrors?: readonly string[];
}

/** Changes a remote's URL, priority or mirrors in one transaction, its trust untouched; undefined when there is none. */
export function updateRemote(db: Database.Database, name: string, change: RemoteChange): Remote | undefined {
  return db.transaction(() => {
    const r = findRemote(db, name);
    if (!r) return undefined;
    db.prepare('UPDATE remotes SET url = ?, priority = ? WHERE name = ?').run(change.url ?? r.url, change.priority ?? r.priority, name);
    if (change.mirrors) writeMirrors(db, name, change.mirrors);
    return findRemote(db, name);
  }).immediate();
}

/** Removes a remote, its mirrors and its trust in one transaction; undefined when there is none. */
export function deleteRemote(db: Database.Database, name: string): Remote | undefined {
  return db.transaction(() => {
    const r = findRemote(db, name);
    if (!r) return undefined;
    db.prepare('DELETE FROM remote_mirrors WHERE remote = ?').run(name);
    db.prepare('DELETE FROM remote_trust WHERE remote = ?').run(name);
    db.prepare('DELETE FROM remotes WHERE name = ?').run(name);
    return r;
  }).immediate();
}

interface TrustRow {
  insecure: number;
  pinned: string;
  keys: string | null;
  threshold: number;
  key_generation: number;
  repository: string | null;
  version: number;
  digest: string | null;
}

/** At most as many keys as a root metadata file may list (root-metadata.ts MAX_ROOT_KEYS). */
const MAX_TRUSTED_KEYS = 256;
const KEY_ID = v.custom<KeyId>(isKeyId, 'expected a 64-hex-digit key id');
/** remote_trust.pinned: the key ids given at `remote add`. */
const PINNED = v.pipe(v.array(KEY_ID), v.maxLength(MAX_TRUSTED_KEYS));
/**
 * remote_trust.keys: the key set of the last accepted root metadata, own keys
 * only, each listed under a key id (checked on the copy `own` makes, since
 * valibot's record skips `__proto__`/`constructor` keys silently).
 */
const TRUSTED_KEYS = own(
  v.pipe(
    v.custom<Record<string, unknown>>(() => true),
    v.check((keys) => Object.keys(keys).length <= MAX_TRUSTED_KEYS, `more than ${MAX_TRUSTED_KEYS} keys`),
    v.check((keys) => Object.keys(keys).every(isKeyId), 'every key must be listed under its 64-hex-digit id'),
    v.record(v.string(), own(v.object({ type: v.literal('ed25519'), public: v.string() }))),
  ),
);

/** What the image trusts for a remote; undefined for a remote added before zpkg checked signatures. */
export function readTrust(db: Database.Database, name: string): TrustState | undefined {
  const r = db.prepare('SELECT insecure, pinned, keys, threshold, key_generation, repository, version, digest FROM remote_trust WHERE remote = ?').get(name) as TrustRow | undefined;
  if (!r) return undefined;
  return {
    insecure: r.insecure === 1,
    pinned: stateJson(PINNED, r.pinned, `the pinned keys of remote ${name}`),
    // A plain object again, as callers and JSON.stringify expect.
    keys: r.keys === null ? null : (Object.fromEntries(Object.entries(stateJson(TRUSTED_KEYS, r.keys, `the trusted keys of remote ${name}`))) as Record<KeyId, PublicKeyEntry>),
    threshold: r.threshold,
    keyGeneration: r.key_generation,
    repository: r.repository,
    version: r.version,
    digest: r.digest as Digest | null,
  };
}

/** Records what the image trusts for a remote (at `remote add`, and each time `refresh` accepts root metadata). */
export function writeTrust(db: Database.Database, name: string, s: TrustState): void {
  db.prepare(
    `INSERT INTO remote_trust (remote, insecure, pinned, keys, threshold, key_generation, repository, version, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (remote) DO UPDATE SET insecure = excluded.insecure, pinned = excluded.pinned, keys = excluded.keys, threshold = excluded.threshold,
       key_generation = excluded.key_generation, repository = excluded.repository, version = excluded.version, digest = excluded.digest`,
  ).run(name, s.insecure ? 1 : 0, JSON.stringify(s.pinned), s.keys === null ? null : JSON.stringify(s.keys), s.threshold, s.keyGeneration, s.repository, s.version, s.digest);
}
