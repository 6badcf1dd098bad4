/**
 * The target of a transaction: the one hand-off between whatever decides what
 * the image should hold (the solver for install, remove and update; a list for
 * sync; a generation for rollback; verify for fix) and `prepare`, which fetches
 * what it needs. A target names packages by manifest digest and remote; it
 * holds no manifests and has done no I/O against a repository.
 */
import type { Digest } from '../core/digest.js';
import type { FacetSettings } from '../core/facets.js';
import type { GenerationPackage, PackageRow } from '../image/state.js';

/**
 * A package version to land: new, replacing an installed version (`from`), or
 * rewriting some paths of the installed version (`repair`).
 */
export interface Landing extends Omit<GenerationPackage, 'manifest'> {
  /** Absent for an entry of a catalog-only repository: it can be planned, never installed. */
  manifest: Digest | undefined;
  from?: PackageRow;
  /**
   * `fix`: only these paths of the installed version are written again; no hooks run.
   * `revert`: config files among them are written even when changed locally, the local one kept as `PATH.zpkg-old`.
   */
  repair?: { paths: ReadonlySet<string>; revert?: true };
}

export interface Target {
  /** The command line, recorded with the transaction. */
  command: string;
  land: Landing[];
  remove: PackageRow[];
  /** Requested flags of the resulting set, recorded with the commit. */
  flags: { name: string; requested: boolean }[];
  /** Remove changed config files too. */
  purge?: boolean;
  /** `change-facet`: the facets the image holds after it (`effective`), and the settings recorded in state.db with the commit (`record`). */
  facets?: { effective: FacetSettings; record: FacetSettings };
  /** `set-mediator`: the implementation chosen per mediator after it, recorded in state.db with the commit. */
  mediators?: { record: Readonly<Record<string, string>> };
  /** Notes about the target for the person (a forced removal that breaks dependents, say). */
  warnings?: string[];
}
