/** The implementation the image chose per mediator (`zpkg set-mediator`), kept in state.db (`meta` key `mediators`, JSON) and written with the commit it applies to. */
import type Database from 'better-sqlite3';
import { MEDIATOR_NAME } from '../core/manifest.js';
import { own, v } from '../core/shape.js';
import { stateJson } from './state.js';

const KEY = 'mediators';
const NAME = v.pipe(v.string(), v.regex(MEDIATOR_NAME, 'not a mediator or implementation name'));
/** mediator → the implementation the image chose. */
const MEDIATORS_ROW = own(v.record(NAME, NAME));

export function readMediatorChoices(db: Database.Database): Record<string, string> {
  const text = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(KEY) as string | undefined;
  if (text === undefined) return {};
  return stateJson(MEDIATORS_ROW, text, 'the mediator choices (meta `mediators`)');
}

export function writeMediatorChoices(db: Database.Database, choices: Readonly<Record<string, string>>): void {
  if (Object.keys(choices).length === 0) db.prepare('DELETE FROM meta WHERE key = ?').run(KEY);
  else db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(KEY, JSON.stringify(choices));
}
