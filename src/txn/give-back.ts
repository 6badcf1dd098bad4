/**
 * Files a package took over (`replaces`) go back to the package it took them
 * from when it goes: removed, rolled back, or upgraded to a version that no
 * longer delivers them. The package they came from still declares them, so
 * leaving them deleted would leave it installed without them (`verify`:
 * missing) — dpkg forgets such a file, and a rollback to before the takeover
 * would not be the generation it names. The staying package lands as a
 * repair (no hooks) that writes exactly those paths again from its own blobs.
 *
 * Only packages the leaving one `replaces` are asked (the only ones it can
 * have taken files from), and only when they stay as they are; a merged
 * /usr's link taken over from the adopted base goes back by its own rule
 * (changeset.ts: returnToBase).
 */
import type Database from 'better-sqlite3';
import { isPathAction } from '../core/manifest.js';
import { withoutPaths } from '../core/mediators.js';
import { parseAtom, providesAtom } from '../core/relation.js';
import { filesOf, getPackage, type PackageRow } from '../image/state.js';
import type { Target } from './target.js';
import type { PreparedPackage } from './types.js';

/** A staying package that may get paths back, and the paths of the leaving packages that may be its. */
export interface GiveBackCandidate {
  owner: PackageRow;
  /** Paths going with their package (or its old version) that `owner` may deliver. */
  going: Set<string>;
}

/**
 * Who may get files back in this target: the installed packages the leaving
 * ones (`target.remove`, and upgrades whose new version in `landing` drops
 * paths) name in `replaces`, that neither land nor leave here and came from
 * a repository. Read from the state only: their manifests are read by the
 * caller, and `giveBack` decides.
 */
export function giveBackCandidates(db: Database.Database, target: Target, landing: readonly PreparedPackage[]): GiveBackCandidate[] {
  const changing = new Set([...target.land.map((l) => l.name), ...target.remove.map((r) => r.name)]);
  const byOwner = new Map<string, GiveBackCandidate>();
  const leaving = [
    ...target.remove.map((r) => ({ row: r, keeps: new Set<string>() })),
    ...landing.filter((p) => p.from && !p.repair).map((p) => ({ row: p.from!, keeps: new Set(p.manifest.actions.filter(isPathAction).map((a) => a.path)) })),
  ];
  for (const { row, keeps } of leaving) {
    const atoms = row.relations.replaces.map((r) => parseAtom(r)).filter((a) => !changing.has(a.name));
    if (atoms.length === 0) continue;
    const going = filesOf(db, row.name).filter((f) => !keeps.has(f.path));
    if (going.length === 0) continue;
    for (const atom of atoms) {
      const owner = getPackage(db, atom.name);
      // As the takeover was decided (changeset.ts: replacesOwner): `replaces: foo (<< 2)` never took foo 2's files.
      if (!owner || owner.remote === null || !providesAtom({ name: owner.name, version: owner.version, provides: [] }, atom)) continue;
      const name = owner.name;
      const c = byOwner.get(name) ?? { owner, going: new Set<string>() };
      for (const f of going) c.going.add(f.path);
      byOwner.set(name, c);
    }
  }
  return [...byOwner.values()];
}

/**
 * The repair landing that gives `c.owner` its paths back, from its prepared
 * manifest (`prepared`: the installed version, as a repair), or undefined when
 * it delivers none of them. Its manifest keeps only the paths it owns now and
 * the ones it gets back: a path another staying package took over stays that
 * package's.
 */
export function giveBack(db: Database.Database, c: GiveBackCandidate, prepared: PreparedPackage): PreparedPackage | undefined {
  const own = new Set(filesOf(db, c.owner.name).map((f) => f.path));
  const back = new Set<string>();
  const foreign = new Set<string>();
  for (const a of prepared.manifest.actions) {
    if (!isPathAction(a) || a.type === 'dir' || own.has(a.path)) continue;
    if (c.going.has(a.path)) back.add(a.path);
    else foreign.add(a.path);
  }
  if (back.size === 0) return undefined;
  return { ...prepared, manifest: withoutPaths(prepared.manifest, foreign), repair: { paths: back, back: true } };
}
