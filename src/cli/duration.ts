/** Durations as flags give them (`--expires 30d`): argv text, so a bad one is a usage error. */
import { ZpkgError } from '../core/errors.js';

/** Parses `30d`, `12h`, `90m`, `45s` (a bare number is days) into seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(text.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!m || !Number.isSafeInteger(n) || n <= 0) {
    throw new ZpkgError('E_USAGE', `\`${text}\` is not a duration`, { hint: 'write a positive number with s, m, h or d, e.g. `30d`' });
  }
  return n * { s: 1, m: 60, h: 3600, d: 86400, '': 86400 }[m[2] as 's' | 'm' | 'h' | 'd' | ''];
}
