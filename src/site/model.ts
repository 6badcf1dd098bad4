/**
 * The catalogue as pages see it: package versions grouped by name (newest
 * first) with their manifests and delivered paths, who provides each virtual
 * name, who depends on each package (through its name or anything it
 * provides), and the release sets. Built once from a SiteInput; no I/O.
 */
import { indexedPaths, type CatalogEntry } from '../core/catalog.js';
import type { Manifest } from '../core/manifest.js';
import { formatClause, providesAtom, type Atom, type Clause } from '../core/relation.js';
import { compareVersions } from '../core/version.js';
import type { SiteInput } from './load.js';
import { releaseSetsOf, type ReleaseSet } from './release-sets.js';

export interface VersionModel {
  entry: CatalogEntry;
  manifest: Manifest | undefined;
  /** Image paths this version delivers (file index; else its manifest). */
  paths: string[];
  /** Releases that pin exactly this version. */
  releases: { set: string; version: string }[];
}

export interface PackageModel {
  name: string;
  /** Newest first. */
  versions: VersionModel[];
}

export interface Provider {
  name: string;
  version: string;
  provide: Atom;
}

export interface Dependent {
  name: string;
  version: string;
  /** The dependency as the dependent declares it. */
  relation: string;
}

export interface SiteModel {
  input: SiteInput;
  /** Package names, sorted. */
  names: string[];
  packages: Map<string, PackageModel>;
  /** Every provided name → who provides it (any version). */
  providers: Map<string, Provider[]>;
  sets: ReleaseSet[];
  /** Packages whose newest version depends on `name` or on a name its newest version provides. */
  dependents(name: string): Dependent[];
  /** The newest version satisfying the atom: the package of that name, else a provider (by name order). */
  resolve(atom: Atom): CatalogEntry | undefined;
  /** The first alternative of a clause that resolves, or undefined. */
  resolveClause(clause: Clause): CatalogEntry | undefined;
  /** Every catalog entry once, and its position there (closures work on these numbers). */
  entries: CatalogEntry[];
  idOf: Map<CatalogEntry, number>;
}

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function pathsOf(manifest: Manifest | undefined): string[] {
  if (!manifest) return [];
  const out: string[] = [];
  for (const a of manifest.actions) if (a.type === 'file' || a.type === 'link' || a.type === 'hardlink' || a.type === 'dir') out.push(a.path);
  return out;
}

export function buildModel(input: SiteInput): SiteModel {
  const packages = new Map<string, PackageModel>();
  for (const entry of input.entries) {
    let p = packages.get(entry.name);
    if (!p) packages.set(entry.name, (p = { name: entry.name, versions: [] }));
    const manifest = entry.manifest ? input.manifests.get(entry.manifest) : undefined;
    p.versions.push({ entry, manifest, paths: indexedPaths(input.files, entry) ?? pathsOf(manifest), releases: [] });
  }
  for (const p of packages.values()) p.versions.sort((a, b) => compareVersions(b.entry.version, a.entry.version));
  const names = [...packages.keys()].sort();

  const providers = new Map<string, Provider[]>();
  for (const name of names) {
    for (const v of packages.get(name)!.versions) {
      for (const provide of v.entry.provides) {
        let list = providers.get(provide.name);
        if (!list) providers.set(provide.name, (list = []));
        list.push({ name, version: v.entry.version, provide });
      }
    }
  }

  // Who depends on each name, from every package's newest version.
  const dependentsOf = new Map<string, Dependent[]>();
  for (const name of names) {
    const newest = packages.get(name)!.versions[0]!.entry;
    for (const clause of newest.depends) {
      const seen = new Set<string>();
      for (const atom of clause) {
        if (seen.has(atom.name)) continue;
        seen.add(atom.name);
        let list = dependentsOf.get(atom.name);
        if (!list) dependentsOf.set(atom.name, (list = []));
        list.push({ name, version: newest.version, relation: formatClause(clause) });
      }
    }
  }

  // Atoms and clauses of a decoded catalog are shared objects (core/catalog-table.ts): they key the caches.
  const resolved = new Map<Atom, CatalogEntry | null>();
  const resolve = (atom: Atom): CatalogEntry | undefined => {
    const key = atom;
    let hit = resolved.get(key);
    if (hit === undefined) {
      hit = packages.get(atom.name)?.versions.find((v) => providesAtom(v.entry, atom))?.entry ?? null;
      if (!hit) {
        for (const pr of providers.get(atom.name) ?? []) {
          const e = packages.get(pr.name)!.versions.find((v) => v.entry.version === pr.version)!.entry;
          if (providesAtom(e, atom)) {
            hit = e;
            break;
          }
        }
      }
      resolved.set(key, hit);
    }
    return hit ?? undefined;
  };

  const sets = releaseSetsOf(names.map((n) => packages.get(n)!), packages);
  for (const set of sets) {
    for (const release of set.releases) {
      for (const m of release.members) {
        const v = packages.get(m.name)?.versions.find((x) => x.entry.version === m.version);
        v?.releases.push({ set: set.name, version: release.version });
      }
    }
  }

  const byClause = new Map<Clause, CatalogEntry | null>();
  const resolveClause = (clause: Clause): CatalogEntry | undefined => {
    let hit = byClause.get(clause);
    if (hit === undefined) {
      hit = null;
      for (const atom of clause) if ((hit = resolve(atom) ?? null)) break;
      byClause.set(clause, hit);
    }
    return hit ?? undefined;
  };

  return {
    input,
    entries: input.entries,
    idOf: new Map(input.entries.map((e, i) => [e, i])),
    names,
    packages,
    providers,
    sets,
    resolve,
    resolveClause,
    dependents(name: string): Dependent[] {
      const out = new Map<string, Dependent>();
      const via = [name, ...(packages.get(name)?.versions[0]?.entry.provides.map((a) => a.name) ?? [])];
      for (const n of via) for (const d of dependentsOf.get(n) ?? []) if (d.name !== name && !out.has(d.name)) out.set(d.name, d);
      return [...out.values()].sort(byName);
    },
  };
}
