/**
 * Weak dependencies (Debian's Recommends and Suggests, dnf's weak deps):
 * after the solver has a plan, the recommends of every package it lands are
 * either installed too — only when the image asks (`--with-recommends`, or
 * `recommends: true` in etc/zpkg/zpkg.yaml; appliances want minimal sets) —
 * or listed as skipped; suggests are only listed. A recommend that cannot be
 * installed never fails the request: it is skipped with the solver's reason.
 * What lands only because it was recommended is marked auto.
 */
import type { Candidate, InstalledPackage } from '../core/catalog.js';
import { formatAtom, formatClause, providesAtom, type Atom, type Clause } from '../core/relation.js';
import { solve, type Plan, type Pool, type SolvePolicy, type SolveRequest } from '../solver/index.js';

export interface WeakOutcome {
  /** Landed because a package of the plan recommends them. */
  installed: { name: string; version: string; by: string }[];
  /** Recommends not installed: not asked for (`why` null), or impossible (`why`: the solver's first reason). */
  skipped: { relation: string; by: string; why: string | null }[];
  /** Suggests of the packages landed, never installed by zpkg. */
  suggested: { relation: string; by: string }[];
}

const MAX_ROUNDS = 64;

function landing(plan: Plan): { name: string; version: string }[] {
  return [...plan.install, ...plan.upgrade.map((u) => ({ name: u.name, version: u.to })), ...plan.downgrade.map((d) => ({ name: d.name, version: d.to }))];
}

/**
 * The plan with recommends applied (`want`) or only reported. `candidates`
 * are the admitted candidates the pool was built from: a plan step's entry
 * may be a copy without its weak relations (overlap conflicts), so they are
 * looked up by name and version.
 */
export function applyWeak(pool: Pool, candidates: readonly Candidate[], installed: readonly InstalledPackage[], request: SolveRequest, policy: SolvePolicy, first: Plan, want: boolean): { plan: Plan; weak: WeakOutcome | undefined } {
  // Catalogs without weak relations (the common case) cost one pass and change nothing.
  if (!candidates.some((c) => c.recommends !== undefined || c.suggests !== undefined)) return { plan: first, weak: undefined };
  const byKey = new Map<string, Candidate>();
  for (const c of candidates) if (!byKey.has(`${c.name}@${c.version}`)) byKey.set(`${c.name}@${c.version}`, c);
  const find = (name: string, version: string): Candidate | undefined => byKey.get(`${name}@${version}`);
  let plan = first;
  const extra: Atom[] = [];
  const weak: WeakOutcome = { installed: [], skipped: [], suggested: [] };
  const seen = new Set<string>();
  const tried = new Set<string>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const fresh = landing(plan).filter((p) => !seen.has(`${p.name}@${p.version}`));
    if (fresh.length === 0) break;
    for (const p of fresh) seen.add(`${p.name}@${p.version}`);
    const finalSet = (): { name: string; version: string; provides: readonly Atom[] }[] =>
      plan.result.map((r) => find(r.name, r.version) ?? installed.find((i) => i.name === r.name && i.version === r.version) ?? { name: r.name, version: r.version, provides: [] });
    for (const p of fresh) {
      const c = find(p.name, p.version);
      if (!c) continue;
      const by = `${p.name} ${p.version}`;
      for (const clause of c.suggests ?? []) weak.suggested.push({ relation: formatClause(clause), by });
      for (const clause of c.recommends ?? []) {
        const text = formatClause(clause);
        if (satisfied(clause, finalSet())) continue;
        if (!want) {
          weak.skipped.push({ relation: text, by, why: null });
          continue;
        }
        if (tried.has(text)) continue;
        tried.add(text);
        const r = tryClause(pool, installed, request, policy, extra, clause);
        if (r.ok) {
          extra.push(r.atom);
          plan = r.plan;
          const landed = plan.result.find((x) => providesAtom(find(x.name, x.version) ?? { name: x.name, version: x.version, provides: [] }, r.atom)) ?? plan.result.find((x) => x.name === r.atom.name);
          weak.installed.push({ name: landed?.name ?? r.atom.name, version: landed?.version ?? '', by });
        } else {
          weak.skipped.push({ relation: text, by, why: r.why });
        }
      }
    }
  }
  if (weak.installed.length) {
    // Landed for a recommend: auto, unless the request named it or it was requested before.
    const named = new Set([...(request.install ?? []).map((a) => a.name)]);
    const wasRequested = new Set(installed.filter((i) => i.requested).map((i) => i.name));
    const auto = new Set(weak.installed.map((w) => w.name).filter((n) => !named.has(n) && !wasRequested.has(n)));
    plan = { ...plan, result: plan.result.map((r) => (auto.has(r.name) ? { ...r, requested: false } : r)) };
  }
  const empty = !weak.installed.length && !weak.skipped.length && !weak.suggested.length;
  return { plan, weak: empty ? undefined : weak };
}

function satisfied(clause: Clause, set: readonly { name: string; version: string; provides: readonly Atom[] }[]): boolean {
  return clause.some((atom) => set.some((p) => providesAtom(p, atom)));
}

function tryClause(pool: Pool, installed: readonly InstalledPackage[], request: SolveRequest, policy: SolvePolicy, extra: readonly Atom[], clause: Clause): { ok: true; atom: Atom; plan: Plan } | { ok: false; why: string } {
  let why = `nothing offers \`${formatClause(clause)}\``;
  for (const atom of clause) {
    if (pool.resolve(atom).length === 0) continue;
    const r = solve(pool, [...installed], { ...request, install: [...(request.install ?? []), ...extra, atom] }, policy);
    if (r.ok) return { ok: true, atom, plan: r.plan };
    why = `${formatAtom(atom)}: ${r.explanation[0] ?? r.message}`;
  }
  return { ok: false, why };
}
