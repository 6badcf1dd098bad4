/**
 * The image's bounds on repository data (repo/limits.ts): `limits:` of its
 * etc/zpkg/zpkg.yaml, for example
 *
 *   limits:
 *     catalog-bytes: 4294967296     # a catalog decompresses to at most 4 GiB
 *     catalog-packages: 10000000    # and holds at most ten million versions
 *     file-index-bytes: 1073741824
 *
 * Read like `state:` and `cache:` (image.ts); hooks/config.ts knows the key.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ZpkgError } from '../core/errors.js';
import { DEFAULT_LIMITS, parseLimits, type Limits } from '../repo/limits.js';

export function configuredLimits(root: string): Limits {
  const file = join(resolve(root), 'etc/zpkg/zpkg.yaml');
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'), { version: '1.2' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...DEFAULT_LIMITS };
    throw new ZpkgError('E_CONFIG_INVALID', `${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const section = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>).limits : undefined;
  return parseLimits(section, file);
}
