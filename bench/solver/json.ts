import { tailLines, type TimedResult } from '../proc.js';

/** The one JSON document a run printed, or an error that shows what it printed instead. */
export function parseJson<T>(r: TimedResult, what: string): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`${what} printed no JSON (exit ${r.code}): ${tailLines(r.stderr || r.stdout, 10)}`);
  }
}
