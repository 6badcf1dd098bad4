/**
 * The solver's public types: what the CLI and `txn/` hand to `solve` and get
 * back. Vocabulary as in DESIGN.md: a *candidate* is a catalog entry seen
 * through a remote; the *installed set* is the image's packages with their
 * `requested` / `held` flags; a *plan* is the change from the installed set to
 * the solved set.
 */
import type { Candidate, CatalogEntry, InstalledPackage } from '../core/catalog.js';
import type { Atom } from '../core/relation.js';

export type { InstalledPackage };

export interface SolveRequest {
  /** Install (or keep installed) something satisfying each atom; what is chosen becomes `requested`. */
  install?: Atom[];
  /** Installed package names to remove. */
  remove?: string[];
  /** `true`: every installed package not held; a list: those names. */
  update?: true | string[];
}

export interface SolvePolicy {
  /**
   * `remove` may also remove installed packages that would break: keeping an
   * installed package becomes a preference rather than a rule.
   */
  cascade?: boolean;
  /** After solving, remove packages neither requested, held, nor needed by those. */
  autoremove?: boolean;
  /**
   * Installed packages that stay installed whatever else happens (at some
   * version), even under `cascade`, and that autoremove keeps as roots.
   */
  protected?: readonly string[];
  /**
   * Installed packages a candidate renames (replaces and conflicts with them:
   * solver/supersede.ts) that may go where keeping them would hold an update
   * back; keeping them stays a preference.
   */
  supersede?: readonly string[];
}

/** A package the plan installs: never an installed one, so always a candidate of some remote. */
export interface PlanStep {
  name: string;
  version: string;
  entry: Candidate;
}

export interface PlanChange {
  name: string;
  from: string;
  to: string;
  entry: Candidate;
}

export interface Plan {
  /** New packages, dependencies before their dependents (a cycle in a stable order). */
  install: PlanStep[];
  upgrade: PlanChange[];
  downgrade: PlanChange[];
  remove: { name: string; version: string }[];
  /** Final package set after the plan, with requested flags, sorted by name. */
  result: { name: string; version: string; requested: boolean }[];
}

export type SolveResult =
  | { ok: true; plan: Plan }
  | { ok: false; code: 'E_UNSATISFIABLE'; message: string; explanation: string[] };

/** One package `checkInstallable` found impossible to install on an empty image. */
export interface Uninstallable {
  name: string;
  version: string;
  /** The reasons in plain words, as in a failed `solve`. */
  reason: string[];
}
