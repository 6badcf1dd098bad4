/**
 * The target of a transaction: the one hand-off between whatever decides what
 * the image should hold (the solver for install, remove and update; a list for
 * sync; a generation for rollback; verify for fix) and `prepare`, which fetches
 * what it needs. A target names packages by manifest digest and remote; it
 * holds no manifests and has done no I/O against a repository.
 */
import { declaredEntry } from '../core/file-aliases.js';
import type { CatalogEntry } from '../core/catalog.js';
import type { Digest } from '../core/digest.js';
import { formatAtom, formatClause } from '../core/relation.js';
import type { FacetSettings } from '../core/facets.js';
import type { GenerationPackage, PackageRow } from '../image/state.js';
import type { WeakOutcome } from './recommends.js';

/**
 * A package version to land: new, replacing an installed version (`from`), or
 * rewriting some paths of the installed version (`repair`).
 */
export interface Landing extends Omit<GenerationPackage, 'manifest'> {
  /** Absent for an entry of a catalog-only repository: it can be planned, never installed. */
  manifest: Digest | undefined;
  from?: PackageRow;
  /** The relations the catalog gave the solver (absent when the landing came from elsewhere: a generation, a repair): the manifest must say the same. */
  catalog?: Relations;
  /**
   * `fix`: only these paths of the installed version are written again; no hooks run.
   * `revert`: config files among them are written even when changed locally, the local one kept as `PATH.zpkg-old`.
   * `back`: they come back from a leaving package that took them over (give-back.ts).
   */
  repair?: { paths: ReadonlySet<string>; revert?: true; back?: true };
}

export interface Target {
  /** The command line, recorded with the transaction. */
  command: string;
  land: Landing[];
  remove: PackageRow[];
  /** Removed name → the landing package that renames it (solver/supersede.ts): update removes those, apt's way. */
  replacedBy?: Record<string, string>;
  /** Requested flags of the resulting set, recorded with the commit. */
  flags: { name: string; requested: boolean }[];
  /** Remove changed config files too. */
  purge?: boolean;
  /** Recommends installed or skipped and suggests, of what the target lands (txn/recommends.ts). */
  weak?: WeakOutcome;
  /** `change-facet`: the facets the image holds after it (`effective`), and the settings recorded in state.db with the commit (`record`). */
  facets?: { effective: FacetSettings; record: FacetSettings };
  /** `set-mediator`: the implementation chosen per mediator after it, recorded in state.db with the commit. */
  mediators?: { record: Readonly<Record<string, string>> };
  /** Notes about the target for the person (a forced removal that breaks dependents, say). */
  warnings?: string[];
}

/** A package's relations in their canonical text (as a manifest stores them). */
export interface Relations {
  depends: string[];
  conflicts: string[];
  provides: string[];
  replaces: string[];
}

/** The relations of a catalog entry, in a manifest's canonical text. */
export function catalogRelations(solved: CatalogEntry): Relations {
  // What the catalog says, not the image's file aliases the solve saw (core/file-aliases.ts).
  const entry = declaredEntry(solved);
  return { depends: entry.depends.map(formatClause), conflicts: entry.conflicts.map(formatAtom), provides: entry.provides.map(formatAtom), replaces: entry.replaces.map(formatAtom) };
}
