/**
 * Prepare: everything a target needs before the image may change, in order —
 * the manifest of every landing package (cache, else its remote; verified, and
 * checked to name what the catalog said), the accounts its `user`/`group`
 * actions add, the path plan (every conflict refused here, before a byte is
 * downloaded), and then every blob the plan writes. A dry run stops before the
 * blobs and writes nothing into the image, not even its cache.
 *
 * The caller holds the image session (dry runs excepted).
 */
import { ZpkgError } from '../core/errors.js';
import { withFacets, type FacetSettings } from '../core/facets.js';
import { imageFacets } from './facets.js';
import { mediateLanding, mediationExcluded } from './mediate.js';
import { hasMediated, withoutPaths, type Mediation } from '../core/mediators.js';
import { getPackage, listPackages } from '../image/state.js';
import type { Image } from '../image/image.js';
import { imageIds } from '../image/accounts.js';
import { listRemotes, remoteReader } from '../image/remotes.js';
import type { RepoReader } from '../repo/backend.js';
import type { Report } from '../report/report.js';
import { planAccounts, type AccountPlan } from './account-actions.js';
import { computeChangeset } from './changeset.js';
import { giveBack, giveBackCandidates } from './give-back.js';
import { blobsToFetch, fetchBlobs, type FetchResult } from './fetch.js';
import { fetchManifest } from './manifests.js';
import type { Landing, Relations, Target } from './target.js';
import type { Manifest } from '../core/manifest.js';
import type { Changeset, Departing, PreparedPackage } from './types.js';
import { cachedManifestOrNone } from '../image/cache.js';
import { stopwatch } from './stopwatch.js';
import { isAdoptedBase, isEssential } from './protect.js';
import { mapLimited } from './concurrency.js';
import { counted } from '../report/table.js';

/** Package records fetched at once (one keep-alive pool per repository, like packs: fetch.ts). */
export const MANIFEST_PARALLELISM = 16;

export interface PrepareOptions {
  report: Report;
  dryRun?: boolean;
  /** Unowned paths the plan may overwrite (globs); the others are refused. */
  overwrite?: readonly string[];
  /** Fetch everything the packages deliver, even files an upgrade would leave in place (a later --offline run plans again). */
  downloadOnly?: boolean;
  /**
   * Return while packs are still downloading (`changeset.content.arriving`):
   * the transaction stages beside the downloads. Its caller must run the
   * transaction, or stop and await the arrivals.
   */
  overlap?: boolean;
  /** The plan's per-path lookups (ChangesetInput.lookupLimit): tests take one way or the other. */
  lookupLimit?: number;
}

export interface Prepared {
  target: Target;
  packages: PreparedPackage[];
  /** Landing packages offered without a manifest (catalog-only repositories): a dry run shows them, nothing installs them. */
  withoutManifest: { name: string; version: string }[];
  accounts: AccountPlan;
  changeset: Changeset;
  /** Blobs needed, fetched (a dry run: would fetch), bytes; and manifest bytes that came from repositories. */
  fetched: FetchResult & { manifestBytes: number };
  seconds: { manifests: number; plan: number; fetch: number };
  /** Which implementation of each mediator the image holds after it (only when the transaction involves one). */
  mediations: Mediation[];
}

function readerFor(image: Image, landing: Landing): () => RepoReader {
  const remote = landing.remote === null ? undefined : listRemotes(image).find((r) => r.name === landing.remote);
  let opened: RepoReader | undefined;
  return () => {
    if (!remote) throw new ZpkgError('E_REMOTE_UNKNOWN', `${landing.name} ${landing.version} is not in the image cache and its remote \`${landing.remote ?? '?'}\` is not configured`);
    opened ??= remoteReader(image, remote);
    return opened;
  };
}

function manifestMissing(l: Landing): ZpkgError {
  return new ZpkgError('E_MANIFEST_MISSING', `${l.name} ${l.version} in remote \`${l.remote}\` has no manifest (a catalog-only repository)`, {
    hint: 'catalog-only repositories answer `install --dry-run` and `repo check`; they cannot install',
  });
}

/** Refuses a manifest that is not the package version the catalog named it for (its digest matched: the catalog itself lies). */
export function refuseMisnamed(remote: string | null, name: string, version: string, manifest: Manifest): void {
  if (manifest.name !== name || manifest.version !== version) {
    throw new ZpkgError('E_REPO_INVALID', `remote \`${remote}\`: the catalog says ${name} ${version}, its manifest says ${manifest.name} ${manifest.version}`);
  }
}

/**
 * The manifest of a landing package, verified, naming what the catalog said. A
 * package whose manifest and blobs are cached needs no remote at all (rollback
 * and fix without network).
 */
export async function prepareLanding(image: Image, landing: Landing, keep: boolean, facets: FacetSettings = imageFacets(image)): Promise<PreparedPackage> {
  if (!landing.manifest) throw manifestMissing(landing);
  const blobReader = readerFor(image, landing);
  const from = landing.from && landing.from.manifest !== landing.manifest ? landing.from.manifest : undefined;
  // Decoded once: the delta's base, then only what the transaction reads of it is kept.
  const old = from ? cachedManifestOrNone(image.paths.cache, from) : undefined;
  const got = await fetchManifest(image, blobReader, landing.manifest, `${landing.name} ${landing.version}`, { keep, ...(landing.from ? { from: landing.from.manifest } : {}), ...(old ? { fromManifest: old } : {}) });
  refuseMisnamed(landing.remote, landing.name, landing.version, got.manifest);
  if (landing.catalog) refuseDisagreement(landing, landing.catalog, got.manifest);
  // The image holds the manifest without the actions its facets leave out: the plan, the commit's rows and verify all see that.
  const held = withFacets(got.manifest, facets);
  return { ...landing, manifest: held, ...(held !== got.manifest ? { shipped: got.manifest } : {}), digest: landing.manifest, manifestBytes: got.bytes, blobReader, ...(got.map ? { map: got.map } : {}), ...(old ? { departing: departingOf(old) } : {}) };
}

function departingOf(m: Manifest): Departing {
  return { services: m.services ?? [], actions: m.actions.filter((a) => a.type === 'file' && a.restart !== undefined) as Departing['actions'], mediated: hasMediated(m) };
}

/**
 * The catalog is what the solver decided on, so it is authoritative: the
 * manifest that lands must carry the same relations, or the image would hold
 * a package whose recorded relations (the manifest's) make a later `remove`
 * or `update` unsatisfiable. Compared as sets of canonical texts; for
 * conflicts, the manifest's must be a subset (the solver's overlap conflicts
 * come on top).
 */
function refuseDisagreement(landing: Landing, catalog: Relations, manifest: Manifest): void {
  for (const kind of ['depends', 'conflicts', 'provides', 'replaces'] as const) {
    const said = [...catalog[kind]].sort();
    const has = [...manifest[kind]].sort();
    if (said.length === has.length && said.every((r, i) => r === has[i])) continue;
    // The solver adds conflicts of its own (packages delivering one path, solver/overlaps.ts): the manifest's must be among them.
    if (kind === 'conflicts' && has.every((r) => said.includes(r))) continue;
    const show = (list: string[]): string => (list.length ? list.map((r) => `\`${r}\``).join(', ') : 'nothing');
    throw new ZpkgError('E_REPO_INVALID', `remote \`${landing.remote}\`: the catalog and the manifest of ${landing.name} ${landing.version} disagree on \`${kind}\`: the catalog says ${show(said)}, the manifest ${show(has)}`, {
      hint: 'the repository is damaged or was tampered with (the catalog decides what is installed, the manifest must match it); nothing was changed',
      details: { package: landing.name, version: landing.version, kind, catalog: said, manifest: has },
    });
  }
}

export async function prepare(image: Image, target: Target, options: PrepareOptions): Promise<Prepared> {
  const { report } = options;
  const dryRun = Boolean(options.dryRun);
  let t = stopwatch();
  const packages: PreparedPackage[] = [];
  const withoutManifest: Prepared['withoutManifest'] = [];
  const progress = report.progress('manifests', target.land.length);
  const facets = target.facets?.effective ?? imageFacets(image);
  // Records are fetched several at once: over a link with a long round trip, an
  // update of many packages would otherwise wait one round trip per package.
  const landing = target.land.filter((l) => {
    if (l.manifest || !dryRun) return true;
    withoutManifest.push({ name: l.name, version: l.version });
    return false;
  });
  packages.push(
    ...(await mapLimited(landing, MANIFEST_PARALLELISM, async (l) => {
      const p = await prepareLanding(image, l, !dryRun, facets);
      progress.tick(1, p.manifestBytes);
      return p;
    })),
  );
  // Which implementation of each mediator the image holds after this; installed packages whose links move land too.
  const mediation = mediateLanding(image, target, packages, facets);
  for (const r of mediation.repairs) {
    const row = getPackage(image.db, r.name)!;
    const p = await prepareLanding(image, { name: r.name, version: row.version, manifest: row.manifest, remote: row.remote, requested: row.requested, held: row.held, from: row, repair: { paths: r.add } }, !dryRun, facets);
    p.manifest = withoutPaths(p.manifest, mediationExcluded(mediation, r.name));
    packages.push(p);
  }
  // Files a leaving package took over (`replaces`) go back to the installed package they came from (give-back.ts).
  for (const c of giveBackCandidates(image.db, target, packages)) {
    if (packages.some((p) => p.name === c.owner.name)) continue;
    const row = c.owner;
    const repairing: Landing = { name: row.name, version: row.version, manifest: row.manifest, remote: row.remote, requested: row.requested, held: row.held, from: row, repair: { paths: new Set() } };
    let manifestOf: PreparedPackage;
    try {
      manifestOf = await prepareLanding(image, repairing, !dryRun, facets);
    } catch (err) {
      // Best effort: the transaction does not fail for it; what it cannot give back, `fix` writes once it can.
      report.warn(`${row.name} ${row.version} cannot be given back the files a leaving package took over (${(err as Error).message}): \`zpkg fix ${row.name}\` writes them later`);
      continue;
    }
    const back = giveBack(image.db, c, manifestOf);
    if (back) packages.push(back);
  }
  progress.done(counted(packages.length, 'manifest'));
  const manifestBytes = packages.reduce((n, p) => n + p.manifestBytes, 0);
  const seconds = { manifests: t(), plan: 0, fetch: 0 };

  t = stopwatch();
  const accounts = planAccounts(image.paths.root, packages.filter((p) => !p.repair).map((p) => p.manifest));
  const idWarning = (w: string): void => {
    report.warn(w);
    (target.warnings ??= []).push(w);
  };
  const changeset = computeChangeset({ db: image.db, root: image.paths.root, ids: imageIds(image.paths.root, accounts, idWarning), installs: packages, removes: target.remove, purge: target.purge, overwrite: options.overwrite, essential: essentialOf(image), baseLink: baseLinksOf(image), lookupLimit: options.lookupLimit });
  seconds.plan = t();

  t = stopwatch();
  const inPlace = new Set(options.downloadOnly ? [] : changeset.inPlace);
  const { content, ...fetched } = dryRun ? blobsToFetch(image.paths.cache, packages, inPlace) : await fetchBlobs(image, packages, report, { inPlace, overlap: Boolean(options.overlap) && !options.downloadOnly });
  if (content) changeset.content = content;
  if (target.facets) changeset.facets = target.facets.record;
  if (target.mediators) changeset.mediators = target.mediators.record;
  seconds.fetch = t();
  return { target, packages, withoutManifest, accounts, changeset, fetched: { ...fetched, manifestBytes }, seconds, mediations: mediation.mediations };
}

/** Whether an installed package is essential, its manifest read once and only when asked (changeset.ts asks where a link meets a directory). */
function essentialOf(image: Image): (name: string) => boolean {
  const known = new Map<string, boolean>();
  return (name) => {
    let is = known.get(name);
    if (is === undefined) {
      const row = getPackage(image.db, name);
      is = row !== undefined && isEssential(image, row);
      known.set(name, is);
    }
    return is;
  };
}

/** The links the adopted bases delivered, by path, read from their manifests once and only when asked (changeset.ts: returnToBase). */
function baseLinksOf(image: Image): (path: string) => { package: string; target: string } | undefined {
  let links: Map<string, { package: string; target: string }> | undefined;
  return (path) => {
    if (!links) {
      links = new Map();
      for (const p of listPackages(image.db)) {
        if (!isAdoptedBase(image, p)) continue;
        for (const a of cachedManifestOrNone(image.paths.cache, p.manifest)?.actions ?? []) if (a.type === 'link') links.set(a.path, { package: p.name, target: a.target });
      }
    }
    return links.get(path);
  };
}
