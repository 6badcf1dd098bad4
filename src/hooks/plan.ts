/**
 * The lifecycle plan of a transaction: which hooks run before the files
 * change and after the commit, in which order, and which services are stopped
 * before and started, reloaded or (zinit) monitored after. Pure: no I/O.
 *
 * Hooks:
 * - a new package runs its own `pre-install` and `post-install`;
 * - an upgrade or downgrade (or the same version with another manifest) runs
 *   the incoming version's `pre-upgrade` and `post-upgrade`;
 * - a removal runs the installed version's `pre-remove` and `post-remove`;
 * - a repair (`zpkg fix`) runs none.
 * Pre-hooks: removals in reverse dependency order, then installs and upgrades
 * in dependency order; post-hooks the same way after the commit. A landing
 * package's pre-hook `needs` the landing packages it depends on (directly or
 * not) and the one that delivers its `#!` interpreter: the transaction lands
 * those first (hooks/README: "Hooks between stages").
 *
 * Services (each one appears once, however many packages touch it):
 * - a new package's services (`restart` other than `never`) are started;
 * - an upgrade stops `on-upgrade` services while its files change and starts
 *   them again when they were running (`always`: also on a same-version
 *   reinstall); a `reload: true` service is not stopped but reloaded;
 * - a removed package's services (and services an upgrade no longer declares)
 *   are stopped;
 * - a changed or removed file whose action names services (`restart: [...]`)
 *   restarts them, or reloads those declared `reload: true`;
 * - with zinit, `etc/zinit/NAME.yaml` files: a new one is monitored, one whose
 *   content changes is stopped, forgotten and monitored again, a removed one is
 *   stopped and forgotten; one written again with the same content is left
 *   alone (so is a `restart:` file whose content does not change).
 * Protected services are listed with `protected: true` and never touched.
 */
import type { Digest } from '../core/digest.js';
import type { HookPhase, Manifest, ServiceDecl } from '../core/manifest.js';
import { dependencyClosure, dependencyOrder } from './order.js';

export interface LandingInput {
  name: string;
  version: string;
  digest: Digest;
  manifest: Manifest;
  /** A repair rewrites paths of the installed version: no hooks, no package services. */
  repair: boolean;
  /** `manifest`: the parts of the installed version's manifest read here (txn/types.ts: Departing). */
  from?: { version: string; digest: Digest; manifest?: Pick<Manifest, 'services' | 'actions'> };
}

export interface LeavingInput {
  name: string;
  version: string;
  manifest?: Manifest;
  relations: { depends: readonly string[]; provides: readonly string[] };
}

export interface PlanInput {
  installs: readonly LandingInput[];
  removes: readonly LeavingInput[];
  /** Paths the transaction writes (new or replaced); `changed: false` when the content there stays the same. */
  put: readonly { path: string; package: string; existed: boolean; changed?: boolean }[];
  /** Paths it deletes, with their owner before the transaction. */
  deleted: readonly { path: string; package: string }[];
  /** False with `--no-scripts`, `--hooks=skip` and in boot mode. */
  runHooks: boolean;
  /** Whether zinit's service files are managed (the service manager is zinit). */
  zinit: boolean;
  protected: readonly string[];
  /** A hook's `#!` interpreter (an image path without the leading `/`), by the hook's digest, when it has one. */
  interpreters?: ReadonlyMap<Digest, string>;
}

export interface HookStep {
  package: string;
  /** The version whose hook it is. */
  version: string;
  phase: HookPhase;
  digest: Digest;
  size: number;
  timeout?: number;
  oldVersion?: string;
  newVersion?: string;
  /** Landing packages that must be in place before this (pre-)hook runs; absent or empty: it runs before anything changes. */
  needs?: string[];
}

export type AfterCommit = 'start' | 'reload' | 'monitor';

export interface ServiceStep {
  name: string;
  /** The package that declares or ships it (first seen), for messages and problems. */
  package: string;
  stop: boolean;
  forget: boolean;
  after?: AfterCommit;
  /** Start (or reload) after the commit only when it was running before. */
  onlyIfRunning: boolean;
  protected: boolean;
  reasons: string[];
}

export interface LifecyclePlan {
  pre: HookStep[];
  post: HookStep[];
  services: ServiceStep[];
}

const ZINIT_FILE = /^etc\/zinit\/([^/]+)\.yaml$/;
const AFTER_RANK: Record<AfterCommit, number> = { reload: 1, start: 2, monitor: 3 };

export function planLifecycle(input: PlanInput): LifecyclePlan {
  const pre: HookStep[] = [];
  const post: HookStep[] = [];
  if (input.runHooks) {
    const leaving = orderOf(input.removes.map((r) => ({ name: r.name, depends: r.relations.depends, provides: r.relations.provides }))).reverse();
    const landing = orderOf(input.installs.filter((c) => !c.repair).map((c) => ({ name: c.name, depends: c.manifest.depends, provides: c.manifest.provides })));
    const removes = new Map(input.removes.map((r) => [r.name, r]));
    const installs = new Map(input.installs.map((c) => [c.name, c]));
    const step = (m: Manifest | undefined, phase: HookPhase, pkg: string, version: string, oldVersion?: string, newVersion?: string): HookStep | undefined => {
      const ref = m?.hooks?.[phase];
      if (!ref) return undefined;
      return { package: pkg, version, phase, digest: ref.digest, size: ref.size, ...(ref.timeout ? { timeout: ref.timeout } : {}), ...(oldVersion !== undefined ? { oldVersion } : {}), ...(newVersion !== undefined ? { newVersion } : {}) };
    };
    // The same order before and after: leaving packages, then landing ones.
    for (const [when, list] of [['pre', pre], ['post', post]] as const) {
      for (const name of leaving) {
        const r = removes.get(name)!;
        const s = step(r.manifest, `${when}-remove`, r.name, r.version, r.version, undefined);
        if (s) list.push(s);
      }
      for (const name of landing) {
        const c = installs.get(name)!;
        const s = step(c.manifest, `${when}-${c.from ? 'upgrade' : 'install'}`, c.name, c.version, c.from?.version, c.version);
        if (s) list.push(s);
      }
    }
    const needs = preHookNeeds(input);
    for (const s of pre) {
      const n = needs(s);
      if (n.length) s.needs = n;
    }
  }
  return { pre, post, services: planServices(input) };
}

/** What a landing package's pre-hook needs in place: the landing packages it depends on, and the one delivering its interpreter (with theirs). */
function preHookNeeds(input: PlanInput): (step: HookStep) => string[] {
  const landing = input.installs.filter((c) => !c.repair);
  const closure = dependencyClosure(landing.map((c) => ({ name: c.name, depends: c.manifest.depends, provides: c.manifest.provides })));
  const deliverer = new Map(input.put.map((p) => [p.path, p.package]));
  const names = new Set(landing.map((c) => c.name));
  return (step) => {
    if (!names.has(step.package) || step.phase.endsWith('-remove')) return [];
    const out = new Set(closure.get(step.package));
    const interpreter = input.interpreters?.get(step.digest);
    const owner = interpreter === undefined ? undefined : deliverer.get(interpreter);
    if (owner && owner !== step.package) for (const n of [owner, ...(closure.get(owner) ?? [])]) out.add(n);
    out.delete(step.package);
    return [...out].sort();
  };
}

function orderOf(nodes: { name: string; depends: readonly string[]; provides: readonly string[] }[]): string[] {
  return dependencyOrder(nodes);
}

function planServices(input: PlanInput): ServiceStep[] {
  const steps = new Map<string, ServiceStep>();
  const isProtected = new Set(input.protected);
  const declared = new Map<string, ServiceDecl>();
  for (const c of input.installs) for (const s of c.manifest.services ?? []) declared.set(s.name, s);
  for (const r of input.removes) for (const s of r.manifest?.services ?? []) if (!declared.has(s.name)) declared.set(s.name, s);

  const add = (name: string, pkg: string, op: { stop?: boolean; forget?: boolean; after?: AfterCommit; onlyIfRunning: boolean }, reason: string): void => {
    let s = steps.get(name);
    if (!s) {
      s = { name, package: pkg, stop: false, forget: false, onlyIfRunning: true, protected: isProtected.has(name), reasons: [] };
      steps.set(name, s);
    }
    s.stop ||= op.stop ?? false;
    s.forget ||= op.forget ?? false;
    if (op.after) {
      // An unconditional start (a new package) outweighs a restart-if-running.
      s.onlyIfRunning = s.after === undefined ? op.onlyIfRunning : s.onlyIfRunning && op.onlyIfRunning;
      if (s.after === undefined || AFTER_RANK[op.after] > AFTER_RANK[s.after]) s.after = op.after;
    }
    if (!s.reasons.includes(reason)) s.reasons.push(reason);
  };
  // A restart that is a reload for services declared `reload: true`.
  const restart = (name: string, pkg: string, reason: string): void => {
    if (declared.get(name)?.reload) add(name, pkg, { after: 'reload', onlyIfRunning: true }, reason);
    else add(name, pkg, { stop: true, after: 'start', onlyIfRunning: true }, reason);
  };

  for (const c of input.installs) {
    if (c.repair) continue;
    const services = c.manifest.services ?? [];
    if (!c.from) {
      for (const s of services) if (s.restart !== 'never') add(s.name, c.name, { after: 'start', onlyIfRunning: false }, `${c.name} ${c.version} is installed`);
      continue;
    }
    const moved = c.from.version !== c.version;
    const changed = moved || c.from.digest !== c.digest;
    if (!changed) continue;
    for (const s of services) {
      if (s.restart === 'never' || (s.restart === 'on-upgrade' && !moved)) continue;
      restart(s.name, c.name, `${c.name} ${c.from.version} → ${c.version}`);
    }
    const kept = new Set(services.map((s) => s.name));
    for (const s of c.from.manifest?.services ?? []) if (!kept.has(s.name)) add(s.name, c.name, { stop: true, forget: input.zinit, onlyIfRunning: true }, `${c.name} ${c.version} no longer provides it`);
  }
  for (const r of input.removes) {
    for (const s of r.manifest?.services ?? []) add(s.name, r.name, { stop: true, forget: input.zinit, onlyIfRunning: true }, `${r.name} is removed`);
  }

  // Actuators: files whose change restarts services.
  const landingActions = new Map<string, { restart?: string[] }>();
  const leavingActions = new Map<string, { restart?: string[] }>();
  for (const c of input.installs) for (const a of c.manifest.actions) if (a.type === 'file' && a.restart) landingActions.set(a.path, a);
  for (const c of input.installs) for (const a of c.from?.manifest?.actions ?? []) if (a.type === 'file' && a.restart) leavingActions.set(a.path, a);
  for (const r of input.removes) for (const a of r.manifest?.actions ?? []) if (a.type === 'file' && a.restart) leavingActions.set(a.path, a);
  for (const p of input.put) if (p.changed !== false) for (const name of landingActions.get(p.path)?.restart ?? []) restart(name, p.package, `${p.path} changes`);
  for (const d of input.deleted) for (const name of leavingActions.get(d.path)?.restart ?? []) restart(name, d.package, `${d.path} is removed`);

  if (input.zinit) {
    const put = new Set<string>();
    for (const p of input.put) {
      const m = ZINIT_FILE.exec(p.path);
      if (!m) continue;
      put.add(p.path);
      if (p.existed && p.changed === false) continue;
      if (p.existed) add(m[1]!, p.package, { stop: true, forget: true, after: 'monitor', onlyIfRunning: false }, `${p.path} changes`);
      else add(m[1]!, p.package, { after: 'monitor', onlyIfRunning: false }, `${p.path} is installed`);
    }
    for (const d of input.deleted) {
      const m = ZINIT_FILE.exec(d.path);
      if (m && !put.has(d.path)) add(m[1]!, d.package, { stop: true, forget: true, onlyIfRunning: true }, `${d.path} is removed`);
    }
  }
  return [...steps.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
