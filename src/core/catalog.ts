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

export function entryKey(e: { name: string; version: string }): string {
  return `${e.name}@${e.version}`;
}

/** An installed package as the solver sees it. */
export interface InstalledPackage extends CatalogEntry {
  /** Asked for by name (kept by autoremove), rather than pulled in as a dependency. */
  requested: boolean;
  /** Kept at its version by `zpkg hold`. */
  held: boolean;
}
