/**
 * The general mapping of a stanza to a catalog entry (stanzaToEntry): every
 * check, and the words of every refusal. The importer's fast path
 * (rows.ts) accepts only what this accepts and reads it the same way; a
 * stanza it is unsure of comes here.
 */
import type { CatalogEntry } from '../../core/catalog.js';
import { ZpkgError, isZpkgError } from '../../core/errors.js';
import { type Atom, type Clause, isPackageName, parseRelationField, validateProvide } from '../../core/relation.js';
import { parseVersion } from '../../core/version.js';
import {
  F_ARCH,
  F_BREAKS,
  F_CONFLICTS,
  F_DEPENDS,
  F_DESCRIPTION,
  F_INSTALLED_SIZE,
  F_PACKAGE,
  F_PRE_DEPENDS,
  F_PROVIDES,
  F_REPLACES,
  F_SIZE,
  F_VERSION,
  SLOT_FIELDS,
  SLOT_LOWER,
} from './fields.js';
import type { Stanza } from './stanzas.js';

/** Read access to a stanza's fields by slot. */
export interface Fields {
  get(slot: number): string | undefined;
  /** The first line of the field's value ('' when absent). */
  firstLine(slot: number): string;
  /** The field's value as a whole number (0 when absent); NaN when it is not one. */
  count(slot: number): number;
  /** The field's clauses (no field: none); throws ZpkgError. */
  relations(slot: number): Clause[];
}

/** A whole number written in decimal digits, NaN for anything else. */
function decimal(text: string): number {
  return /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
}

class MapFields implements Fields {
  constructor(private readonly stanza: Stanza) {}
  get(slot: number): string | undefined {
    return this.stanza.get(SLOT_LOWER[slot]!);
  }
  firstLine(slot: number): string {
    const value = this.get(slot) ?? '';
    const nl = value.indexOf('\n');
    return nl < 0 ? value : value.slice(0, nl).trimEnd();
  }
  count(slot: number): number {
    const value = this.get(slot);
    return value === undefined || value === '' ? 0 : decimal(value);
  }
  relations(slot: number): Clause[] {
    const value = this.get(slot);
    return value === undefined ? [] : parseRelationField(value);
  }
}

function whoOf(fields: Fields): string {
  const name = fields.get(F_PACKAGE);
  const version = fields.get(F_VERSION);
  if (name === undefined || name === '') return '(no Package field)';
  return version ? `\`${name}\` ${version}` : `\`${name}\``;
}

function entryError(fields: Fields, reason: string, cause?: unknown): ZpkgError {
  return new ZpkgError('E_REPO_INVALID', `index stanza ${whoOf(fields)}: ${reason}`, cause === undefined ? {} : { cause });
}

function relationField(fields: Fields, slot: number): Clause[] {
  try {
    return fields.relations(slot);
  } catch (err) {
    if (!isZpkgError(err)) throw err;
    throw new ZpkgError(err.code, `index stanza ${whoOf(fields)}: field ${SLOT_FIELDS[slot]}: ${err.message}`, { cause: err });
  }
}

function atomField(fields: Fields, slot: number): Atom[] {
  const clauses = relationField(fields, slot);
  const atoms: Atom[] = [];
  for (const clause of clauses) {
    if (clause.length !== 1) {
      throw new ZpkgError(
        'E_RELATION_INVALID',
        `index stanza ${whoOf(fields)}: field ${SLOT_FIELDS[slot]}: alternatives (\`|\`) are not allowed here`,
      );
    }
    atoms.push(clause[0]!);
  }
  return atoms;
}

function sizeField(fields: Fields, slot: number): number {
  const n = fields.count(slot);
  if (Number.isSafeInteger(n)) return n;
  const text = fields.get(slot);
  throw entryError(fields, `field ${SLOT_FIELDS[slot]} \`${text}\` is ${Number.isNaN(n) ? 'not a whole number' : 'too large'}`);
}

export function toEntry(fields: Fields): CatalogEntry {
  const name = fields.get(F_PACKAGE);
  if (name === undefined || name === '') throw entryError(fields, 'it has no Package field');
  if (!isPackageName(name)) throw entryError(fields, `\`${name}\` is not a valid package name`);
  const version = fields.get(F_VERSION);
  if (version === undefined || version === '') throw entryError(fields, 'it has no Version field');
  try {
    parseVersion(version);
  } catch (err) {
    throw entryError(fields, (err as Error).message, err);
  }
  const arch = fields.get(F_ARCH);
  if (arch === undefined || arch === '') throw entryError(fields, 'it has no Architecture field');
  const summary = fields.firstLine(F_DESCRIPTION);

  const preDepends = relationField(fields, F_PRE_DEPENDS);
  const depends = relationField(fields, F_DEPENDS);
  const provides = atomField(fields, F_PROVIDES);
  for (const p of provides) {
    if (p.constraint === undefined || p.constraint.op === '=') continue;
    try {
      validateProvide(p, fields.get(F_PROVIDES) ?? '');
    } catch (err) {
      if (!isZpkgError(err)) throw err;
      throw new ZpkgError(err.code, `index stanza ${whoOf(fields)}: field Provides: ${err.message}`, { cause: err });
    }
  }
  const conflicts = atomField(fields, F_CONFLICTS);
  const breaks = atomField(fields, F_BREAKS);
  const replaces = atomField(fields, F_REPLACES);

  return {
    name,
    version,
    arch,
    summary,
    depends: preDepends.length === 0 ? depends : preDepends.concat(depends),
    conflicts: breaks.length === 0 ? conflicts : conflicts.concat(breaks),
    provides,
    replaces,
    size: sizeField(fields, F_SIZE),
    installedSize: sizeField(fields, F_INSTALLED_SIZE) * 1024,
  };
}

/**
 * Maps one stanza (as parseStanzas returns it; field names in any case) to a
 * catalog entry: Package, Version, Architecture, the first line of
 * Description as summary; Pre-Depends + Depends → depends; Conflicts + Breaks
 * → conflicts; Provides; Replaces. Recommends, Suggests and Enhances are not
 * relations zpkg enforces. `:any`-style qualifiers and `[arch]`/`<profile>`
 * restrictions are dropped by the relation parser. Size is in bytes,
 * Installed-Size in KiB (the entry holds bytes). No manifest digest.
 * Throws ZpkgError (E_REPO_INVALID, E_RELATION_INVALID).
 */
export function stanzaToEntry(stanza: Stanza): CatalogEntry {
  let s = stanza;
  for (const k of stanza.keys()) {
    if (k !== k.toLowerCase()) {
      s = new Map([...stanza].map(([key, v]) => [key.toLowerCase(), v]));
      break;
    }
  }
  return toEntry(new MapFields(s));
}
