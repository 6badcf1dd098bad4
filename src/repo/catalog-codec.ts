/**
 * The catalog file: `{"format":1,"packages":[…]}` with relations as Debian
 * strings, zstd-compressed. Decoding parses each relation once; identical
 * strings (common across a distribution) are parsed once and shared.
 */
import type { CatalogEntry } from '../core/catalog.js';
import { isDigest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { formatAtom, formatClause, parseAtom, parseClause, type Atom, type Clause } from '../core/relation.js';
import { compress, decompress } from './compress.js';

export const CATALOG_FORMAT = 1;

interface StoredEntry {
  name: string;
  version: string;
  arch: string;
  summary: string;
  depends?: string[];
  conflicts?: string[];
  provides?: string[];
  replaces?: string[];
  manifest?: string;
  size: number;
  installedSize: number;
}

function toStored(e: CatalogEntry): StoredEntry {
  const s: StoredEntry = { name: e.name, version: e.version, arch: e.arch, summary: e.summary, size: e.size, installedSize: e.installedSize };
  if (e.depends.length) s.depends = e.depends.map(formatClause);
  if (e.conflicts.length) s.conflicts = e.conflicts.map(formatAtom);
  if (e.provides.length) s.provides = e.provides.map(formatAtom);
  if (e.replaces.length) s.replaces = e.replaces.map(formatAtom);
  if (e.manifest) s.manifest = e.manifest;
  return s;
}

export function encodeCatalog(entries: readonly CatalogEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
  return compress(Buffer.from(JSON.stringify({ format: CATALOG_FORMAT, packages: sorted.map(toStored) })), 9);
}

export function decodeCatalog(stored: Uint8Array, location: string): CatalogEntry[] {
  let doc: { format?: unknown; packages?: unknown };
  try {
    doc = JSON.parse(decompress(stored).toString('utf8'));
  } catch (err) {
    throw new ZpkgError('E_REPO_INVALID', `${location}: the catalog cannot be read: ${(err as Error).message}`);
  }
  if (doc.format !== CATALOG_FORMAT || !Array.isArray(doc.packages)) {
    throw new ZpkgError('E_REPO_INVALID', `${location}: the catalog has an unsupported format`);
  }
  const clauses = new Map<string, Clause>();
  const atoms = new Map<string, Atom>();
  const clause = (s: string): Clause => {
    let c = clauses.get(s);
    if (!c) clauses.set(s, (c = parseClause(s)));
    return c;
  };
  const atom = (s: string): Atom => {
    let a = atoms.get(s);
    if (!a) atoms.set(s, (a = parseAtom(s)));
    return a;
  };
  return (doc.packages as StoredEntry[]).map((p, i) => {
    if (typeof p?.name !== 'string' || typeof p.version !== 'string' || (p.manifest !== undefined && !isDigest(p.manifest))) {
      throw new ZpkgError('E_REPO_INVALID', `${location}: catalog entry ${i} is invalid`);
    }
    const entry: CatalogEntry = {
      name: p.name,
      version: p.version,
      arch: p.arch,
      summary: p.summary ?? '',
      depends: (p.depends ?? []).map(clause),
      conflicts: (p.conflicts ?? []).map(atom),
      provides: (p.provides ?? []).map(atom),
      replaces: (p.replaces ?? []).map(atom),
      size: p.size ?? 0,
      installedSize: p.installedSize ?? 0,
    };
    if (p.manifest) entry.manifest = p.manifest as CatalogEntry['manifest'];
    return entry;
  });
}

/** The catalog entry a manifest yields. */
export function entryFromManifest(
  m: { name: string; version: string; arch: string; summary: string; depends: string[]; conflicts: string[]; provides: string[]; replaces: string[] },
  manifest: CatalogEntry['manifest'],
  size: number,
  installedSize: number,
): CatalogEntry {
  return {
    name: m.name,
    version: m.version,
    arch: m.arch,
    summary: m.summary,
    depends: m.depends.map(parseClause),
    conflicts: m.conflicts.map((s) => parseAtom(s)),
    provides: m.provides.map((s) => parseAtom(s)),
    replaces: m.replaces.map((s) => parseAtom(s)),
    manifest,
    size,
    installedSize,
  };
}
