/**
 * Carrying out the service steps of a lifecycle plan with one service
 * manager: stops before the files change, starts (reloads, monitors) after
 * the commit, and the restart of what was stopped when a transaction does not
 * go through.
 *
 * Independent services are handled at once: the steps go in waves of
 * `serviceWaves` over the services' `after:` (zinit) — starts dependencies
 * first, stops dependents first — and each wave's operations run in
 * parallel, so one slow service holds up only those that come after it.
 *
 * With zinit (`stopsIdle`), every affected service that zinit knows is
 * stopped, running or not: `forget` takes only a service whose target is
 * down. A service forgotten here is brought back with `monitor`.
 */
import { ZpkgError } from '../core/errors.js';
import type { Report } from '../report/report.js';
import { serviceWaves } from './order.js';
import type { AfterCommit, ServiceStep } from './plan.js';
import type { ServiceManager, ServiceStatus } from './services/types.js';

export type NoteStatus = 'ok' | 'failed' | 'skipped' | 'protected';

export interface ServiceRunState {
  /** Whether each affected service was up (zinit: its target Up) before the transaction. */
  wasRunning: Map<string, boolean>;
  /** Services this transaction stopped, in the order they stopped. */
  stopped: string[];
  /** Services it made zinit forget. */
  forgotten: string[];
}

export interface ServiceRunContext {
  manager: ServiceManager;
  waitMs: number;
  report: Report;
  note(step: ServiceStep, action: string, status: NoteStatus, detail: string): void;
}

type Outcome = { step: ServiceStep; notes: [string, NoteStatus, string][]; error?: Error };

function after(manager: ServiceManager, name: string): readonly string[] {
  try {
    return manager.after?.(name) ?? [];
  } catch {
    return [];
  }
}

/** The steps in waves (starts: dependencies first); `reverse` for stops. */
export function inWaves(manager: ServiceManager, steps: readonly ServiceStep[], reverse = false): ServiceStep[][] {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const waves = serviceWaves([...byName.keys()], (n) => after(manager, n)).map((w) => w.map((n) => byName.get(n)!));
  return reverse ? waves.reverse() : waves;
}

/** Runs a wave's operations at once; notes are recorded in the wave's order once all settled. */
async function runWave(ctx: ServiceRunContext, wave: readonly ServiceStep[], op: (step: ServiceStep, notes: Outcome['notes']) => Promise<void>): Promise<Outcome[]> {
  const outcomes = await Promise.all(
    wave.map(async (step): Promise<Outcome> => {
      const notes: Outcome['notes'] = [];
      try {
        await op(step, notes);
        return { step, notes };
      } catch (err) {
        return { step, notes, error: err as Error };
      }
    }),
  );
  for (const o of outcomes) for (const [action, status, detail] of o.notes) ctx.note(o.step, action, status, detail);
  return outcomes;
}

/**
 * Stops the steps' services (and forgets those the plan says to); on the
 * first failure the caller restarts what was stopped. Throws E_SERVICE.
 */
export async function stopAll(ctx: ServiceRunContext, state: ServiceRunState, steps: readonly ServiceStep[]): Promise<void> {
  const { manager } = ctx;
  const statuses = new Map<string, ServiceStatus>();
  await Promise.all(steps.map(async (s) => statuses.set(s.name, await manager.status(s.name))));
  const toStop: ServiceStep[] = [];
  for (const step of steps) {
    const st = statuses.get(step.name)!;
    state.wasRunning.set(step.name, st.wanted ?? st.state === 'running');
    if (st.state === 'unknown') ctx.note(step, 'stop', 'skipped', 'not supervised');
    else if (manager.stopsIdle || st.state === 'running') toStop.push(step);
  }
  for (const wave of inWaves(manager, toStop, true)) {
    const outcomes = await runWave(ctx, wave, async (step, notes) => {
      const st = statuses.get(step.name)!;
      ctx.report.info(`stopping ${step.name} (${step.reasons.join('; ')})`);
      const r = await manager.stop(step.name, { timeoutMs: ctx.waitMs });
      state.stopped.push(step.name);
      const was = st.state === 'running' ? `was running${st.pid ? ` as pid ${st.pid}` : ''}` : `was ${st.detail ?? 'not running'}`;
      notes.push(['stop', 'ok', was]);
      if (r && r.killed) notes.push(['kill', 'ok', `SIGKILL: it was still running ${(r.afterMs ?? ctx.waitMs) / 1000} s after it was asked to stop`]);
      if (step.forget && manager.forget) {
        await manager.forget(step.name);
        state.forgotten.push(step.name);
        notes.push(['forget', 'ok', '']);
      }
    });
    const failed = outcomes.find((o) => o.error);
    if (failed) {
      for (const o of outcomes) if (o.error) ctx.note(o.step, 'stop', 'failed', o.error.message);
      throw new ZpkgError('E_SERVICE', `cannot stop service ${failed.step.name} before changing its files: ${failed.error!.message}; nothing was changed`, {
        cause: failed.error,
        hint: 'stop it by hand, or list it under services.protected in etc/zpkg/zpkg.yaml',
      });
    }
  }
}

export interface StartStep {
  step: ServiceStep;
  action: AfterCommit;
}

/**
 * Starts, reloads or monitors each service, dependencies first; a service
 * that comes after one that did not come up is not waited for. Returns the
 * number of failures (each noted).
 */
export async function startAll(ctx: ServiceRunContext, state: ServiceRunState, steps: readonly StartStep[]): Promise<number> {
  const { manager } = ctx;
  const byName = new Map(steps.map((s) => [s.step.name, s]));
  const failed = new Set<string>();
  let errors = 0;
  for (const wave of inWaves(manager, steps.map((s) => s.step))) {
    const outcomes = await runWave(ctx, wave, async (step, notes) => {
      const { action } = byName.get(step.name)!;
      const blockers = after(manager, step.name).filter((d) => failed.has(d));
      if (blockers.length) {
        // Asked for anyway, so the supervisor runs it once what it waits for comes up; not waited for.
        const forgotten = state.forgotten.includes(step.name);
        if ((action === 'monitor' || forgotten) && manager.monitor) await manager.monitor(step.name, { timeoutMs: 0 }).catch(() => undefined);
        else if (action === 'start') await manager.start(step.name, { timeoutMs: 0 }).catch(() => undefined);
        throw new Error(`not waited for: it comes after ${blockers.join(', ')}, which did not come up`);
      }
      if (action === 'reload') {
        if (!manager.reload) throw new ZpkgError('E_SERVICE', `${manager.kind} cannot reload services`);
        ctx.report.info(`reloading ${step.name}`);
        await manager.reload(step.name);
      } else {
        ctx.report.info(`starting ${step.name}`);
        const forgotten = state.forgotten.includes(step.name);
        if ((action === 'monitor' || forgotten) && manager.monitor) await manager.monitor(step.name, { timeoutMs: ctx.waitMs });
        else await manager.start(step.name, { timeoutMs: ctx.waitMs });
      }
      const now = await manager.status(step.name);
      notes.push([action, 'ok', now.pid ? `running as pid ${now.pid}` : (now.detail ?? now.state)]);
    });
    for (const o of outcomes) {
      if (!o.error) continue;
      const { action } = byName.get(o.step.name)!;
      errors += 1;
      failed.add(o.step.name);
      ctx.note(o.step, action, 'failed', o.error.message);
      ctx.report.warn(`service ${o.step.name} ${action} failed: ${o.error.message}`);
    }
  }
  return errors;
}

/**
 * The transaction did not go through after services were stopped: each one
 * that was up before comes back (monitored again when it was forgotten).
 * Returns the failures, each noted.
 */
export async function restartStopped(ctx: ServiceRunContext, state: ServiceRunState, steps: readonly ServiceStep[]): Promise<number> {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const back = state.stopped.filter((n) => byName.has(n) && state.wasRunning.get(n) !== false).map((n) => ({ step: byName.get(n)!, action: 'start' as const }));
  state.stopped = state.stopped.filter((n) => !back.some((b) => b.step.name === n));
  return startAll(ctx, state, back);
}
