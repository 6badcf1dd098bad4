/** Types of `debian-index.mjs` (see there for the rule and its reasons). */

/** Where apt keeps its lists: /var/lib/apt/lists. */
export declare const APT_LISTS: string;

export interface FindOptions {
  /** The directory to look in; default APT_LISTS. */
  lists?: string;
  /** Where `ZPKG_PACKAGES_INDEX` is read; default process.env. */
  env?: Record<string, string | undefined>;
}

/** The base suite an index file is named after (`bookworm`), or undefined when it is not a base suite's main amd64 Packages index. */
export declare function baseSuiteOf(path: string): string | undefined;

/**
 * Path of the base suite's main binary-amd64 Packages index (plain, .lz4,
 * .gz or .zst), `$ZPKG_PACKAGES_INDEX` when it names a file, or undefined.
 */
export declare function findPackagesIndex(options?: FindOptions): string | undefined;
