/**
 * Mediators (IPS's `mediator`, Debian's alternatives): several packages may
 * deliver the same links — `bin/sh` from dash or busybox, `usr/bin/python3`
 * — when each link declares the same `mediator`. The image holds the links of
 * one implementation per mediator: the one it chose (`zpkg set-mediator`),
 * else the one of the highest priority (ties: the package name, ascending).
 * The other implementations' links are left out of their packages as the
 * image holds them, as facets leave paths out. Pure.
 */
import type { Manifest } from './manifest.js';

export interface Implementation {
  implementation: string;
  package: string;
  priority: number;
  paths: string[];
}

export interface Mediation {
  mediator: string;
  /** The implementation the image holds. */
  chosen: Implementation;
  /** Whether it holds it because the image chose it (else: by priority). */
  byChoice: boolean;
  candidates: Implementation[];
}

export interface MediationResult {
  mediations: Mediation[];
  /** Per package, the mediated links it delivers that the image leaves out. */
  excluded: Map<string, Set<string>>;
}

/**
 * Whether an action is a link with a mediator. It takes an action as decoded or
 * as parsed JSON: image/cache.ts asks it of a cached manifest it does not decode.
 */
export const isMediatedLink = (a: unknown): boolean =>
  typeof a === 'object' && a !== null && (a as { type?: unknown }).type === 'link' && (a as { mediator?: unknown }).mediator !== undefined;

/** Whether a manifest delivers a mediated link. */
export const hasMediated = (m: { readonly actions: readonly unknown[] }): boolean => m.actions.some(isMediatedLink);

/** The mediated links of a manifest, by mediator: its implementation, priority and paths. */
export function mediatedLinks(name: string, m: Manifest): Map<string, Implementation> {
  const out = new Map<string, Implementation>();
  for (const a of m.actions) {
    if (a.type !== 'link' || a.mediator === undefined) continue;
    const have = out.get(a.mediator);
    if (have) have.paths.push(a.path);
    else out.set(a.mediator, { implementation: a.implementation ?? name, package: name, priority: a.priority ?? 0, paths: [a.path] });
  }
  return out;
}

export function mediate(packages: readonly { name: string; manifest: Manifest }[], choices: Readonly<Record<string, string>>): MediationResult {
  const byMediator = new Map<string, Implementation[]>();
  for (const p of packages) {
    for (const [mediator, impl] of mediatedLinks(p.name, p.manifest)) byMediator.set(mediator, [...(byMediator.get(mediator) ?? []), impl]);
  }
  const mediations: Mediation[] = [];
  const excluded = new Map<string, Set<string>>();
  for (const [mediator, candidates] of [...byMediator].sort(([a], [b]) => (a < b ? -1 : 1))) {
    candidates.sort((a, b) => b.priority - a.priority || (a.package < b.package ? -1 : a.package > b.package ? 1 : 0));
    const picked = candidates.find((c) => c.implementation === choices[mediator]);
    const chosen = picked ?? candidates[0]!;
    mediations.push({ mediator, chosen, byChoice: picked !== undefined, candidates });
    for (const c of candidates) {
      if (c === chosen) continue;
      const set = excluded.get(c.package) ?? new Set<string>();
      for (const p of c.paths) set.add(p);
      excluded.set(c.package, set);
    }
  }
  return { mediations, excluded };
}

/** The manifest without these paths (its identity stays the original's). */
export function withoutPaths(m: Manifest, paths: ReadonlySet<string> | undefined): Manifest {
  if (!paths?.size) return m;
  return { ...m, actions: m.actions.filter((a) => !('path' in a) || !paths.has(a.path)) };
}
