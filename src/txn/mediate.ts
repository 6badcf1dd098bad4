/**
 * The mediation step of prepare: which implementation of each mediator the
 * image holds after this transaction (core/mediators.ts), and the package
 * changes that follow. Landing packages lose the links of implementations not
 * chosen; an installed package that does not land but whose links change
 * (it becomes the chosen implementation because the old one goes or was
 * outranked, or it stops being chosen) lands as a repair of exactly those
 * links, so one transaction moves the links from one package to another.
 *
 * The installed set's manifests are read (from the cache) only when the
 * transaction involves a mediator: a landing package, the version it
 * replaces or a leaving package delivers a mediated link, or `set-mediator`
 * changes a choice.
 */
import type { Digest } from '../core/digest.js';
import { excludedPaths, type FacetSettings } from '../core/facets.js';
import { hasMediated, mediate, mediatedLinks, withoutPaths, type Mediation } from '../core/mediators.js';
import { isPathAction, type Manifest } from '../core/manifest.js';
import { cachedManifestFlags, cachedManifestOrNone } from '../image/cache.js';
import type { Image } from '../image/image.js';
import { readMediatorChoices } from '../image/mediator-state.js';
import { filesOf, listPackages, type PackageRow } from '../image/state.js';
import type { Target } from './target.js';
import type { PreparedPackage } from './types.js';

export interface MediationStep {
  mediations: Mediation[];
  /** Installed packages to land as repairs of their mediated links. */
  repairs: { name: string; add: Set<string> }[];
  excluded: Map<string, Set<string>>;
}

/**
 * An installed package's cached manifest, or undefined when the cache lost it
 * or it is damaged: such a package counts as delivering no mediated link
 * (`verify` reports it; `fix` fetches it again) rather than stopping every
 * transaction of the image.
 */
function cached(image: Image, digest: Digest): Manifest | undefined {
  try {
    return cachedManifestOrNone(image.paths.cache, digest);
  } catch {
    return undefined;
  }
}

/** Whether an installed package's cached manifest delivers a mediated link, read without decoding it whole (none when missing or damaged, as `cached`). */
const mediatedIn = (image: Image, digest: Digest): boolean => cachedManifestFlags(image.paths.cache, digest)?.mediated === true;

/** Filters the landing packages' manifests in place and says which installed packages must land too. */
export function mediateLanding(image: Image, target: Target, packages: PreparedPackage[], facets: FacetSettings): MediationStep {
  const choices = target.mediators?.record ?? readMediatorChoices(image.db);
  const leaving = new Set(target.remove.map((r) => r.name));
  const landing = new Set(packages.map((p) => p.name));
  const involved =
    target.mediators !== undefined ||
    packages.some((p) => hasMediated(p.manifest)) ||
    target.remove.some((r) => mediatedIn(image, r.manifest)) ||
    packages.some((p) => p.from && (p.departing ? p.departing.mediated : mediatedIn(image, p.from.manifest)));
  if (!involved) return { mediations: [], repairs: [], excluded: new Map() };
  const staying = listPackages(image.db)
    .filter((r) => !leaving.has(r.name) && !landing.has(r.name))
    .flatMap((r) => {
      // Only the packages delivering mediated links are decoded whole.
      const full = mediatedIn(image, r.manifest) ? cached(image, r.manifest) : undefined;
      return full ? [{ name: r.name, manifest: withoutPaths(full, excludedPaths(full, facets)) }] : [];
    })
    .filter((p) => mediatedLinks(p.name, p.manifest).size > 0);
  const { mediations, excluded } = mediate([...packages.map((p) => ({ name: p.name, manifest: p.manifest })), ...staying], choices);
  for (const p of packages) p.manifest = withoutPaths(p.manifest, excluded.get(p.name));
  const repairs: MediationStep['repairs'] = [];
  for (const p of staying) {
    const wanted = withoutPaths(p.manifest, excluded.get(p.name));
    const rows = new Set(filesOf(image.db, p.name).map((f) => f.path));
    const add = new Set<string>();
    let changes = false;
    for (const a of wanted.actions) if (isPathAction(a) && a.type !== 'dir' && !rows.has(a.path)) add.add(a.path);
    const kept = new Set(wanted.actions.filter(isPathAction).map((a) => a.path));
    for (const r of rows) if (!kept.has(r)) changes = true;
    if (add.size || changes) repairs.push({ name: p.name, add });
  }
  return { mediations, repairs, excluded };
}

/** The mediated links the step leaves out of a package. */
export function mediationExcluded(step: MediationStep, name: string): Set<string> | undefined {
  return step.excluded.get(name);
}

/**
 * Per installed package, the mediated links the image leaves out (what verify
 * must not call missing). Manifests that cannot be read are skipped: verify
 * reports them itself.
 */
export function installedMediatedOut(image: Image, rows: readonly PackageRow[], facets: FacetSettings, given?: ReadonlyMap<string, Manifest>): Map<string, Set<string>> {
  const packages: { name: string; manifest: Manifest }[] = [];
  for (const r of rows) {
    let m: Manifest | undefined;
    try {
      m = given?.get(r.manifest) ?? cachedManifestOrNone(image.paths.cache, r.manifest);
    } catch {
      m = undefined;
    }
    if (m && hasMediated(m)) packages.push({ name: r.name, manifest: withoutPaths(m, excludedPaths(m, facets)) });
  }
  if (packages.length === 0) return new Map();
  return mediate(packages, readMediatorChoices(image.db)).excluded;
}
