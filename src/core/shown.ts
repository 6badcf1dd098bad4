/**
 * A value from outside input (a manifest, root.json) as an error message shows it.
 * Never throws, where `String()` of an object whose `toString` is not a function
 * (`{"toString": 0}`, found by the property tests) does and would turn a refusal
 * into E_INTERNAL.
 */
export function shown(x: unknown): string {
  if (typeof x === 'string') return x;
  try {
    return JSON.stringify(x) ?? typeof x;
  } catch {
    return typeof x;
  }
}
