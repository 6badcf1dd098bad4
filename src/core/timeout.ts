/**
 * Node's timers hold a signed 32-bit count of milliseconds: a longer delay
 * silently becomes 1 ms. Every timeout zpkg reads (a manifest's hook
 * timeout, `hooks.timeout` and `services.timeout` in zpkg.yaml) is bounded
 * by this many seconds, so the timer it ends in means what was written.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;
export const MAX_TIMEOUT_SECONDS = Math.floor(MAX_TIMEOUT_MS / 1000);
