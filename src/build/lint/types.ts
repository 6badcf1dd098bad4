/** What `zpkg lint` works on and what it finds. */
import type { Digest } from '../../core/digest.js';
import type { Atom } from '../../core/relation.js';
import type { Manifest } from '../../core/manifest.js';

export type Severity = 'error' | 'warning';

/**
 * Stable codes (never renumbered), each with its severity:
 *   L_OVERLAP          error    two packages of the set deliver one path (install would refuse them together)
 *   L_DIR_MISMATCH     error    two packages declare one directory with different mode or owner
 *   L_DEP_UNMET        error    a depends clause nothing in the set or the repositories satisfies
 *   L_SO_UNMET         error    an ELF file needs a library or symbol version nothing provides
 *   L_WORLD_WRITABLE   warning  a file, or a directory without the sticky bit, writable by everyone
 *   L_SETUID           warning  a setuid or setgid file
 *   L_PATH_UNUSUAL     warning  a path outside the usual hierarchy (FHS top-level and /usr directories)
 *   L_NO_LICENSE       warning  the package names no license
 *   L_ELF_UNREADABLE   warning  an ELF file the reader refuses: nothing derived from it
 */
export type FindingCode = 'L_OVERLAP' | 'L_DIR_MISMATCH' | 'L_DEP_UNMET' | 'L_SO_UNMET' | 'L_WORLD_WRITABLE' | 'L_SETUID' | 'L_PATH_UNUSUAL' | 'L_NO_LICENSE' | 'L_ELF_UNREADABLE';

export const SEVERITY: Record<FindingCode, Severity> = {
  L_OVERLAP: 'error',
  L_DIR_MISMATCH: 'error',
  L_DEP_UNMET: 'error',
  L_SO_UNMET: 'error',
  L_WORLD_WRITABLE: 'warning',
  L_SETUID: 'warning',
  L_PATH_UNUSUAL: 'warning',
  L_NO_LICENSE: 'warning',
  L_ELF_UNREADABLE: 'warning',
};

export interface Finding {
  code: FindingCode;
  severity: Severity;
  /** `name version` of the package. */
  package: string;
  /** The image path concerned, when there is one. */
  path?: string;
  message: string;
  hint: string;
}

/** One package under lint: its manifest and, where available, local files holding its contents. */
export interface LintPackage {
  manifest: Manifest;
  /** Where it came from: a recipe directory, a repository. */
  origin: string;
  contentOf: ReadonlyMap<Digest, string>;
}

/** Something that may satisfy a relation: a package of the set or of a repository. */
export interface Satisfier {
  name: string;
  version: string;
  provides: readonly Atom[];
}
