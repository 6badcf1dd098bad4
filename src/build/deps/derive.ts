/**
 * Relations derived from what a package ships (rpm's find-provides/find-requires,
 * IPS's pkgdepend, dpkg-shlibdeps):
 *
 * provides
 * - `so:SONAME` and `so:SONAME(VER)` for every non-base version it defines, for
 *   each ELF shared object with a DT_SONAME in a library directory
 *   (places.ts: `lib`, `usr/lib`, `usr/local/lib`, their 32/64/x32 twins and
 *   one multiarch level below);
 * - `file:/PATH` for every file, hard link or symlink in a command directory
 *   (`bin`, `sbin`, `usr/bin`, `usr/sbin`, `usr/local/{bin,sbin}`) and for every
 *   dynamic loader (`ld-*.so*` in a library directory), as IPS does for its
 *   file dependencies: the capability is the path itself, so a dependency
 *   names no package and any package shipping the path satisfies it.
 *
 * depends
 * - `so:N` for each DT_NEEDED `N` of every ELF file, and `so:N(VER)` for each
 *   version it needs from `N` — except weak ones (VER_FLG_WEAK: the loader
 *   accepts their absence, so rpm's elfdeps drops them too);
 * - `file:/INTERP` for an ELF file's PT_INTERP, and for the `#!` interpreter
 *   of an executable script (`#!/usr/bin/env python3` → `file:/usr/bin/env`).
 *
 * A need on an assumed path (ASSUMED_PATHS: `/bin/sh`) is never derived.
 * A need the package meets itself is dropped: `so:N…` when any of its files is
 * named `N` or has soname `N` (wherever it lies: private libraries found through
 * RUNPATH count), `file:/P` when it ships `P`. ELF files the reader refuses are
 * skipped with a warning, never fatal: a test fixture must not break a build.
 */
import type { Digest } from '../../core/digest.js';
import type { PathAction } from '../../core/manifest.js';
import { isRelationName } from '../../core/relation.js';
import { baseOf, dirOf, isBinDir, isLibDir, isLoader } from './places.js';
import { scanFile } from './scan.js';

export interface DeriveOptions {
  /** Default true; false derives nothing (a recipe's switch). */
  enabled?: boolean;
  /** Derive `#!` interpreter dependencies (default true; Debian imports declare theirs). */
  scripts?: boolean;
  /** Interpreter paths every image is assumed to have; no dependency is derived on them. Default ASSUMED_PATHS. */
  assumed?: readonly string[];
}

/**
 * POSIX promises `/bin/sh`, and every target image has one outside zpkg's
 * packages (zos: busybox in the initramfs; Debian: an essential package), so
 * a `#!/bin/sh` script depends on nothing (as dpkg, unlike rpm, decides).
 */
export const ASSUMED_PATHS: readonly string[] = ['/bin/sh'];

/** One need of one file, before the package's own provides are taken off. */
export interface FileNeed {
  path: string;
  relation: string;
}

export interface DerivedRelations {
  /** Sorted, unique. */
  provides: string[];
  /** Sorted, unique; the package's own provides removed. */
  depends: string[];
  /** Every need of every file, own ones included (lint reports by path). */
  needs: FileNeed[];
  warnings: string[];
}

const NONE: DerivedRelations = { provides: [], depends: [], needs: [], warnings: [] };

/**
 * `actions` are the package's path actions; `contentOf` gives a local file
 * holding a file action's content (packTree's and the .deb reader's blob maps).
 */
export function deriveRelations(actions: readonly PathAction[], contentOf: ReadonlyMap<Digest, string>, options: DeriveOptions = {}): DerivedRelations {
  if (options.enabled === false) return NONE;
  const provides = new Set<string>();
  const needs: FileNeed[] = [];
  const warnings: string[] = [];
  const assumed = new Set((options.assumed ?? ASSUMED_PATHS).map((p) => `file:${p}`));
  const ownNames = new Set<string>();
  const ownPaths = new Set<string>();
  const add = (set: Set<string>, relation: string, path: string): void => {
    if (isRelationName(relation)) set.add(relation);
    else warnings.push(`${path}: \`${relation}\` cannot be written as a relation name; left out`);
  };
  const need = (path: string, relation: string): void => {
    if (assumed.has(relation)) return;
    if (isRelationName(relation)) needs.push({ path, relation });
    else warnings.push(`${path}: needs \`${relation}\`, which cannot be written as a relation name; left out`);
  };
  for (const a of actions) {
    if (a.type === 'dir') continue;
    ownPaths.add(`/${a.path}`);
    ownNames.add(baseOf(a.path));
    if (isBinDir(dirOf(a.path)) || isLoader(a.path)) add(provides, `file:/${a.path}`, a.path);
  }
  for (const a of actions) {
    if (a.type !== 'file') continue;
    const local = contentOf.get(a.digest);
    if (local === undefined) continue;
    const seen = scanFile(local);
    if (seen.kind === 'bad-elf') warnings.push(`${a.path}: ${seen.reason.replace(`${local}: `, '')}; no relations derived from it`);
    else if (seen.kind === 'script') {
      if (options.scripts !== false && (parseInt(a.mode, 8) & 0o111) !== 0) need(a.path, `file:${seen.interpreter}`);
    } else if (seen.kind === 'elf') {
      const { elf } = seen;
      if (elf.soname !== undefined) {
        ownNames.add(elf.soname);
        if (elf.type === 'DYN' && isLibDir(dirOf(a.path))) {
          add(provides, `so:${elf.soname}`, a.path);
          for (const d of elf.versionDefs) if (!d.base) add(provides, `so:${elf.soname}(${d.name})`, a.path);
        }
      }
      if (elf.interpreter !== undefined) need(a.path, `file:${elf.interpreter}`);
      for (const n of elf.needed) need(a.path, `so:${n}`);
      for (const vn of elf.versionNeeds) for (const v of vn.versions) if (!vn.weak.includes(v)) need(a.path, `so:${vn.file}(${v})`);
    }
  }
  const own = (relation: string): boolean => {
    if (provides.has(relation)) return true;
    if (relation.startsWith('file:')) return ownPaths.has(relation.slice(5));
    const lib = relation.slice(3).replace(/\(.*\)$/, '');
    return ownNames.has(lib);
  };
  const depends = new Set(needs.map((n) => n.relation).filter((r) => !own(r)));
  return { provides: [...provides].sort(), depends: [...depends].sort(), needs, warnings };
}

/**
 * The declared relations plus the derived ones, each once, declared first.
 * A derived depend is left out when a declared clause already names it alone.
 */
export function mergeRelations(declared: { provides: string[]; depends: string[] }, derived: DerivedRelations): { provides: string[]; depends: string[] } {
  const provides = [...declared.provides];
  for (const p of derived.provides) if (!provides.includes(p)) provides.push(p);
  const depends = [...declared.depends];
  for (const d of derived.depends) if (!depends.includes(d)) depends.push(d);
  return { provides, depends };
}
