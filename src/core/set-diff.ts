/**
 * What changed between two package sets — two generations of an image, two
 * repositories, two release sets (`ostree diff`, `pkgrepo diff`,
 * `nix store diff-closures`). Pure: each side is a list of package versions
 * with whatever its source knows of their contents (a manifest's paths, a
 * file index's, a catalog's installed size).
 *
 * Per name, with one version on each side at most: `added`, `removed`,
 * `upgraded`, `downgraded`, or `rebuilt` (same version, another manifest).
 * A repository holding several versions of a name is compared version by
 * version (see `diffCatalogs`).
 */
import { compareVersions } from './version.js';

export interface SideEntry {
  name: string;
  version: string;
  /** The manifest's digest, when known: the same version with another one is a rebuild. */
  manifest?: string;
  /** Non-directory paths it delivers, each with a fingerprint of what is there (digest, target) or '' when unknown. */
  paths?: ReadonlyMap<string, string>;
  /** Bytes its files take installed. */
  bytes?: number;
}

export type ChangeKind = 'added' | 'removed' | 'upgraded' | 'downgraded' | 'rebuilt';

export interface PackageChange {
  name: string;
  kind: ChangeKind;
  from: string | null;
  to: string | null;
  /** Non-directory path counts on each side (null: not known). */
  files: { before: number | null; after: number | null };
  bytes: { before: number | null; after: number | null };
  /** Paths between the two versions, when both sides know them (`changed` needs fingerprints on both). */
  paths?: { added: number; removed: number; changed: number };
}

export interface SetDiff {
  changes: PackageChange[];
  /** Packages on both sides at the same version and manifest. */
  unchanged: number;
  totals: Record<ChangeKind, number> & { files: { before: number; after: number }; bytes: { before: number; after: number } };
}

function pathDelta(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): { added: number; removed: number; changed: number } {
  let added = 0;
  let removed = 0;
  let changed = 0;
  for (const [p, fa] of a) {
    const fb = b.get(p);
    if (fb === undefined) removed += 1;
    else if (fa !== '' && fb !== '' && fa !== fb) changed += 1;
  }
  for (const p of b.keys()) if (!a.has(p)) added += 1;
  return { added, removed, changed };
}

function change(kind: ChangeKind, a: SideEntry | undefined, b: SideEntry | undefined): PackageChange {
  const c: PackageChange = {
    name: (a ?? b)!.name,
    kind,
    from: a?.version ?? null,
    to: b?.version ?? null,
    files: { before: a ? (a.paths?.size ?? null) : 0, after: b ? (b.paths?.size ?? null) : 0 },
    bytes: { before: a ? (a.bytes ?? null) : 0, after: b ? (b.bytes ?? null) : 0 },
  };
  if (a?.paths && b?.paths) c.paths = pathDelta(a.paths, b.paths);
  return c;
}

/** Two sets with at most one version of each name. */
export function diffSets(before: readonly SideEntry[], after: readonly SideEntry[]): SetDiff {
  const a = new Map(before.map((e) => [e.name, e]));
  const b = new Map(after.map((e) => [e.name, e]));
  const changes: PackageChange[] = [];
  let unchanged = 0;
  for (const name of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(name);
    const y = b.get(name);
    if (!x) changes.push(change('added', x, y));
    else if (!y) changes.push(change('removed', x, y));
    else {
      const order = compareVersions(x.version, y.version);
      if (order < 0) changes.push(change('upgraded', x, y));
      else if (order > 0) changes.push(change('downgraded', x, y));
      else if (x.manifest && y.manifest && x.manifest !== y.manifest) changes.push(change('rebuilt', x, y));
      else unchanged += 1;
    }
  }
  return { changes, unchanged, totals: totalsOf(changes) };
}

/**
 * Two repositories, which may hold several versions of a name: per name, the
 * newest version on each side is compared (what a solver would pick), and
 * versions only one side holds at all are listed as added or removed.
 */
export function diffCatalogs(before: readonly SideEntry[], after: readonly SideEntry[]): SetDiff & { versions: { added: { name: string; version: string }[]; removed: { name: string; version: string }[] } } {
  const newest = (list: readonly SideEntry[]): SideEntry[] => {
    const best = new Map<string, SideEntry>();
    for (const e of list) {
      const have = best.get(e.name);
      if (!have || compareVersions(e.version, have.version) > 0) best.set(e.name, e);
    }
    return [...best.values()];
  };
  const key = (e: SideEntry): string => `${e.name}\0${e.version}`;
  const inA = new Set(before.map(key));
  const inB = new Set(after.map(key));
  const pick = (e: SideEntry): { name: string; version: string } => ({ name: e.name, version: e.version });
  const order = (x: { name: string; version: string }, y: { name: string; version: string }): number => (x.name < y.name ? -1 : x.name > y.name ? 1 : compareVersions(x.version, y.version));
  return {
    ...diffSets(newest(before), newest(after)),
    versions: { added: after.filter((e) => !inA.has(key(e))).map(pick).sort(order), removed: before.filter((e) => !inB.has(key(e))).map(pick).sort(order) },
  };
}

function totalsOf(changes: readonly PackageChange[]): SetDiff['totals'] {
  const t: SetDiff['totals'] = { added: 0, removed: 0, upgraded: 0, downgraded: 0, rebuilt: 0, files: { before: 0, after: 0 }, bytes: { before: 0, after: 0 } };
  for (const c of changes) {
    t[c.kind] += 1;
    t.files.before += c.files.before ?? 0;
    t.files.after += c.files.after ?? 0;
    t.bytes.before += c.bytes.before ?? 0;
    t.bytes.after += c.bytes.after ?? 0;
  }
  return t;
}
