/**
 * From a request to a target through the solver: the wanted set becomes a
 * plan (or an explanation, which becomes E_UNSATISFIABLE), and the plan a
 * target. Nothing is fetched here: a plan from a catalog-only repository is a
 * target too (a dry run can show it; `prepare` refuses to land it).
 */
import { indexedPaths, type Candidate, type InstalledPackage } from '../core/catalog.js';
import type { DirectoryLinks } from '../core/file-aliases.js';
import { ZpkgError } from '../core/errors.js';
import { formatAtom, providesAtom } from '../core/relation.js';
import type { Image } from '../image/image.js';
import { listRemotes, loadCandidates, loadFileIndex } from '../image/remotes.js';
import { getPackage, packagePaths, toInstalled } from '../image/state.js';
import type { Report } from '../report/report.js';
import { addOverlapConflicts, buildPool, explainOverlaps, solve, supersededBy, type Overlap, type Plan, type SolvePolicy, type SolveRequest } from '../solver/index.js';
import { admitFor, imagePolicy, refusedError, refusedNotes } from './admission.js';
import { protectedPackages } from './protect.js';
import { applyWeak, type WeakOutcome } from './recommends.js';
import { candidatesView, imageLinks, installedView } from './solver-view.js';
import { catalogRelations, type Landing, type Target } from './target.js';

export function noRemotes(image: Image): ZpkgError {
  return new ZpkgError('E_NO_REMOTES', `image ${image.paths.root} has no remotes to install from`, { hint: 'add one with `zpkg remote add NAME URL --key KEY`' });
}

/**
 * The candidates with their file overlaps as conflicts (solver/overlaps.ts):
 * paths from each remote's file index and the image's file table. Best
 * effort — a file index that cannot be read (offline) leaves overlaps to the
 * path plan, which refuses them before anything is fetched.
 */
async function withOverlaps(image: Image, candidates: Candidate[], installed: InstalledPackage[], links: DirectoryLinks, report?: Report): Promise<{ candidates: Candidate[]; overlaps: Overlap[] }> {
  const paths = new Map<string, readonly string[]>();
  for (const remote of listRemotes(image)) {
    try {
      for (const [key, list] of await loadFileIndex(image, remote)) paths.set(key, list);
    } catch (err) {
      report?.warn(`the file index of remote \`${remote.name}\` cannot be read (${(err as Error).message}): overlaps are checked when the paths are planned`);
    }
  }
  // An installed version's paths from the file table, read per package and only for one the file indexes do not list.
  const installedPaths = new Map<string, readonly string[]>();
  const byName = new Map(installed.map((p) => [p.name, p.version]));
  const ownPaths = (e: { name: string; version: string }): readonly string[] | undefined => {
    if (byName.get(e.name) !== e.version) return undefined;
    let list = installedPaths.get(e.name);
    if (!list) installedPaths.set(e.name, (list = packagePaths(image.db, e.name)));
    return list;
  };
  // Catalog-only remotes (an imported Debian index) have no file index: skip building a key per candidate (63,000 of them, ~40 ms).
  const pathsOf = paths.size === 0 ? ownPaths : (e: { name: string; version: string }): readonly string[] | undefined => indexedPaths(paths, e) ?? ownPaths(e);
  // The image's own directory links (a merged /usr's `bin`, `lib64`) are not overlaps: Debian 13's base-files delivers
  // the very links an adopted base holds, and the path plan decides (an essential package takes an identical link over).
  const overlapping = links.size === 0 ? pathsOf : (e: { name: string; version: string }): readonly string[] | undefined => pathsOf(e)?.filter((p) => !links.has(p));
  const r = addOverlapConflicts(candidates, overlapping, installed);
  return { candidates: r.entries, overlaps: r.overlaps };
}

/** Solves a request against the image's remotes and installed set. */
/** `recommends`: install weak dependencies too (`--with-recommends`); undefined: `recommends:` of etc/zpkg/zpkg.yaml. */
export interface WeakOptions {
  recommends?: boolean;
}

export async function solveRequest(image: Image, request: SolveRequest, policy: SolvePolicy = {}, report?: Report, weakOptions: WeakOptions = {}): Promise<Plan & { weak?: WeakOutcome }> {
  if ((request.install?.length || request.update) && listRemotes(image).length === 0) throw noRemotes(image);
  const links = imageLinks(image);
  const installed: InstalledPackage[] = installedView(image, links);
  const policy0 = imagePolicy(image);
  const admitted = admitFor(image, candidatesView(await loadCandidates(image), links), policy0);
  const plain = admitted.admitted as Candidate[];
  const { candidates, overlaps } = await withOverlaps(image, plain, installed, links, report);
  const pool = buildPool(candidates);
  for (const atom of request.install ?? []) {
    if (pool.resolve(atom).length > 0 || installed.some((p) => providesAtom(p, atom))) continue;
    const refused = refusedError(atom, admitted);
    if (refused) throw refused;
    const versions = Array.from(pool.named(atom.name), (s) => pool.entry(s).version);
    if (versions.length === 0) {
      throw new ZpkgError('E_PACKAGE_UNKNOWN', `no package named \`${atom.name}\` in any remote`, { hint: 'check the name with `zpkg search`, or run `zpkg refresh`' });
    }
    throw new ZpkgError('E_VERSION_UNKNOWN', `no version of \`${atom.name}\` satisfies \`${formatAtom(atom)}\``, { hint: `available: ${versions.join(', ')}` });
  }
  if (request.update !== undefined) policy = { ...policy, supersede: renamedAway(image, plain, installed, policy) };
  const result = solve(pool, installed, request, policy);
  if (result.ok) {
    // Weak dependencies follow what the request lands (remove lands nothing).
    const want = weakOptions.recommends ?? admitted.image.recommends;
    const { plan, weak } = applyWeak(pool, plain, installed, request, policy, result.plan, want);
    return weak ? { ...plan, weak } : plan;
  }
  const explanation = explainOverlaps(result.explanation, overlaps);
  // A package the request names overlaps another it names or an installed
  // owner, so no choice avoids it: the plan without overlaps goes to the path
  // plan, which refuses it with E_FILE_CONFLICT naming both packages, the path
  // and `replaces`, before anything is fetched. An overlap further down (a
  // dependency's) stays in the explanation: overlaps steer the choice.
  const named = new Set((request.install ?? []).map((a) => a.name));
  const direct = overlaps.some(
    (o) => (named.has(o.a.name) || named.has(o.b.name)) && result.explanation.some((l) => l.includes(' conflicts with ') && l.includes(`\`${o.a.name} ${o.a.version}\``) && l.includes(`\`${o.b.name} ${o.b.version}\``)),
  );
  if (direct) {
    const unsteered = solve(buildPool(plain), installed, request, policy);
    if (unsteered.ok) return unsteered.plan;
  }
  throw new ZpkgError('E_UNSATISFIABLE', explainOverlaps([result.message], overlaps)[0]!, { details: { explanation: [...explanation, ...refusedNotes(explanation, admitted)] } });
}

/** The target a plan describes: new packages in dependency order, then upgrades and downgrades. */
export function targetOfPlan(image: Image, plan: Plan & { weak?: WeakOutcome }, command: string): Target {
  const requested = new Map(plan.result.map((r) => [r.name, r.requested]));
  const land: Landing[] = [];
  for (const step of plan.install) {
    land.push({ name: step.name, version: step.version, manifest: step.entry.manifest, remote: step.entry.remote, requested: requested.get(step.name) ?? false, held: false, catalog: catalogRelations(step.entry) });
  }
  for (const step of [...plan.upgrade, ...plan.downgrade]) {
    const from = getPackage(image.db, step.name)!;
    land.push({ name: step.name, version: step.to, manifest: step.entry.manifest, remote: step.entry.remote, requested: requested.get(step.name) ?? false, held: from.held, from, catalog: catalogRelations(step.entry) });
  }
  const remove = plan.remove.map((r) => getPackage(image.db, r.name)!);
  const renamed = remove.length ? supersededBy([...plan.install, ...plan.upgrade, ...plan.downgrade].map((s) => s.entry), remove.map(toInstalled)) : new Map<string, string>();
  return {
    command,
    land,
    remove,
    ...(renamed.size ? { replacedBy: Object.fromEntries(renamed) } : {}),
    flags: plan.result.map((r) => ({ name: r.name, requested: r.requested })),
    ...(plan.weak ? { weak: plan.weak } : {}),
  };
}

export async function solveTarget(image: Image, request: SolveRequest, policy: SolvePolicy, command: string, report?: Report, weak?: WeakOptions): Promise<Target> {
  return targetOfPlan(image, await solveRequest(image, request, policy, report, weak), command);
}

/** Installed packages a candidate renames (solver/supersede.ts) that update may remove: never a held or protected one. */
function renamedAway(image: Image, candidates: readonly Candidate[], installed: readonly InstalledPackage[], policy: SolvePolicy): string[] {
  const renamed = supersededBy(candidates, installed);
  if (renamed.size === 0) return [];
  const prot = protectedPackages(image);
  return [...renamed.keys()].filter((name) => !prot.has(name) && !policy.protected?.includes(name) && !installed.find((p) => p.name === name)?.held);
}
