/**
 * The lifecycle of one transaction: its plan (plan.ts) carried out around the
 * file changes. The transaction calls, in this order:
 *
 *   prepare()        hooks of landing packages into the hook store (verified)
 *   runPre()         pre-* hooks; a failure aborts (E_HOOK_FAILED), nothing changed
 *   stopServices()   affected services stopped; a failure restarts the ones
 *                    already stopped and aborts (E_SERVICE), nothing changed
 *   — stage, apply, commit —
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
import { STATE_DIR } from '../core/paths.js';
import { writeFileAtomic } from '../fs/atomic.js';
import type { Manifest } from '../core/manifest.js';
import type { LifecycleRow } from '../image/lifecycle-state.js';
import { recordLifecycle } from '../image/lifecycle-state.js';
import type { Report } from '../report/report.js';
import { readLifecycleConfig, type HookMode, type LifecycleConfig } from './config.js';
import { planLifecycle, type HookStep, type LifecyclePlan, type PlanInput, type ServiceStep } from './plan.js';
import { runHook } from './runner.js';
import { detectServiceKind, createServiceManager, type ServiceConfig } from './services/detect.js';
import type { ServiceKind, ServiceManager } from './services/types.js';
import { hookImagePath, storeHook, sweepHooks } from './store.js';

/** Where pending lifecycles wait, relative to the image root. */
export const PENDING_DIR = `${STATE_DIR}/lifecycle`;

export interface LifecycleOptions {
  /** Overrides the configured hook mode; `skip` is `--no-scripts`. */
  hooks?: HookMode;
  /** First-boot install (`sync --boot`): no hooks run; services are still started. */
  boot?: boolean;
  /** A service manager to use instead of the configured or detected one (library callers, tests). */
  serviceManager?: ServiceManager;
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
  /** `planned`: a dry run's operation that would be tried (a stop or forget only when the service runs then). */
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
  hookMode: LifecycleResult['hookMode'];
  serviceManager: ServiceKind;
  post: HookStep[];
  services: ServiceStep[];
  wasRunning: [string, boolean][];
  /** Services this transaction stopped. */
  stopped: string[];
  /** What already ran (pre-hooks, stops), recorded with the transaction when it is finished. */
  ran: LifecycleRow[];
}

function resolveHookMode(root: string, config: LifecycleConfig, options: LifecycleOptions): LifecycleResult['hookMode'] {
  if (options.boot) return 'skip';
  const mode = options.hooks ?? config.hooks.mode;
  const isRoot = process.getuid?.() === 0;
  if (mode === 'chroot' && !isRoot) throw new ZpkgError('E_PRIVILEGE', '--hooks=chroot needs root (chroot(2) is privileged)', { hint: 'run as root, or use --hooks=host or --no-scripts' });
  if (mode !== 'auto') return mode;
  return root !== '/' && isRoot ? 'chroot' : 'host';
}

function serviceConfigOf(config: LifecycleConfig): ServiceConfig {
  const s = config.services;
  return { zinitSocket: s.zinitSocket, svdir: s.svdir, s6Scandir: s.s6Scandir };
}

function resolveServiceKind(root: string, config: LifecycleConfig): ServiceKind {
  const want = config.services.manager;
  if (want !== 'auto') return want;
  // An image in a directory is not the running system: its services are not this host's.
  if (root !== '/') return 'none';
  return detectServiceKind(serviceConfigOf(config)).kind;
}

export class Lifecycle {
  readonly result: LifecycleResult;
  private readonly rows: LifecycleRow[] = [];
  private readonly wasRunning = new Map<string, boolean>();
  private readonly stopped: ServiceStep[] = [];
  private manager: ServiceManager | undefined;

  private constructor(
    private readonly ctx: LifecycleContext,
    private readonly config: LifecycleConfig,
    readonly plan: LifecyclePlan,
    hookMode: LifecycleResult['hookMode'],
    kind: ServiceKind,
    private readonly landing: readonly { name: string; manifest: Manifest; repair: boolean }[],
    manager?: ServiceManager,
  ) {
    this.manager = manager;
    this.result = { hookMode, serviceManager: kind, hooks: [], services: [], errors: 0 };
  }

  /** The lifecycle of a transaction about to run. */
  static forTransaction(
    ctx: LifecycleContext,
    input: Omit<PlanInput, 'runHooks' | 'zinit' | 'protected'>,
    landing: readonly { name: string; manifest: Manifest; repair: boolean }[],
    options: LifecycleOptions,
  ): Lifecycle {
    const config = readLifecycleConfig(ctx.root);
    const hookMode = resolveHookMode(ctx.root, config, options);
    const kind = options.serviceManager?.kind ?? resolveServiceKind(ctx.root, config);
    const plan = planLifecycle({ ...input, runHooks: hookMode !== 'skip', zinit: kind === 'zinit', protected: config.services.protected });
    return new Lifecycle(ctx, config, plan, hookMode, kind, landing, options.serviceManager);
  }

  /**
   * What is left of a transaction an interruption stopped after its services
   * were stopped: its post-hooks and service starts when it was committed, or
   * starting again what it stopped when it was rolled back.
   */
  static resume(ctx: LifecycleContext, pending: PendingLifecycle, committed: boolean, manager?: ServiceManager): Lifecycle {
    const config = readLifecycleConfig(ctx.root);
    const services = committed ? pending.services : pending.services.filter((s) => pending.stopped.includes(s.name)).map((s) => ({ ...s, after: 'start' as const, onlyIfRunning: false }));
    const plan: LifecyclePlan = { pre: [], post: committed ? pending.post : [], services };
    const l = new Lifecycle({ ...ctx, txid: pending.txid }, config, plan, pending.hookMode, pending.serviceManager, [], manager);
    for (const [name, running] of pending.wasRunning) l.wasRunning.set(name, running);
    l.rows.push(...(pending.ran ?? []));
    return l;
  }

  private serviceConfig(): ServiceConfig {
    return serviceConfigOf(this.config);
  }

  private services(): ServiceManager {
    if (!this.manager) {
      const kind = this.result.serviceManager;
      const config = this.serviceConfig();
      this.manager = createServiceManager(kind, kind === 's6' && !config.s6Scandir ? { ...config, s6Scandir: detectServiceKind(config).s6Scandir } : config);
    }
    return this.manager;
  }

  private get waitMs(): number {
    return this.config.services.timeout * 1000;
  }

  /** What a dry run shows: every hook that would run, in order, and every service operation that would be tried. */
  planned(): LifecycleResult {
    const hooks: HookReport[] = [...this.plan.pre, ...this.plan.post].map((h) => ({
      package: h.package,
      version: h.version,
      phase: h.phase,
      status: 'planned',
      detail: h.oldVersion && h.newVersion ? `${h.oldVersion} → ${h.newVersion}` : '',
      seconds: 0,
      output: '',
    }));
    const services: ServiceReport[] = [];
    for (const step of this.plan.services) {
      const why = step.reasons.join('; ');
      if (step.protected) services.push({ name: step.name, package: step.package, action: 'none', status: 'protected', detail: 'a protected service: zpkg never stops or starts it' });
      else if (this.result.serviceManager === 'none') services.push({ name: step.name, package: step.package, action: 'none', status: 'skipped', detail: 'no service manager (services.manager: none)' });
      else {
        if (step.stop) services.push({ name: step.name, package: step.package, action: 'stop', status: 'planned', detail: `if running: ${why}` });
        if (step.forget) services.push({ name: step.name, package: step.package, action: 'forget', status: 'planned', detail: why });
        if (step.after) services.push({ name: step.name, package: step.package, action: step.after, status: 'planned', detail: step.onlyIfRunning && step.after !== 'monitor' ? `if it was running: ${why}` : why });
      }
    }
    return { ...this.result, hooks, services, errors: 0 };
  }

  /** Puts every hook of the landing packages into the store, verified, before anything runs. */
  prepare(): void {
    if (this.result.hookMode === 'skip') return;
    for (const c of this.landing) {
      if (c.repair) continue;
      for (const [phase, ref] of Object.entries(c.manifest.hooks ?? {})) storeHook(this.ctx.root, ref.digest, this.ctx.blobPath(ref.digest), `the ${phase} hook of ${c.name}`);
    }
  }

  async runPre(): Promise<void> {
    for (const step of this.plan.pre) {
      const outcome = await this.runStep(step);
      if (outcome.status === 'ok') continue;
      this.sweep();
      const tail = outcome.output.trimEnd().split('\n').slice(-10).join('\n');
      throw new ZpkgError('E_HOOK_FAILED', `the ${step.phase} hook of ${step.package} ${step.version} failed (${outcome.detail}); nothing was changed`, {
        hint: tail ? `its last output:\n${tail}` : 'it printed nothing',
        details: { package: step.package, phase: step.phase, status: outcome.status, detail: outcome.detail, output: outcome.output },
      });
    }
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
    storeHook(root, step.digest, this.ctx.blobPath(step.digest), `the ${step.phase} hook of ${step.package}`);
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
    if (this.result.hookMode !== 'skip') sweepHooks(this.ctx.root, this.ctx.installedManifests());
  }

  private note(step: ServiceStep, action: string, status: Exclude<ServiceReport['status'], 'planned'>, detail: string): void {
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

  /** Stops every affected service that runs; on a failure, starts again what it stopped and throws. */
  async stopServices(): Promise<void> {
    const steps = this.live().filter((s) => s.stop);
    if (steps.length === 0) return;
    const manager = this.services();
    for (const step of steps) {
      try {
        const status = await manager.status(step.name);
        this.wasRunning.set(step.name, status.state === 'running');
        if (status.state === 'unknown') {
          this.note(step, 'stop', 'skipped', 'not supervised');
          continue;
        }
        if (status.state === 'running') {
          this.ctx.report.info(`stopping ${step.name} (${step.reasons.join('; ')})`);
          await manager.stop(step.name, { timeoutMs: this.waitMs });
          this.stopped.push(step);
          this.note(step, 'stop', 'ok', `was running${status.pid ? ` as pid ${status.pid}` : ''}`);
        }
        if (step.forget && manager.forget) {
          await manager.forget(step.name);
          this.note(step, 'forget', 'ok', '');
        }
      } catch (err) {
        await this.abort();
        throw new ZpkgError('E_SERVICE', `cannot stop service ${step.name} before changing its files: ${(err as Error).message}; nothing was changed`, { cause: err, hint: 'stop it by hand, or list it under services.protected in etc/zpkg/zpkg.yaml' });
      }
    }
  }

  /** The transaction failed after services were stopped: start them again (best effort). */
  async abort(): Promise<void> {
    this.dropPending();
    const manager = this.manager;
    if (!manager) return;
    for (const step of this.stopped.splice(0)) {
      try {
        await manager.start(step.name, { timeoutMs: this.waitMs });
      } catch (err) {
        this.ctx.report.warn(`could not start ${step.name} again: ${(err as Error).message}`);
      }
    }
  }

  /** Starts, reloads or monitors every affected service once; failures are recorded. */
  async startServices(): Promise<void> {
    const steps = this.live().filter((s) => s.after);
    if (steps.length === 0) return;
    const manager = this.services();
    for (const step of steps) {
      const action = step.after!;
      try {
        let running = this.wasRunning.get(step.name);
        if (running === undefined && step.onlyIfRunning) running = (await manager.status(step.name)).state === 'running';
        if (step.onlyIfRunning && !running && action !== 'monitor') {
          this.note(step, action, 'skipped', 'was not running');
          continue;
        }
        if (action === 'reload') {
          if (!manager.reload) throw new ZpkgError('E_SERVICE', `${manager.kind} cannot reload services`);
          this.ctx.report.info(`reloading ${step.name}`);
          await manager.reload(step.name);
        } else {
          this.ctx.report.info(`starting ${step.name}`);
          if (action === 'monitor' && manager.monitor) await manager.monitor(step.name);
          await manager.start(step.name, { timeoutMs: this.waitMs });
        }
        const after = await manager.status(step.name);
        this.note(step, action, 'ok', after.pid ? `running as pid ${after.pid}` : after.state);
      } catch (err) {
        this.result.errors += 1;
        this.note(step, action, 'failed', (err as Error).message);
        this.ctx.report.warn(`service ${step.name} did not ${action}: ${(err as Error).message}`);
      }
    }
  }

  private pendingPath(): string {
    return join(this.ctx.root, PENDING_DIR, `${this.ctx.txid}.json`);
  }

  /** Makes what must happen after the commit durable before the first file changes (nothing when nothing would). */
  savePending(): void {
    const services = this.plan.services.filter((s) => s.after !== undefined || this.stopped.includes(s));
    if (this.plan.post.length === 0 && services.length === 0) return;
    const pending: PendingLifecycle = {
      txid: this.ctx.txid,
      hookMode: this.result.hookMode,
      serviceManager: this.result.serviceManager,
      post: this.plan.post,
      services,
      wasRunning: [...this.wasRunning],
      stopped: this.stopped.map((s) => s.name),
      ran: this.rows,
    };
    writeFileAtomic(this.pendingPath(), JSON.stringify(pending), { durable: true });
  }

  /** Everything after the commit is done (or undone): the pending record goes. */
  dropPending(): void {
    rmSync(this.pendingPath(), { force: true });
  }

  /** Writes what ran into state.db under history row `historyId`. */
  record(db: Parameters<typeof recordLifecycle>[0], historyId: number): void {
    if (this.rows.length) recordLifecycle(db, historyId, this.rows);
  }
}
