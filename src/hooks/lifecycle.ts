/**
 * The lifecycle of one transaction: its plan (plan.ts) carried out around the
 * file changes. The transaction calls, in this order:
 *
 *   prepare()        hooks of landing packages into the hook store (verified)
 *   runPre()         pre-* hooks that need nothing landed first; a failure
 *                    aborts (E_HOOK_FAILED), nothing changed
 *   stopServices()   affected services stopped (service-run.ts); a failure
 *                    restarts the ones already stopped and aborts (E_SERVICE)
 *   — stage; then, for each pre-hook that `needs` landing packages, those are
 *     applied and the hook runs (runNeedy, E_HOOK_FAILED: the transaction is
 *     undone); then the rest is applied; commit —
 *   runPost()        post-* hooks; failures are recorded, not thrown
 *   startServices()  started / reloaded / monitored; failures recorded
 *   record(id)       every outcome into state.db (history row `id`)
 *
 * and `abort()` when the transaction fails after services were stopped.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ZpkgError } from '../core/errors.js';
import { ZPKG_VERSION } from '../core/zpkg-version.js';
import { PENDING_DIR } from './pending-dir.js';
import { dirInRoot, readBounded, resolveInRoot, writeInRoot } from '../fs/in-root.js';
import type { Digest } from '../core/digest.js';
import type { Manifest } from '../core/manifest.js';
import type { LifecycleRow } from '../image/lifecycle-state.js';
import { recordLifecycle } from '../image/lifecycle-state.js';
import { compressedBound, decompressBounded } from '../repo/compress.js';
import type { Report } from '../report/report.js';
import { readLifecycleConfig, type HookMode, type LifecycleConfig, type OnFailure } from './config.js';
import { planLifecycle, type HookStep, type LifecyclePlan, type PlanInput, type ServiceStep } from './plan.js';
import { runHook } from './runner.js';
import { inWaves, restartStopped, startAll, stopAll, type NoteStatus, type ServiceRunContext, type ServiceRunState, type StartStep } from './service-run.js';
import { detectServiceKind, createServiceManager, type ServiceConfig } from './services/detect.js';
import type { ServiceKind, ServiceManager } from './services/types.js';
import { hookImagePath, storeHook, sweepHooks } from './store.js';

export interface LifecycleOptions {
  /** Overrides the configured hook mode; `skip` is `--no-scripts`. */
  hooks?: HookMode;
  /** First-boot install (`sync --boot`): no hooks run; services are still started. */
  boot?: boolean;
  /** A service manager to use instead of the configured or detected one (library callers, tests). */
  serviceManager?: ServiceManager;
  /** `--rollback-on-failure` (true) or not (false); absent: `on-failure` of etc/zpkg/zpkg.yaml. */
  rollbackOnFailure?: boolean;
  /** Whether services were up, as an earlier transaction saw them (the automatic rollback restores those). */
  wasRunning?: readonly [string, boolean][];
}

export interface HookReport {
  package: string;
  version: string;
  phase: string;
  /** `planned`: a dry run's hook that would run. */
  status: 'ok' | 'failed' | 'timeout' | 'planned';
  detail: string;
  seconds: number;
  output: string;
}

export interface ServiceReport {
  name: string;
  package: string;
  action: string;
  /** `planned`: a dry run's operation that would be tried. */
  status: 'ok' | 'failed' | 'skipped' | 'protected' | 'planned';
  detail: string;
}

export interface LifecycleResult {
  hookMode: 'chroot' | 'host' | 'skip';
  serviceManager: ServiceKind;
  hooks: HookReport[];
  services: ServiceReport[];
  /** Post-* hooks and service operations after the commit that failed. */
  errors: number;
}

export interface LifecycleContext {
  root: string;
  txid: string;
  report: Report;
  /** Compressed blob in the content cache for a digest. */
  blobPath: (digest: HookStep['digest']) => string;
  /** Manifests of every package installed after the transaction (hooks they name stay in the store). */
  installedManifests: () => Manifest[];
}

/**
 * Written durably before the first file changes and removed when everything
 * after the commit is done: what recovery needs to finish the lifecycle of a
 * transaction an interruption stopped (`var/lib/zpkg/lifecycle/<txid>.json`).
 */
export interface PendingLifecycle {
  txid: string;
  /** When it was written (recovery handles older ones first). */
  createdAt?: string;
  hookMode: LifecycleResult['hookMode'];
  serviceManager: ServiceKind;
  post: HookStep[];
  services: ServiceStep[];
  wasRunning: [string, boolean][];
  /** Services this transaction stopped. */
  stopped: string[];
  /** Services it made zinit forget. */
  forgotten?: string[];
  /** What already ran (pre-hooks, stops), recorded with the transaction when it is finished. */
  ran: LifecycleRow[];
  /** The transaction rolls the image back when its post-hooks or service starts fail. */
  rollbackOnFailure?: boolean;
  /**
   * Its post-phase failed and the image is being rolled back to generation
   * `to`: recovery carries the rollback through unless a later generation
   * than `from` exists already.
   */
  rollback?: { from: number; to: number; causes: string[] };
}

function resolveHookMode(root: string, config: LifecycleConfig, options: LifecycleOptions): LifecycleResult['hookMode'] {
  if (options.boot) return 'skip';
  const mode = options.hooks ?? config.hooks.mode;
  const isRoot = process.getuid?.() === 0;
  if (mode === 'chroot' && !isRoot) throw new ZpkgError('E_PRIVILEGE', '--hooks=chroot needs root (chroot(2) is privileged)', { hint: 'run as root, or use --hooks=host or --no-scripts' });
  if (mode !== 'auto') return mode;
  return root !== '/' && isRoot ? 'chroot' : 'host';
}

function serviceConfigOf(root: string, config: LifecycleConfig): ServiceConfig {
  const s = config.services;
  // Resolved in the image: a link `etc/zinit` → elsewhere leads to the image's elsewhere.
  let zinitConfigDir: string;
  try {
    zinitConfigDir = dirInRoot(root, 'etc/zinit');
  } catch {
    zinitConfigDir = join(root, 'etc/zinit');
  }
  return { zinitSocket: s.zinitSocket, zinitConfigDir, svdir: s.svdir, s6Scandir: s.s6Scandir };
}

function resolveServiceKind(root: string, config: LifecycleConfig): ServiceKind {
  const want = config.services.manager;
  if (want !== 'auto') return want;
  // An image in a directory is not the running system: its services are not this host's.
  if (root !== '/') return 'none';
  return detectServiceKind(serviceConfigOf(root, config)).kind;
}

/** A hook's `#!` interpreter as an image path (no leading `/`), when its blob (declared `size` bytes, decompressed to no more) starts with one. */
function interpreterOf(blob: string, size: number): string | undefined {
  try {
    const stored = readBounded(blob, { maxBytes: compressedBound(size), noFollow: true });
    if (stored === undefined) return undefined;
    const head = decompressBounded(stored, size, blob).subarray(0, 256).toString('latin1');
    const m = /^#!\s*\/(\S+)/.exec(head);
    return m?.[1];
  } catch {
    return undefined;
  }
}

export class Lifecycle {
  readonly result: LifecycleResult;
  private readonly rows: LifecycleRow[] = [];
  private readonly state: ServiceRunState = { wasRunning: new Map(), stopped: [], forgotten: [] };
  private manager: ServiceManager | undefined;
  /** The transaction rolls back when its post-phase fails (the option, else the image's `on-failure`). */
  readonly rollbackOnFailure: boolean;

  private constructor(
    private readonly ctx: LifecycleContext,
    private readonly config: LifecycleConfig,
    readonly plan: LifecyclePlan,
    hookMode: LifecycleResult['hookMode'],
    kind: ServiceKind,
    private readonly landing: readonly { name: string; manifest: Manifest; repair: boolean }[],
    manager: ServiceManager | undefined,
    rollbackOnFailure: boolean,
  ) {
    this.manager = manager;
    this.rollbackOnFailure = rollbackOnFailure;
    this.result = { hookMode, serviceManager: kind, hooks: [], services: [], errors: 0 };
  }

  /** The lifecycle of a transaction about to run. */
  static forTransaction(
    ctx: LifecycleContext,
    input: Omit<PlanInput, 'runHooks' | 'zinit' | 'protected' | 'interpreters'>,
    landing: readonly { name: string; manifest: Manifest; repair: boolean }[],
    options: LifecycleOptions,
  ): Lifecycle {
    const config = readLifecycleConfig(ctx.root);
    const hookMode = resolveHookMode(ctx.root, config, options);
    const kind = options.serviceManager?.kind ?? resolveServiceKind(ctx.root, config);
    const interpreters = new Map<Digest, string>();
    if (hookMode === 'chroot') {
      for (const c of landing) {
        for (const ref of Object.values(c.manifest.hooks ?? {})) {
          const i = interpreterOf(ctx.blobPath(ref.digest), ref.size);
          if (i) interpreters.set(ref.digest, i);
        }
      }
    }
    const plan = planLifecycle({ ...input, runHooks: hookMode !== 'skip', zinit: kind === 'zinit', protected: config.services.protected, interpreters });
    const rollback = options.rollbackOnFailure ?? config.onFailure === 'rollback';
    const l = new Lifecycle(ctx, config, plan, hookMode, kind, landing, options.serviceManager, rollback);
    for (const [name, up] of options.wasRunning ?? []) l.state.wasRunning.set(name, up);
    return l;
  }

  /**
   * What is left of a transaction an interruption stopped after its services
   * were stopped: its post-hooks and service starts when it was committed, or
   * starting again what it stopped when it was rolled back.
   */
  static resume(ctx: LifecycleContext, pending: PendingLifecycle, committed: boolean, manager?: ServiceManager): Lifecycle {
    const config = readLifecycleConfig(ctx.root);
    const services = committed ? pending.services : pending.services.filter((s) => pending.stopped.includes(s.name)).map((s) => ({ ...s, after: 'start' as const, onlyIfRunning: true }));
    const plan: LifecyclePlan = { pre: [], post: committed ? pending.post : [], services };
    const l = new Lifecycle({ ...ctx, txid: pending.txid }, config, plan, pending.hookMode, pending.serviceManager, [], manager, Boolean(pending.rollbackOnFailure));
    for (const [name, running] of pending.wasRunning) l.state.wasRunning.set(name, running);
    l.state.stopped = committed ? [] : [...pending.stopped];
    l.state.forgotten = [...(pending.forgotten ?? [])];
    l.rows.push(...(pending.ran ?? []));
    return l;
  }

  private services(): ServiceManager {
    if (!this.manager) {
      const kind = this.result.serviceManager;
      const config = serviceConfigOf(this.ctx.root, this.config);
      this.manager = createServiceManager(kind, kind === 's6' && !config.s6Scandir ? { ...config, s6Scandir: detectServiceKind(config).s6Scandir } : config);
    }
    return this.manager;
  }

  private get waitMs(): number {
    return this.config.services.timeout * 1000;
  }

  private runContext(): ServiceRunContext {
    return { manager: this.services(), waitMs: this.waitMs, report: this.ctx.report, note: (step, action, status, detail) => this.note(step, action, status, detail) };
  }

  /** What a dry run shows: every hook that would run, in order, and every service operation that would be tried, in order. */
  planned(): LifecycleResult {
    const hooks: HookReport[] = [...this.plan.pre, ...this.plan.post].map((h) => ({
      package: h.package,
      version: h.version,
      phase: h.phase,
      status: 'planned',
      detail: [h.oldVersion && h.newVersion ? `${h.oldVersion} → ${h.newVersion}` : '', h.needs?.length ? `after ${h.needs.join(', ')} ${h.needs.length === 1 ? 'lands' : 'land'}` : ''].filter(Boolean).join('; '),
      seconds: 0,
      output: '',
    }));
    const services: ServiceReport[] = [];
    const live: ServiceStep[] = [];
    for (const step of this.plan.services) {
      if (step.protected) services.push({ name: step.name, package: step.package, action: 'none', status: 'protected', detail: 'a protected service: zpkg never stops or starts it' });
      else if (this.result.serviceManager === 'none') services.push({ name: step.name, package: step.package, action: 'none', status: 'skipped', detail: 'no service manager (services.manager: none)' });
      else live.push(step);
    }
    if (live.length) {
      const manager = this.services();
      const why = (s: ServiceStep): string => s.reasons.join('; ');
      for (const wave of inWaves(manager, live.filter((s) => s.stop), true)) {
        for (const s of wave) {
          services.push({ name: s.name, package: s.package, action: 'stop', status: 'planned', detail: manager.stopsIdle ? `${why(s)}; SIGKILL after ${this.config.services.timeout} s` : `if running: ${why(s)}` });
          if (s.forget) services.push({ name: s.name, package: s.package, action: 'forget', status: 'planned', detail: why(s) });
        }
      }
      for (const wave of inWaves(manager, live.filter((s) => s.after))) {
        for (const s of wave) services.push({ name: s.name, package: s.package, action: s.after!, status: 'planned', detail: s.onlyIfRunning && s.after !== 'monitor' ? `if it was running: ${why(s)}` : why(s) });
      }
    }
    return { ...this.result, hooks, services, errors: 0 };
  }

  /** Puts every hook of the landing packages into the store, verified, before anything runs. */
  prepare(): void {
    if (this.result.hookMode === 'skip') return;
    for (const c of this.landing) {
      if (c.repair) continue;
      for (const [phase, ref] of Object.entries(c.manifest.hooks ?? {})) storeHook(this.ctx.root, ref.digest, ref.size, this.ctx.blobPath(ref.digest), `the ${phase} hook of ${c.name}`);
    }
  }

  /** Pre-hooks that need packages of this transaction in place first, in order. */
  needyPre(): HookStep[] {
    return this.plan.pre.filter((s) => s.needs?.length);
  }

  /** Whether `runPre` has a hook to run. */
  hasPre(): boolean {
    return this.plan.pre.some((step) => !step.needs?.length);
  }

  /** The pre-hooks that need nothing landed: before any file changes. */
  async runPre(): Promise<void> {
    for (const step of this.plan.pre) {
      if (step.needs?.length) continue;
      await this.runPreStep(step, 'nothing was changed');
    }
  }

  /** A pre-hook whose `needs` the transaction has just put in place; a failure means the transaction is undone. */
  async runNeedy(step: HookStep): Promise<void> {
    await this.runPreStep(step, `the transaction was undone (the packages landed for it, ${step.needs!.join(', ')}, were taken out again)`);
  }

  private async runPreStep(step: HookStep, consequence: string): Promise<void> {
    const outcome = await this.runStep(step);
    if (outcome.status === 'ok') return;
    this.sweep();
    const tail = outcome.output.trimEnd().split('\n').slice(-10).join('\n');
    throw new ZpkgError('E_HOOK_FAILED', `the ${step.phase} hook of ${step.package} ${step.version} failed (${outcome.detail}); ${consequence}`, {
      hint: tail ? `its last output:\n${tail}` : 'it printed nothing',
      details: { package: step.package, phase: step.phase, status: outcome.status, detail: outcome.detail, output: outcome.output },
    });
  }

  async runPost(): Promise<void> {
    for (const step of this.plan.post) {
      const outcome = await this.runStep(step);
      if (outcome.status !== 'ok') {
        this.result.errors += 1;
        this.ctx.report.warn(`the ${step.phase} hook of ${step.package} ${step.version} failed (${outcome.detail}); the transaction is committed with errors`);
      }
    }
    this.sweep();
  }

  private async runStep(step: HookStep): Promise<HookReport> {
    const { root, report } = this.ctx;
    // A hook of an installed package is in the store; an image older than the store has it in the content cache.
    storeHook(root, step.digest, step.size, this.ctx.blobPath(step.digest), `the ${step.phase} hook of ${step.package}`);
    const mode = this.result.hookMode as 'chroot' | 'host';
    report.info(`running the ${step.phase} hook of ${step.package} ${step.version}`);
    const outcome = await runHook({
      root,
      mode,
      file: hookImagePath(step.digest),
      timeoutMs: (step.timeout ?? this.config.hooks.timeout) * 1000,
      env: {
        ZPKG_ROOT: mode === 'chroot' ? '/' : root,
        ZPKG_PACKAGE: step.package,
        ZPKG_VERSION: step.version,
        ZPKG_OLD_VERSION: step.oldVersion ?? '',
        ZPKG_NEW_VERSION: step.newVersion ?? '',
        ZPKG_PHASE: step.phase,
        ZPKG_TRANSACTION: this.ctx.txid,
        ZPKG_RUNNING_VERSION: ZPKG_VERSION,
      },
      onLine: (line) => report.info(`  ${step.package} ${step.phase}: ${line}`),
    });
    const r: HookReport = { package: step.package, version: step.version, phase: step.phase, ...outcome };
    this.result.hooks.push(r);
    this.rows.push({ kind: 'hook', package: step.package, name: step.phase, action: step.phase, status: outcome.status, detail: r.detail, seconds: r.seconds, output: r.output });
    return r;
  }

  private sweep(): void {
    if (this.result.hookMode !== 'skip') sweepHooks(this.ctx.root, this.ctx.installedManifests);
  }

  private note(step: ServiceStep, action: string, status: NoteStatus, detail: string): void {
    this.result.services.push({ name: step.name, package: step.package, action, status, detail });
    this.rows.push({ kind: 'service', package: step.package, name: step.name, action, status, detail, seconds: null, output: null });
  }

  private live(): ServiceStep[] {
    const out: ServiceStep[] = [];
    for (const step of this.plan.services) {
      if (step.protected) {
        if (!this.result.services.some((s) => s.name === step.name)) this.note(step, 'none', 'protected', 'a protected service: zpkg never stops or starts it');
        continue;
      }
      if (this.result.serviceManager === 'none') {
        if (!this.result.services.some((s) => s.name === step.name)) this.note(step, 'none', 'skipped', 'no service manager (services.manager: none)');
        continue;
      }
      out.push(step);
    }
    return out;
  }

  /** Stops every affected service (independent ones at once); on a failure, starts again what it stopped and throws. */
  async stopServices(): Promise<void> {
    const steps = this.live().filter((s) => s.stop);
    if (steps.length === 0) return;
    try {
      await stopAll(this.runContext(), this.state, steps);
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  /** The transaction failed after services were stopped: start again those that were up (best effort, each failure recorded). */
  async abort(): Promise<number> {
    this.dropPending();
    if (!this.manager || this.state.stopped.length === 0) return 0;
    const errors = await restartStopped(this.runContext(), this.state, this.plan.services);
    this.result.errors += errors;
    return errors;
  }

  /** Starts, reloads or monitors every affected service once, dependencies first; failures are recorded. */
  async startServices(): Promise<void> {
    const steps = this.live().filter((s) => s.after);
    if (steps.length === 0) return;
    const ctx = this.runContext();
    const go: StartStep[] = [];
    for (const step of steps) {
      const action = step.after!;
      if (step.onlyIfRunning && action !== 'monitor') {
        let running = this.state.wasRunning.get(step.name);
        if (running === undefined) {
          try {
            const st = await ctx.manager.status(step.name);
            running = st.wanted ?? st.state === 'running';
          } catch {
            running = false;
          }
        }
        if (!running) {
          this.note(step, action, 'skipped', 'was not running');
          continue;
        }
      }
      go.push({ step, action });
    }
    this.result.errors += await startAll(ctx, this.state, go);
  }

  /** What failed after the commit, in words (for the automatic rollback's message). */
  failures(): string[] {
    const hooks = this.result.hooks.filter((h) => h.status === 'failed' || h.status === 'timeout').map((h) => `the ${h.phase} hook of ${h.package} ${h.version} failed (${h.detail})`);
    const services = this.result.services.filter((s) => s.status === 'failed').map((s) => `service ${s.name} ${s.action} failed: ${s.detail}`);
    return [...hooks, ...services];
  }

  /** Whether services were up before the transaction, as it saw them. */
  wasRunning(): [string, boolean][] {
    return [...this.state.wasRunning];
  }

  /** The pending record's image path (written and removed resolved in the image). */
  private pendingPath(): string {
    return `${PENDING_DIR}/${this.ctx.txid}.json`;
  }

  private pendingRecord(): PendingLifecycle {
    return {
      txid: this.ctx.txid,
      createdAt: new Date().toISOString(),
      hookMode: this.result.hookMode,
      serviceManager: this.result.serviceManager,
      post: this.plan.post,
      services: this.plan.services.filter((s) => s.after !== undefined || this.state.stopped.includes(s.name)),
      wasRunning: [...this.state.wasRunning],
      stopped: [...this.state.stopped],
      forgotten: [...this.state.forgotten],
      ran: this.rows,
      ...(this.rollbackOnFailure ? { rollbackOnFailure: true } : {}),
    };
  }

  /** Makes what must happen after the commit durable before the first file changes (nothing when nothing would). */
  savePending(): void {
    const pending = this.pendingRecord();
    if (this.plan.post.length === 0 && pending.services.length === 0 && !this.rollbackOnFailure) return;
    writeInRoot(this.ctx.root, this.pendingPath(), JSON.stringify(pending), { durable: true });
  }

  /**
   * The post-phase failed and the image goes back to generation `to`: made
   * durable before the rollback starts, so recovery carries it through.
   */
  markRollback(rollback: NonNullable<PendingLifecycle['rollback']>): void {
    const pending: PendingLifecycle = { ...this.pendingRecord(), post: [], services: [], stopped: [], ran: [], rollback };
    writeInRoot(this.ctx.root, this.pendingPath(), JSON.stringify(pending), { durable: true });
  }

  /** Everything after the commit is done (or undone): the pending record goes. */
  dropPending(): void {
    rmSync(resolveInRoot(this.ctx.root, this.pendingPath(), { followLast: false }).path, { force: true });
  }

  /** Writes what ran into state.db under history row `historyId`. */
  record(db: Parameters<typeof recordLifecycle>[0], historyId: number): void {
    if (this.rows.length) recordLifecycle(db, historyId, this.rows);
    this.rows.length = 0;
  }
}
