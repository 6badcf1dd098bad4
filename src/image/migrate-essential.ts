/**
 * Schema 5 → 6: each installed package's `essential` column, filled from its
 * cached manifest (cache.ts `cachedManifestFlags`, which checks the bytes
 * against the digest the state records). A package whose manifest is not
 * cached, or does not check out, keeps NULL: `isEssential` (txn/protect.ts)
 * then reads the manifest when it is asked, as before the column existed.
 */
import type Database from 'better-sqlite3';
import type { Digest } from '../core/digest.js';
import { cachedManifestFlags } from './cache.js';

export function importEssential(db: Database.Database, paths: { cache: string }): () => void {
  const set = db.prepare('UPDATE packages SET essential = ? WHERE name = ?');
  for (const { name, manifest } of db.prepare('SELECT name, manifest FROM packages').all() as { name: string; manifest: Digest }[]) {
    const flags = cachedManifestFlags(paths.cache, manifest);
    if (flags) set.run(flags.essential ? 1 : 0, name);
  }
  return () => undefined;
}
