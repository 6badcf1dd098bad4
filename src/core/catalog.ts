/**
 * The catalog model: one entry per package version of a repository, with its
 * relations parsed. This is what the solver reads; it carries no actions.
 */
import type { Digest } from './digest.js';
import type { Atom, Clause } from './relation.js';

export interface CatalogEntry {
  name: string;
  version: string;
  arch: string;
  summary: string;
  depends: Clause[];
  conflicts: Atom[];
  provides: Atom[];
  replaces: Atom[];
  /** Weak dependencies (absent: none): installed only when the image asks for recommends; suggests are only shown. */
  recommends?: Clause[];
  suggests?: Clause[];
  /** Identity of the full manifest; absent in catalog-only repositories (imported indexes). */
  manifest?: Digest;
  /** Compressed bytes to fetch. */
  size: number;
  /** Bytes on disk once installed. */
  installedSize: number;
}

/** A catalog entry as seen through a configured remote. */
export interface Candidate extends CatalogEntry {
  remote: string;
  /** Higher wins for the same name, as apt/apk pin priorities. */
  priority: number;
}

/**
 * The identity of a package version in a repository (its catalog row, its
 * file-index key): `name@version`, and `name@version/arch` for a build of one
 * architecture, so one repository holds the amd64 and the arm64 build of a
 * version side by side. `all` (and a caller that knows no arch) keeps the
 * plain key, the only one repositories had before architectures.
 */
export function entryKey(e: { name: string; version: string; arch?: string }): string {
  return e.arch === undefined || e.arch === 'all' ? `${e.name}@${e.version}` : `${e.name}@${e.version}/${e.arch}`;
}

/** The parts of an entryKey (`/` never occurs in a name or a Debian version). */
export function parseEntryKey(key: string): { name: string; version: string; arch: string } {
  const at = key.indexOf('@');
  const slash = key.indexOf('/', at);
  return { name: key.slice(0, at), version: slash < 0 ? key.slice(at + 1) : key.slice(at + 1, slash), arch: slash < 0 ? 'all' : key.slice(slash + 1) };
}

/** A package's paths in a file index keyed by entryKey; an arch build published before architectures is under the plain key. */
export function indexedPaths<T>(index: ReadonlyMap<string, T>, e: { name: string; version: string; arch?: string }): T | undefined {
  return index.get(entryKey(e)) ?? (e.arch !== undefined && e.arch !== 'all' ? index.get(`${e.name}@${e.version}`) : undefined);
}

/** An installed package as the solver sees it. */
export interface InstalledPackage extends CatalogEntry {
  /** Asked for by name (kept by autoremove), rather than pulled in as a dependency. */
  requested: boolean;
  /** Kept at its version by `zpkg hold`. */
  held: boolean;
}
