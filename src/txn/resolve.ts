/**
 * From a request to the packages a transaction moves: the solver turns the
 * wanted set into a plan (or an explanation, which becomes E_UNSATISFIABLE),
 * and each package to land gets its manifest fetched and verified.
 */
import type { InstalledPackage } from '../core/catalog.js';
import { ZpkgError } from '../core/errors.js';
import { formatAtom, providesAtom } from '../core/relation.js';
import type { Image } from '../image/image.js';
import { listRemotes, loadCandidates } from '../image/remotes.js';
import { getPackage, listPackages, toInstalled, type PackageRow } from '../image/state.js';
import { buildPool, solve, type Plan, type SolvePolicy, type SolveRequest } from '../solver/index.js';
import { prepareChange } from './install.js';
import type { PackageChange } from './types.js';

export interface Resolution {
  plan: Plan;
  installs: PackageChange[];
  removes: PackageRow[];
  /** Requested flags of the resulting set (install marks what it names). */
  flags: { name: string; requested: boolean }[];
}

/**
 * Solves a request; unless `planOnly`, also fetches and verifies the manifest of
 * every package to land. A plan-only resolution (dry runs) needs no manifests,
 * so it works against catalog-only repositories too.
 */
export async function resolve(image: Image, request: SolveRequest, policy: SolvePolicy = {}, planOnly = false): Promise<Resolution> {
  if ((request.install?.length || request.update) && listRemotes(image).length === 0) {
    throw new ZpkgError('E_USAGE', `image ${image.paths.root} has no remotes to install from`, { hint: 'add one with `zpkg remote add NAME URL`' });
  }
  const rows = listPackages(image.db);
  const installed: InstalledPackage[] = rows.map(toInstalled);
  const pool = buildPool(await loadCandidates(image));
  for (const atom of request.install ?? []) {
    if (pool.resolve(atom).length > 0 || installed.some((p) => providesAtom(p, atom))) continue;
    const versions = Array.from(pool.named(atom.name), (s) => pool.entry(s).version);
    if (versions.length === 0) {
      throw new ZpkgError('E_PACKAGE_UNKNOWN', `no package named \`${atom.name}\` in any remote`, { hint: 'check the name with `zpkg search`, or run `zpkg refresh`' });
    }
    throw new ZpkgError('E_VERSION_UNKNOWN', `no version of \`${atom.name}\` satisfies \`${formatAtom(atom)}\``, { hint: `available: ${versions.join(', ')}` });
  }
  const result = solve(pool, installed, request, policy);
  if (!result.ok) {
    throw new ZpkgError('E_UNSATISFIABLE', result.message, { details: { explanation: result.explanation } });
  }
  const { plan } = result;
  const requested = new Map(plan.result.map((r) => [r.name, r.requested]));
  const held = (name: string): boolean => getPackage(image.db, name)?.held ?? false;
  const installs: PackageChange[] = [];
  const flags = plan.result.map((r) => ({ name: r.name, requested: r.requested }));
  if (planOnly) return { plan, installs, removes: [], flags };
  for (const step of plan.install) installs.push(await prepareChange(image, step.entry as never, requested.get(step.name) ?? false));
  for (const step of [...plan.upgrade, ...plan.downgrade]) installs.push(await prepareChange(image, step.entry, requested.get(step.name) ?? false, held(step.name)));
  const removes = plan.remove.map((r) => getPackage(image.db, r.name)!);
  return { plan, installs, removes, flags };
}
