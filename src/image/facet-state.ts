/**
 * The facet settings `zpkg change-facet` made, kept in state.db (`meta` key
 * `facets`, JSON) and written in the same SQLite transaction as the commit
 * whose files they describe. They win, name by name, over `facets:` in the
 * image's zpkg.yaml (hooks/config.ts).
 */
import type Database from 'better-sqlite3';
import { isFacetPattern, type FacetSettings } from '../core/facets.js';
import { own, v } from '../core/shape.js';
import { stateJson } from './state.js';

const KEY = 'facets';

/** facet name or `name.*` → held or not. */
const FACETS_ROW = own(v.record(v.pipe(v.string(), v.check(isFacetPattern, 'not a facet name or pattern')), v.boolean()));

export function readFacetOverrides(db: Database.Database): Record<string, boolean> {
  const text = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(KEY) as string | undefined;
  if (text === undefined) return {};
  return stateJson(FACETS_ROW, text, 'the facet settings (meta `facets`)');
}

export function writeFacetOverrides(db: Database.Database, settings: FacetSettings): void {
  if (Object.keys(settings).length === 0) db.prepare('DELETE FROM meta WHERE key = ?').run(KEY);
  else db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(KEY, JSON.stringify(settings));
}
