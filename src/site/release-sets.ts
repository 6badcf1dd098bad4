/**
 * Release sets as the catalogue shows them (the zos release-tag model): a
 * package that delivers nothing itself and whose every dependency pins one
 * exact version (`name (= version)`) — what `zpkg sync --set` applies. Each
 * qualifying version is a release; a release is compared with the one before
 * it (by version order) to say what changed. A pin the repository cannot
 * satisfy is kept and marked missing: the page shows it, it does not hide it.
 */
import type { CatalogEntry } from '../core/catalog.js';
import type { Manifest } from '../core/manifest.js';
import { compareVersions } from '../core/version.js';

/** The part of a package (model.ts's PackageModel) release sets read: its versions, newest first. */
export interface PackageVersions {
  name: string;
  versions: readonly { entry: CatalogEntry; manifest: Manifest | undefined }[];
}

export type Change = 'new' | 'upgraded' | 'downgraded' | 'same';

export interface Member {
  name: string;
  version: string;
  /** Undefined when the repository does not hold that version. */
  entry: CatalogEntry | undefined;
  change: Change;
  /** The version in the previous release, when it had this package. */
  from?: string;
}

export interface Release {
  set: string;
  version: string;
  entry: CatalogEntry;
  members: Member[];
  /** Packages of the previous release this one no longer holds. */
  removed: { name: string; version: string }[];
  previous: string | undefined;
  download: number;
  installed: number;
}

export interface ReleaseSet {
  name: string;
  summary: string;
  /** Newest first. */
  releases: Release[];
}

/** Whether one package version is a release: it ships no path and pins only exact versions. */
export function isRelease(entry: CatalogEntry, manifest: Manifest | undefined): boolean {
  if (entry.depends.length === 0) return false;
  if (!entry.depends.every((c) => c.length === 1 && c[0]!.constraint?.op === '=')) return false;
  return manifest ? !manifest.actions.some((a) => a.type === 'file' || a.type === 'link' || a.type === 'hardlink') : entry.installedSize === 0;
}

export function releaseSetsOf(packages: readonly PackageVersions[], byName: ReadonlyMap<string, PackageVersions>): ReleaseSet[] {
  const sets: ReleaseSet[] = [];
  for (const p of packages) {
    const qualifying = p.versions.filter((v) => isRelease(v.entry, v.manifest));
    if (qualifying.length === 0 || !isRelease(p.versions[0]!.entry, p.versions[0]!.manifest)) continue;
    const oldestFirst = [...qualifying].reverse();
    const releases: Release[] = [];
    let before: Map<string, string> | undefined;
    let previous: string | undefined;
    for (const v of oldestFirst) {
      const pins = new Map<string, string>();
      for (const c of v.entry.depends) pins.set(c[0]!.name, c[0]!.constraint!.version);
      const members: Member[] = [];
      let download = v.entry.size;
      let installed = v.entry.installedSize;
      for (const [name, version] of [...pins].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
        const entry = byName.get(name)?.versions.find((x) => x.entry.version === version)?.entry;
        const old = before?.get(name);
        const change: Change = before === undefined || old === undefined ? 'new' : old === version ? 'same' : compareVersions(version, old) > 0 ? 'upgraded' : 'downgraded';
        members.push({ name, version, entry, change, ...(old !== undefined && old !== version ? { from: old } : {}) });
        download += entry?.size ?? 0;
        installed += entry?.installedSize ?? 0;
      }
      const removed = before ? [...before].filter(([n]) => !pins.has(n)).map(([name, version]) => ({ name, version })) : [];
      releases.push({ set: p.name, version: v.entry.version, entry: v.entry, members, removed, previous, download, installed });
      before = pins;
      previous = v.entry.version;
    }
    sets.push({ name: p.name, summary: p.versions[0]!.entry.summary, releases: releases.reverse() });
  }
  return sets;
}
