/**
 * Fault injection for the crash harness: `ZPKG_CRASH_AT=STEP[:N]` makes zpkg
 * kill itself with SIGKILL when it reaches STEP (the Nth time, default the
 * first), exactly as a power cut or `kill -9` would stop it there. Steps of a
 * transaction: journal, stage, staged, apply, applied, synced, committed,
 * cleaned; of `repo upgrade`: upgrade-packed, upgrade-records, upgrade-switched;
 * of `repo repack`: repack-packed, repack-record (each record), repack-deltas,
 * repack-switched; of a site render (`repo site`, the depot): site-page (each
 * file written anew).
 *
 * `ZPKG_FAIL_AT=STEP[:N][,STEP[:N]…]` instead makes that step fail as a
 * real I/O error would (an `EIO` thrown where the step's system call is), so
 * the harness can check what zpkg does after a failure it survives: steps
 * `apply` (each rename of apply) and `rollback` (each step of undoing a
 * transaction). Unset in normal use; reading two environment variables costs
 * nothing.
 */
const spec = process.env.ZPKG_CRASH_AT;
const [target, nth] = spec ? [spec.split(':')[0], Number(spec.split(':')[1] ?? 1)] : [undefined, 0];
let seen = 0;

export function crashPoint(step: string): void {
  if (step !== target) return;
  seen += 1;
  if (seen === nth) process.kill(process.pid, 'SIGKILL');
}

const failures = new Map<string, { nth: number; seen: number }>(
  (process.env.ZPKG_FAIL_AT ?? '')
    .split(',')
    .filter(Boolean)
    .map((s) => [s.split(':')[0]!, { nth: Number(s.split(':')[1] ?? 1), seen: 0 }]),
);

/** Throws an injected `EIO` at the Nth time STEP is reached (see above); `path` names the file it was working on. */
export function failPoint(step: string, path: string): void {
  const f = failures.get(step);
  if (!f) return;
  f.seen += 1;
  if (f.seen !== f.nth) return;
  throw Object.assign(new Error(`EIO: i/o error (injected at ${step}:${f.nth}), '${path}'`), { code: 'EIO', errno: -5, syscall: 'rename', path });
}
