/**
 * `solve`: a request over an installed set becomes hard clauses and soft
 * preferences for the engine; its model becomes a Plan, its refutation an
 * explanation.
 *
 * Rules (hard):
 * - each `install` atom is satisfied by some installed-after package;
 * - `remove` names are not installed after;
 * - held packages keep their exact version (so removing one is refused);
 * - every other installed name stays installed at some version — unless
 *   `cascade`, which makes this a preference: installed packages are then
 *   removed only where keeping them would make the request impossible
 *   (protected ones stay a rule).
 * Preferences (decided in this order, each undone only when it must be):
 * 1. the best candidate of each `install` atom (priority, then version; for a
 *    virtual name an installed provider first);
 * 2. for `update` targets, a newer version, best first (never a downgrade);
 * 3. every other installed package at its current version;
 * then each open dependency with its most preferred provider, so an install
 * touches as little as it can. `autoremove` runs on the result (plan.ts).
 * Names to remove or update that are not installed are refused up front.
 */
import type { Candidate, CatalogEntry, InstalledPackage } from '../core/catalog.js';
import type { Atom } from '../core/relation.js';
import { explainFailure, joinProblems, type Problem } from './explain.js';
import { Overlay } from './overlay.js';
import { makePlan } from './plan.js';
import { Pool, buildPool } from './pool.js';
import { HELD, KEEP, REMOVE, ROOT_INSTALL, attachRules } from './rules.js';
import { OWNER_NONE, OWNER_ROOT, Sat } from './sat.js';
import type { SolvePolicy, SolveRequest, SolveResult } from './types.js';
import type { Universe } from './universe.js';
import { compareVersions as vercmp } from '../core/version.js';

function lits(ids: Int32Array): number[] {
  return Array.from(ids, (s) => 2 * s);
}

function fail(message: string): SolveResult {
  return { ok: false, code: 'E_UNSATISFIABLE', message, explanation: [] };
}

/**
 * The pool, extended with installed packages no remote offers. An installed
 * package with the name and version of a pool solvable is that solvable
 * (packages are immutable once published).
 */
export function universeFor(pool: Pool, installed: readonly CatalogEntry[]): Universe {
  const extras = installed.filter((p) => pool.find(p.name, p.version) < 0);
  return extras.length > 0 ? new Overlay(pool, extras) : pool;
}

export function solve(
  pool: Pool | readonly Candidate[],
  installed: readonly InstalledPackage[],
  request: SolveRequest,
  policy: SolvePolicy = {},
): SolveResult {
  const base = pool instanceof Pool ? pool : buildPool(pool);
  const u = universeFor(base, installed);
  const inst = new Map<string, { pkg: InstalledPackage; id: number }>();
  for (const pkg of installed) inst.set(pkg.name, { pkg, id: u.find(pkg.name, pkg.version) });
  for (const name of request.remove ?? []) {
    if (!inst.has(name)) return fail(`zpkg cannot remove \`${name}\`: it is not installed`);
  }
  const update = request.update;
  if (Array.isArray(update)) {
    for (const name of update) if (!inst.has(name)) return fail(`zpkg cannot update \`${name}\`: it is not installed`);
  }

  const attempt = (install: readonly Atom[]): SolveResult | Problem => {
    const sat = new Sat(u.size, true);
    try {
      return run(sat, { u, installed, inst }, { ...request, install: [...install] }, policy);
    } finally {
      sat.release();
    }
  };
  let atoms = request.install ?? [];
  let outcome = attempt(atoms);
  if (!('installs' in outcome)) return outcome;
  // Like libsolv's problem loop: the jobs a refutation blames are set aside
  // and the rest solved again, so one answer names every install that cannot
  // be done, not only the first (each further attempt is a whole solve, paid
  // only on failure).
  const problems: Parameters<typeof joinProblems>[0][number][] = [];
  for (;;) {
    const blamed = outcome.installs;
    problems.push({ head: outcome.head, explanation: outcome.explanation, installs: blamed.map((i) => atoms[i]!), removes: outcome.removes.map((i) => request.remove![i]!) });
    if (blamed.length === 0 || problems.length >= MAX_PROBLEMS) break;
    atoms = atoms.filter((_, i) => !blamed.includes(i));
    if (atoms.length === 0) break;
    outcome = attempt(atoms);
    if (!('installs' in outcome)) break;
  }
  return { ok: false, code: 'E_UNSATISFIABLE', ...joinProblems(problems) };
}

/** At most this many independent problems are told in one answer. */
const MAX_PROBLEMS = 8;

/** The installed set as solvables of the universe. */
interface Installed {
  u: Universe;
  installed: readonly InstalledPackage[];
  /** Installed name → the package and its solvable. */
  inst: Map<string, { pkg: InstalledPackage; id: number }>;
}

/** Builds the job's clauses and preferences on `sat`, runs it and reads the outcome. */
function run(sat: Sat, image: Installed, request: SolveRequest, policy: SolvePolicy): SolveResult | Problem {
  const { u, installed, inst } = image;
  attachRules(sat, u);
  const installAtoms = request.install ?? [];
  const removeNames = request.remove ?? [];
  const update = request.update;
  const isTarget = (name: string): boolean => update === true || (Array.isArray(update) && update.includes(name));
  const installPrefs: Int32Array[] = [];
  installAtoms.forEach((atom, i) => {
    let order = u.resolve(atom);
    if (u.named(atom.name).length === 0) {
      const isInstalled = (s: number): boolean => inst.get(u.entry(s).name)?.id === s;
      order = Int32Array.from([...order.filter(isInstalled), ...order.filter((s) => !isInstalled(s))]);
    }
    sat.addClause(lits(order), ROOT_INSTALL, i, -1, OWNER_ROOT, order);
    installPrefs.push(order);
  });
  removeNames.forEach((name, j) => {
    for (const s of u.named(name)) sat.addClause([2 * s + 1], REMOVE, s, j, OWNER_NONE, null);
  });
  const names = [...inst.keys()].sort();
  const removing = new Set(removeNames);
  const updatePrefs: Int32Array[] = [];
  const keepPrefs: Int32Array[] = [];
  const renamedPrefs: Int32Array[] = [];
  for (const name of names) {
    const { pkg, id } = inst.get(name)!;
    if (pkg.held) sat.addClause([2 * id], HELD, id, -1, OWNER_NONE, null);
    if (removing.has(name)) continue;
    const order = Int32Array.from([id, ...u.named(name).filter((s) => s !== id)]);
    const mayGo = policy.supersede?.includes(name) === true;
    if (!(policy.cascade || mayGo) || policy.protected?.includes(name)) sat.addClause(lits(order), KEEP, id, -1, OWNER_ROOT, order);
    if (isTarget(name) && !pkg.held) {
      const newer = u.named(name).filter((s) => vercmp(u.entry(s).version, pkg.version) > 0);
      // A renamed package is decided after every update, which may need it gone.
      (mayGo ? renamedPrefs : updatePrefs).push(Int32Array.from([...newer, id]));
    } else keepPrefs.push(order);
  }
  sat.prefs.push(...installPrefs, ...updatePrefs, ...renamedPrefs, ...keepPrefs);

  if (!sat.search()) {
    const installedIds = new Set([...inst.values()].map((x) => x.id));
    return explainFailure(sat, { u, installed: installedIds, installAtoms, removeNames, cascade: !!policy.cascade, update: update !== undefined });
  }
  const requestedIds = installPrefs.map((order) => order.find((s) => sat.vals[s] === 1)!);
  return { ok: true, plan: makePlan({ u, vals: sat.vals, chosen: sat.trueVars(), installed, requestedIds, autoremove: !!policy.autoremove, keep: policy.protected ?? [] }) };
}
