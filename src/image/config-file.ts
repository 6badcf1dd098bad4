/**
 * The image's configuration file, `etc/zpkg/zpkg.yaml`, as bytes: resolved in
 * the image (a link to a host file reads the image's file of that name) and
 * read bounded (a FIFO or device is refused unread, a file over the limit
 * too). image.ts reads `state:`/`cache:` from it, hooks/config.ts the rest.
 */
import { join } from 'node:path';
import { parseYaml } from '../fs/yaml.js';
import { ZpkgError } from '../core/errors.js';
import { readInRoot } from '../fs/in-root.js';

export const CONFIG_FILE = 'etc/zpkg/zpkg.yaml';

/** The most bytes the file may hold. */
export const CONFIG_LIMIT = 1024 * 1024;

/** The file's text, or undefined when the image has none. */
export function readConfigText(root: string): string | undefined {
  const file = join(root, CONFIG_FILE);
  try {
    return readInRoot(root, CONFIG_FILE, { maxBytes: CONFIG_LIMIT, code: 'E_CONFIG_INVALID', what: file, hint: `${CONFIG_FILE} must be a regular file of at most ${CONFIG_LIMIT} bytes; remove or replace it by hand` })?.toString('utf8');
  } catch (err) {
    if (err instanceof ZpkgError) throw err;
    throw new ZpkgError('E_CONFIG_INVALID', `cannot read ${file}: ${(err as Error).message}`, { hint: `${CONFIG_FILE} must be a readable regular file` });
  }
}

/**
 * The top-level value `key` of the file (undefined when the file or the key
 * is absent), for the modules that each own one key (`limits:`, `proxy:`);
 * hooks/config.ts checks that the file has no unknown key.
 */
export function readConfigKey(root: string, key: string): unknown {
  const text = readConfigText(root);
  if (text === undefined) return undefined;
  let raw: unknown;
  try {
    raw = parseYaml(text, { version: '1.2' });
  } catch (err) {
    throw new ZpkgError('E_CONFIG_INVALID', `${join(root, CONFIG_FILE)}: ${(err as Error).message.split('\n')[0]}`);
  }
  return raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>)[key] : undefined;
}
