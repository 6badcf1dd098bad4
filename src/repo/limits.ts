/**
 * Bounds on what zpkg decodes from a repository, so that a hostile or broken
 * publisher cannot make a node spend unbounded memory or time: a catalog or
 * file index decompresses to at most so many bytes (the decoder stops at the
 * bound + 1 and refuses), and a catalog holds at most so many package versions.
 * The defaults hold four million package versions (a catalog of one million
 * decompresses to ~120 MB; Debian's whole archive is 63,440 packages), and
 * cost at most 512 MiB of memory when a hostile catalog hits them; an image
 * changes them in `limits:` of etc/zpkg/zpkg.yaml (image/limits.ts).
 */
import { ZpkgError } from '../core/errors.js';

export interface Limits {
  /** Bytes a catalog may decompress to. */
  catalogBytes: number;
  /** Package versions a catalog may hold. */
  catalogPackages: number;
  /** Bytes a file index may decompress to. */
  fileIndexBytes: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  catalogBytes: 512 << 20,
  catalogPackages: 4_000_000,
  fileIndexBytes: 512 << 20,
});

/** The key of each limit in zpkg.yaml's `limits:` mapping. */
export const LIMIT_KEYS: Readonly<Record<keyof Limits, string>> = Object.freeze({
  catalogBytes: 'catalog-bytes',
  catalogPackages: 'catalog-packages',
  fileIndexBytes: 'file-index-bytes',
});

/** Limits from a `limits:` mapping (absent keys keep their defaults); E_CONFIG_INVALID names the key and the reason. */
export function parseLimits(raw: unknown, file: string): Limits {
  const out: Limits = { ...DEFAULT_LIMITS };
  if (raw === undefined || raw === null) return out;
  const fail = (why: string): never => {
    throw new ZpkgError('E_CONFIG_INVALID', `${file}: ${why}`, { hint: 'see "Limits" in the README' });
  };
  if (typeof raw !== 'object' || Array.isArray(raw)) fail('`limits` must be a mapping');
  const known = Object.values(LIMIT_KEYS);
  for (const k of Object.keys(raw as object)) if (!known.includes(k)) fail(`unknown key \`limits.${k}\` (known: ${known.join(', ')})`);
  for (const [field, key] of Object.entries(LIMIT_KEYS) as [keyof Limits, string][]) {
    const v = (raw as Record<string, unknown>)[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) fail(`\`limits.${key}\` must be a positive whole number`);
    out[field] = v as number;
  }
  return out;
}
