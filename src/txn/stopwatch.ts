/** Seconds since the call, to the millisecond: each step of a transaction is timed with one. */
export function stopwatch(): () => number {
  const start = performance.now();
  return () => Math.round(performance.now() - start) / 1000;
}
