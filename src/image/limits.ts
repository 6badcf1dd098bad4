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
import { join, resolve } from 'node:path';
import { parseLimits, type Limits } from '../repo/limits.js';
import { CONFIG_FILE, readConfigKey } from './config-file.js';

export function configuredLimits(root: string): Limits {
  return parseLimits(readConfigKey(root, 'limits'), join(resolve(root), CONFIG_FILE));
}
