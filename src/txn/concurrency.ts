/** Runs `work` over items with at most `limit` in flight; the first failure stops new work and is thrown after the rest settle. */
export async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        await work(items[i]!, i);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure) throw failure.err;
}

/**
 * `work` over items with at most `limit` in flight, answers in the items' order.
 * A failure stops new work; once the rest settle, the failure of the earliest
 * item is thrown — the same error a one-by-one loop would have met first, so
 * what a user sees does not depend on which answer came back first.
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const failures: { index: number; err: unknown }[] = [];
  const lane = async (): Promise<void> => {
    while (!failures.length && next < items.length) {
      const i = next++;
      try {
        results[i] = await work(items[i]!, i);
      } catch (err) {
        failures.push({ index: i, err });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failures.length) throw failures.reduce((a, b) => (b.index < a.index ? b : a)).err;
  return results;
}
