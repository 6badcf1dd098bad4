/**
 * Interim resolution until issue 3's solver lands: the requested packages plus
 * their dependency closure, each relation satisfied by an installed package when
 * one does, else by the newest satisfying candidate (higher remote priority first).
 */
import type { Candidate, InstalledPackage } from '../core/catalog.js';
import { ZpkgError } from '../core/errors.js';
import { formatAtom, formatClause, providesAtom, type Atom } from '../core/relation.js';
import { compareVersions } from '../core/version.js';

export interface InterimPlan {
  install: { entry: Candidate; requested: boolean }[];
  upgrade: { entry: Candidate; from: InstalledPackage }[];
}

function best(pool: readonly Candidate[], atom: Atom): Candidate | undefined {
  let pick: Candidate | undefined;
  for (const c of pool) {
    if (!providesAtom(c, atom)) continue;
    if (!pick || c.priority > pick.priority || (c.priority === pick.priority && compareVersions(c.version, pick.version) > 0)) pick = c;
  }
  return pick;
}

export function interimResolve(pool: readonly Candidate[], installed: readonly InstalledPackage[], request: readonly Atom[]): InterimPlan {
  const plan: InterimPlan = { install: [], upgrade: [] };
  const chosen = new Map<string, Candidate | InstalledPackage>(installed.map((p) => [p.name, p]));
  const queue: Candidate[] = [];
  const choose = (c: Candidate, requested: boolean): void => {
    const old = installed.find((p) => p.name === c.name);
    chosen.set(c.name, c);
    if (old) plan.upgrade.push({ entry: c, from: old });
    else plan.install.push({ entry: c, requested });
    queue.push(c);
  };
  for (const atom of request) {
    const have = chosen.get(atom.name);
    if (have && providesAtom(have, atom)) continue;
    const c = best(pool, atom);
    if (!c) {
      const known = pool.filter((p) => p.name === atom.name);
      if (known.length === 0) throw new ZpkgError('E_PACKAGE_UNKNOWN', `no package named \`${atom.name}\` in any remote`, { hint: 'check the name with `zpkg search`, or run `zpkg refresh`' });
      throw new ZpkgError('E_VERSION_UNKNOWN', `no version of \`${atom.name}\` satisfies \`${formatAtom(atom)}\``, { hint: `available: ${known.map((k) => k.version).join(', ')}` });
    }
    if (have && compareVersions(c.version, have.version) <= 0 && !providesAtom(have, atom)) {
      throw new ZpkgError('E_UNSATISFIABLE', `\`${formatAtom(atom)}\` would downgrade installed ${have.name} ${have.version}; this interim resolver does not downgrade`);
    }
    choose(c, true);
  }
  while (queue.length) {
    const pkg = queue.shift()!;
    for (const clause of pkg.depends) {
      const present = [...chosen.values()].some((p) => clause.some((a) => providesAtom(p, a)));
      if (present) continue;
      const pick = clause.map((a) => best(pool, a)).find((c) => c !== undefined);
      if (!pick) {
        throw new ZpkgError('E_UNSATISFIABLE', `zpkg cannot install \`${pkg.name}\`: \`${pkg.name} ${pkg.version}\` depends on \`${formatClause(clause)}\`, which no remote provides`);
      }
      choose(pick, false);
    }
  }
  return plan;
}
