/** The implementation the image chose per mediator (`zpkg set-mediator`), kept in state.db (`meta` key `mediators`, JSON) and written with the commit it applies to. */
import type Database from 'better-sqlite3';

const KEY = 'mediators';

export function readMediatorChoices(db: Database.Database): Record<string, string> {
  const text = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(KEY) as string | undefined;
  if (text === undefined) return {};
  const raw = JSON.parse(text) as unknown;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return {};
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
}

export function writeMediatorChoices(db: Database.Database, choices: Readonly<Record<string, string>>): void {
  if (Object.keys(choices).length === 0) db.prepare('DELETE FROM meta WHERE key = ?').run(KEY);
  else db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(KEY, JSON.stringify(choices));
}
