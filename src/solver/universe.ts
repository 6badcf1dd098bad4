/**
 * The view of packages the solver reasons over. A *solvable* is one package
 * version, named by a small integer id; relations are answered as arrays of
 * ids so that the SAT engine never touches strings.
 */
import type { Candidate, CatalogEntry } from '../core/catalog.js';
import type { Atom } from '../core/relation.js';

export interface Universe {
  /** Solvables are 0 .. size-1. */
  readonly size: number;
  entry(s: number): CatalogEntry | Candidate;
  /** Solvables satisfying the atom (by name or provides), most preferred first. */
  resolve(atom: Atom): Int32Array;
  /** For each `depends` clause of s (aligned with `entry(s).depends`), its providers, most preferred first. */
  deps(s: number): readonly Int32Array[];
  /** Solvables that may not be installed together with s because one declares a conflict on the other; never s. */
  partners(s: number): Int32Array;
  /** The other versions of s's name. */
  siblings(s: number): Int32Array;
  /** The solvables whose own name is `name`, most preferred first. */
  named(name: string): Int32Array;
  /** The solvable with exactly this name and version, or -1. */
  find(name: string, version: string): number;
}

export const EMPTY: Int32Array = new Int32Array(0);

/** Priority of an entry: a Candidate's remote priority, 0 for a bare catalog entry. */
export function priorityOf(e: CatalogEntry | Candidate): number {
  return 'priority' in e && typeof e.priority === 'number' ? e.priority : 0;
}
