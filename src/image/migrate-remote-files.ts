/**
 * Schema 3 → 4: releases before schema 4 kept a remote's mirrors and trust in
 * JSON files beside its cached bytes (`repos/<name>/mirrors.json`, a JSON list
 * of URLs, and `repos/<name>/trust.json`, a TrustState). This step moves them
 * into state.db inside the migration's transaction; the files are removed
 * only after that transaction commits, so an interruption leaves either the
 * old layout (migrated again at the next open) or the new one.
 *
 * A file that cannot be read as what it should be is not imported and is left
 * where it is: the remote then has no trust (refresh refuses it and says to add
 * it again, as the old release did for an unreadable trust.json) or no mirrors.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readBounded } from '../fs/in-root.js';
import type Database from 'better-sqlite3';
import type { TrustState } from '../repo/trust/accept.js';
import { writeMirrors, writeTrust } from './remote-store.js';

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isCount = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;
const isStrings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
const nullOr = (x: unknown, ok: (y: unknown) => boolean): boolean => x === null || ok(x);

function readJson(path: string): unknown {
  try {
    // A regular file of a few kilobytes at most: a link is not followed, a FIFO not waited on.
    return JSON.parse(readBounded(path, { maxBytes: 16 << 20, noFollow: true })!.toString('utf8'));
  } catch {
    return undefined;
  }
}

function asTrust(x: unknown): TrustState | undefined {
  if (!isObject(x)) return undefined;
  const good =
    typeof x.insecure === 'boolean' &&
    isStrings(x.pinned) &&
    nullOr(x.keys, isObject) &&
    isCount(x.threshold) &&
    isCount(x.keyGeneration) &&
    nullOr(x.repository, (r) => typeof r === 'string') &&
    isCount(x.version) &&
    nullOr(x.digest, (d) => typeof d === 'string');
  return good ? (x as unknown as TrustState) : undefined;
}

/** Imports every remote's files found under `paths.repos`; returns the removal of what it imported, to run after the commit. */
export function importRemoteFiles(db: Database.Database, paths: { repos: string }): () => void {
  const imported: string[] = [];
  for (const name of db.prepare('SELECT name FROM remotes').pluck().all() as string[]) {
    const trustFile = join(paths.repos, name, 'trust.json');
    const trust = existsSync(trustFile) ? asTrust(readJson(trustFile)) : undefined;
    if (trust) {
      writeTrust(db, name, trust);
      imported.push(trustFile);
    }
    const mirrorsFile = join(paths.repos, name, 'mirrors.json');
    const mirrors = existsSync(mirrorsFile) ? readJson(mirrorsFile) : undefined;
    if (isStrings(mirrors)) {
      writeMirrors(db, name, mirrors);
      imported.push(mirrorsFile);
    }
  }
  return () => {
    for (const f of imported) rmSync(f, { force: true });
  };
}
