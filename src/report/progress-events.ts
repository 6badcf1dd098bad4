/**
 * `--progress=json`: progress a program can read (apk's `--progress-fd`,
 * Nix's `--log-format internal-json`). Every line zpkg writes to stderr is
 * then one JSON object (NDJSON), so a node agent can report an upgrade as it
 * runs. The schema (README, "Progress a program can read"), version 1:
 *
 *   {"v":1,"event":"start","step":S,"total":N,"at":ISO}
 *   {"v":1,"event":"progress","step":S,"count":C,"total":N,"bytes":B,"at":ISO}
 *   {"v":1,"event":"done","step":S,"count":C,"total":N,"bytes":B,"seconds":F,"summary":TEXT,"at":ISO}
 *   {"v":1,"event":"info"|"warning","message":TEXT,"at":ISO}
 *   {"v":1,"event":"error","code":E_…,"message":TEXT,"hint"?:TEXT,"at":ISO}
 *
 * A step is one of the report's progress labels (`manifests`, `fetch`,
 * `stage`, …); `total` may be 0 when unknown. `progress` events are at most
 * one per step every 100 ms (the last count always arrives in `done`); counts
 * and bytes never decrease within a step. Fields are only ever added.
 */
import type { ZpkgError } from '../core/errors.js';

export const PROGRESS_SCHEMA_VERSION = 1;
const INTERVAL_MS = 100;

export class ProgressEvents {
  constructor(private readonly write: (line: string) => void) {}

  private emit(event: string, fields: Record<string, unknown>): void {
    this.write(`${JSON.stringify({ v: PROGRESS_SCHEMA_VERSION, event, ...fields, at: new Date().toISOString() })}\n`);
  }

  message(event: 'info' | 'warning', message: string): void {
    this.emit(event, { message });
  }

  error(e: ZpkgError): void {
    this.emit('error', { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) });
  }

  step(step: string, total: number): { tick(n?: number, bytes?: number): void; done(summary?: string): void } {
    let count = 0;
    let bytes = 0;
    let last = 0;
    const started = Date.now();
    this.emit('start', { step, total });
    return {
      tick: (n = 1, b = 0) => {
        count += n;
        bytes += b;
        const now = Date.now();
        if (now - last >= INTERVAL_MS) {
          last = now;
          this.emit('progress', { step, count, total, bytes });
        }
      },
      done: (summary) => {
        this.emit('done', { step, count, total, bytes, seconds: (Date.now() - started) / 1000, summary: summary ?? `${count}/${total}` });
      },
    };
  }
}
