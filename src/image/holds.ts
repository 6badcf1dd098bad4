/**
 * Version locks of an image (`zpkg hold`), in state.db's `holds` table. A
 * hold with a range (`hold "NAME (< 2.0)"`, dnf's versionlock condition) lets
 * only versions inside the range land; a hold without one keeps the installed
 * version (packages.held) and may carry a reason here too (IPS's
 * `freeze -c REASON`).
 */
import type Database from 'better-sqlite3';
import { ZpkgError } from '../core/errors.js';
import { parseAtom, type Atom } from '../core/relation.js';

export interface HoldRow {
  name: string;
  /** Absent: the exact hold of packages.held. */
  range?: Atom;
  reason?: string;
  heldAt: string;
}

interface RawHold {
  name: string;
  range: string | null;
  reason: string | null;
  held_at: string;
}

/** A stored range, read again: a row that does not parse names itself (state.db is damaged). */
function holdRange(r: { name: string; range: string }): Atom {
  try {
    return parseAtom(r.range);
  } catch (err) {
    throw new ZpkgError('E_STATE_CORRUPT', `state.db: the hold of ${r.name}: ${(err as Error).message}`);
  }
}

export function listHolds(db: Database.Database): HoldRow[] {
  return (db.prepare('SELECT * FROM holds ORDER BY name').all() as RawHold[]).map((r) => ({
    name: r.name,
    ...(r.range !== null ? { range: holdRange({ name: r.name, range: r.range }) } : {}),
    ...(r.reason !== null ? { reason: r.reason } : {}),
    heldAt: r.held_at,
  }));
}

export function getHold(db: Database.Database, name: string): HoldRow | undefined {
  return listHolds(db).find((h) => h.name === name);
}

export function putHold(db: Database.Database, name: string, range: string | null, reason: string | null, heldAt: string): void {
  db.prepare('INSERT OR REPLACE INTO holds (name, range, reason, held_at) VALUES (?, ?, ?, ?)').run(name, range, reason, heldAt);
}

export function deleteHold(db: Database.Database, name: string): void {
  db.prepare('DELETE FROM holds WHERE name = ?').run(name);
}
