/**
 * `file:` capabilities under the image's directory links. A `file:/P`
 * capability is the path itself (build/deps/derive.ts), so on a merged /usr —
 * `lib64` → `usr/lib64`, `bin` → `usr/bin` — one file answers to two names:
 * Debian ≥ 13's libc6 ships `usr/lib64/ld-linux-x86-64.so.2`, and every ELF
 * object names its loader `/lib64/ld-linux-x86-64.so.2`; a bookworm package's
 * `bin/bash` lands in `usr/bin/bash`, which a script of another package may
 * name. A package delivering one name provides the other too, but only where
 * the image has the link: without it the other name does not exist, and a
 * dependency on it must stay unmet.
 */
import { CatalogRow } from './catalog-table.js';
import type { Atom } from './relation.js';

/** The image's directory links: link path → the directory it reaches (image paths, no leading `/`). */
export type DirectoryLinks = ReadonlyMap<string, string>;

/**
 * The merged-/usr layout (Debian's DEP17, Fedora's UsrMove, Arch): the
 * aliases `repo check --merged-usr` checks a repository against, as an image
 * holding these links would see it.
 */
export const MERGED_USR: DirectoryLinks = new Map(['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'].map((d) => [d, `usr/${d}`]));

/** The other names of image path `path` (no leading `/`) through `links`, in both directions. */
export function aliasesOf(path: string, links: DirectoryLinks): string[] {
  const out: string[] = [];
  for (const [link, dir] of links) {
    if (path.startsWith(`${dir}/`)) out.push(`${link}${path.slice(dir.length)}`);
    else if (path.startsWith(`${link}/`)) out.push(`${dir}${path.slice(link.length)}`);
  }
  return out;
}

/** `provides` with each `file:/P` followed by its aliases (unversioned, as file capabilities are); the same array when none is added. */
export function withFileAliases(provides: Atom[], links: DirectoryLinks): Atom[] {
  if (links.size === 0) return provides;
  let out: Atom[] | undefined;
  const have = new Set<string>();
  for (const p of provides) if (p.name.startsWith('file:/')) have.add(p.name);
  for (const p of provides) {
    if (!p.name.startsWith('file:/')) continue;
    for (const alias of aliasesOf(p.name.slice(6), links)) {
      const name = `file:/${alias}`;
      if (have.has(name)) continue;
      have.add(name);
      (out ??= [...provides]).push({ name });
    }
  }
  return out ?? provides;
}

const ORIGINAL = Symbol('entry before file aliases');

/**
 * Entries whose `file:` provides gained aliases are plain copies (a catalog
 * row, a view over its table's columns, becomes its plain entry, so the pool
 * reads the copy's provides, not the table's); the others are returned as
 * they are. The aliases belong to this image's solve only: what a package
 * declares is read back with `declaredEntry`.
 */
export function entriesWithFileAliases<T extends { provides: Atom[] }>(entries: readonly T[], links: DirectoryLinks): T[] {
  if (links.size === 0) return entries as T[];
  return entries.map((e) => {
    const provides = withFileAliases(e.provides, links);
    if (provides === e.provides) return e;
    const plain = (e instanceof CatalogRow ? e.toJSON() : e) as T;
    // Symbol-keyed: a spread copy (solver/overlaps.ts) keeps it, JSON never shows it.
    return { ...plain, provides, [ORIGINAL]: e };
  });
}

/** The entry as its package declares it: without the aliases `entriesWithFileAliases` added. */
export function declaredEntry<T extends object>(e: T): T {
  return ((e as Record<symbol, unknown>)[ORIGINAL] as T | undefined) ?? e;
}
