/**
 * The service-manager interface: how zpkg stops, starts and reloads the
 * supervised processes a package declares, whatever supervises them (zinit on
 * zos; runit, s6, systemd elsewhere; `none` when nothing does).
 *
 * Every waiting method is bounded by a timeout and fails with a ZpkgError
 * (`E_SERVICE`) that names the service, the supervisor and the last state seen.
 */
export type ServiceKind = 'zinit' | 'runit' | 's6' | 'systemd' | 'none';

export const SERVICE_KINDS: readonly ServiceKind[] = ['zinit', 'runit', 's6', 'systemd', 'none'];

export type ServiceState = 'running' | 'stopped' | 'unknown';

export interface ServiceStatus {
  /** `running`: a process of the service runs; `stopped`: none does; `unknown`: not supervised, or cannot tell. */
  state: ServiceState;
  /** The main process id while running (when the supervisor tells it). */
  pid?: number;
  /** The supervisor's own words for the state (`Running`, `down: 3s`, `inactive`, …), for messages. */
  detail?: string;
  /**
   * Whether the supervisor is asked to keep it up (zinit's target `Up`): what
   * "it was running" means for a service that is up by having run (a zinit
   * oneshot in `Success`). Absent: the same as `state === 'running'`.
   */
  wanted?: boolean;
}

/** What a stop took beyond asking. */
export interface StopOutcome {
  /** The service outlived its timeout and was killed (SIGKILL), as zos's `StopWait` does. */
  killed?: boolean;
  /** The timeout it outlived. */
  afterMs?: number;
}

export interface WaitOptions {
  /** How long to wait for the service to reach the wanted state. */
  timeoutMs: number;
}

export interface ServiceManager {
  readonly kind: ServiceKind;
  status(name: string): Promise<ServiceStatus>;
  /** Asks the supervisor to stop the service and waits until it is stopped. */
  stop(name: string, options: WaitOptions): Promise<StopOutcome | void>;
  /**
   * zinit: a service is stopped (its target set down) even when no process of
   * it runs — a oneshot that ran, a blocked service — since `forget` takes
   * only a stopped one.
   */
  readonly stopsIdle?: boolean;
  /**
   * Asks the supervisor to start the service and waits until it is running
   * (and still running, with the same pid, a short settle time later); fails
   * with the service's name and last state when it does not come up.
   */
  start(name: string, options: WaitOptions): Promise<void>;
  /** Asks the service to reload its configuration (SIGHUP or the supervisor's equivalent). */
  reload?(name: string): Promise<void>;
  /**
   * zinit only: start supervising the service file `<name>.yaml` in zinit's
   * config directory (zinit starts it), and wait as `start` does.
   */
  monitor?(name: string, options: WaitOptions): Promise<void>;
  /** zinit only: stop supervising a (stopped) service. */
  forget?(name: string): Promise<void>;
  /** The services this one is ordered after (zinit's `after:`), read now: stops go dependents first, starts dependencies first. */
  after?(name: string): string[];
}
