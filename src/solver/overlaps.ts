/**
 * File overlaps as relations. Two packages that deliver the same path (not a
 * directory: those are shared) cannot be installed together unless one
 * `replaces` the other — IPS's overlap rule. So that the solver sees it while
 * it chooses, rather than a later step refusing its plan, every overlap
 * becomes an implicit conflict on one of the two entries; an explanation that
 * ends in such a conflict names the path instead. Pure: the paths come from
 * the caller (a repository's file index, an image's file table).
 */
import type { CatalogEntry } from '../core/catalog.js';
import { providesAtom, type Atom } from '../core/relation.js';

export interface Overlap {
  /** An image path both deliver. */
  path: string;
  /** How many paths they share in all. */
  count: number;
  a: { name: string; version: string };
  b: { name: string; version: string };
}

/** The paths an entry delivers (files and links, not directories), when known. */
export type PathsOf = (entry: { name: string; version: string }) => readonly string[] | undefined;

function replaces(x: CatalogEntry, y: CatalogEntry): boolean {
  return x.replaces.some((r) => providesAtom(y, r));
}

/** A plain copy of an entry (catalog rows are views with getters) with more conflicts. */
function withConflicts<T extends CatalogEntry>(e: T, more: Atom[]): T {
  // A plain entry is spread (so a copy made for this image's file aliases keeps its link to what was declared).
  if (Object.getPrototypeOf(e) === Object.prototype) return { ...e, conflicts: [...e.conflicts, ...more] };
  const copy = { name: e.name, version: e.version, arch: e.arch, summary: e.summary, depends: e.depends, conflicts: [...e.conflicts, ...more], provides: e.provides, replaces: e.replaces, size: e.size, installedSize: e.installedSize } as CatalogEntry;
  if (e.manifest !== undefined) copy.manifest = e.manifest;
  for (const k of ['remote', 'priority', 'requested', 'held'] as const) if (k in e) (copy as unknown as Record<string, unknown>)[k] = (e as unknown as Record<string, unknown>)[k];
  return copy as T;
}

/**
 * Every overlap between `entries` (and with `fixed`, entries that cannot be
 * changed — the installed set), as conflicts on the first entry of each
 * pair: entries comes back with those added (unchanged entries are the same
 * objects). Two versions of one name never meet, so they never overlap.
 *
 * An entry that is a fixed entry's name and version (an installed version a
 * remote still offers) delivers what the fixed one does — `pathsOf` answers
 * by name and version — so its paths are not indexed: its overlaps with
 * other entries are found through the fixed entry, whose conflict atom
 * (`name = version`) is the same, and like two fixed entries, two installed
 * versions never pair. On an image holding one package of 100,000 files, the
 * index had taken 0.1 s of every transaction for that package alone.
 */
export function addOverlapConflicts<T extends CatalogEntry>(entries: readonly T[], pathsOf: PathsOf, fixed: readonly CatalogEntry[] = []): { entries: T[]; overlaps: Overlap[] } {
  const byPath = new Map<string, { e: CatalogEntry; own: boolean }[]>();
  const fixedVersions = new Set(fixed.map((f) => `${f.name}\0${f.version}`));
  for (const e of entries) {
    if (fixedVersions.has(`${e.name}\0${e.version}`)) continue;
    for (const p of pathsOf(e) ?? []) {
      const list = byPath.get(p);
      if (list) list.push({ e, own: true });
      else byPath.set(p, [{ e, own: true }]);
    }
  }
  // Two fixed entries never make a pair, so a fixed entry's path counts only where an entry delivers it too.
  for (const e of fixed) for (const p of pathsOf(e) ?? []) byPath.get(p)?.push({ e, own: false });
  const pairs = new Map<string, Overlap & { x: CatalogEntry; y: CatalogEntry }>();
  for (const [path, owners] of byPath) {
    if (owners.length < 2) continue;
    for (let i = 0; i < owners.length; i++) {
      for (let j = i + 1; j < owners.length; j++) {
        let [x, y] = [owners[i]!, owners[j]!];
        if (x.e.name === y.e.name || (!x.own && !y.own)) continue;
        if (!x.own) [x, y] = [y, x];
        if (replaces(x.e, y.e) || replaces(y.e, x.e)) continue;
        const key = `${x.e.name}@${x.e.version}\0${y.e.name}@${y.e.version}`;
        const have = pairs.get(key);
        if (have) have.count += 1;
        else pairs.set(key, { path, count: 1, a: { name: x.e.name, version: x.e.version }, b: { name: y.e.name, version: y.e.version }, x: x.e, y: y.e });
      }
    }
  }
  if (pairs.size === 0) return { entries: [...entries], overlaps: [] };
  const more = new Map<CatalogEntry, Atom[]>();
  for (const o of pairs.values()) {
    const list = more.get(o.x) ?? [];
    list.push({ name: o.y.name, constraint: { op: '=', version: o.y.version } });
    more.set(o.x, list);
  }
  return {
    entries: entries.map((e) => (more.has(e) ? withConflicts(e, more.get(e)!) : e)),
    overlaps: [...pairs.values()].map(({ path, count, a, b }) => ({ path, count, a, b })),
  };
}

/** Says why, where an explanation's conflict is an overlap: the path both deliver. */
export function explainOverlaps(explanation: readonly string[], overlaps: readonly Overlap[]): string[] {
  if (overlaps.length === 0) return [...explanation];
  return explanation.map((line) => {
    if (!line.includes(' conflicts with ')) return line;
    const o = overlaps.find((x) => line.includes(`\`${x.a.name} ${x.a.version}\``) && line.includes(`\`${x.b.name} ${x.b.version}\``));
    if (!o) return line;
    const more = o.count > 1 ? ` (and ${o.count - 1} more path${o.count > 2 ? 's' : ''})` : '';
    return `${line.replace(/ \(it conflicts with `[^`]*`\)$/, '').replace(' conflicts with ', ' and ')} both deliver \`/${o.path}\`${more}`;
  });
}
