/**
 * Fault injection for the crash harness: `ZPKG_CRASH_AT=STEP[:N]` makes zpkg
 * kill itself with SIGKILL when it reaches STEP (the Nth time, default the
 * first), exactly as a power cut or `kill -9` would stop it there. Steps of a
 * transaction: journal, stage, staged, apply, applied, synced, committed,
 * cleaned; of `repo upgrade`: upgrade-packed, upgrade-records, upgrade-switched.
 * Unset in normal use; reading one environment variable costs nothing.
 */
const spec = process.env.ZPKG_CRASH_AT;
const [target, nth] = spec ? [spec.split(':')[0], Number(spec.split(':')[1] ?? 1)] : [undefined, 0];
let seen = 0;

export function crashPoint(step: string): void {
  if (step !== target) return;
  seen += 1;
  if (seen === nth) process.kill(process.pid, 'SIGKILL');
}
