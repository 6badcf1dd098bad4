/**
 * `proxy:` in an image's etc/zpkg/zpkg.yaml: the proxies its http(s) remotes
 * are read through (repo/proxy.ts; the environment overrides each field).
 *
 *   proxy: http://proxy.lan:3128          # for http and https remotes
 *   proxy:
 *     http: http://proxy.lan:3128
 *     https: http://proxy.lan:3128        # default: the http one
 *     no-proxy: mirror.lan, .internal     # reached directly
 */
import { join, resolve } from 'node:path';
import { ZpkgError } from '../core/errors.js';
import { checkProxyUrl, type ProxySettings } from '../repo/proxy.js';
import { CONFIG_FILE, readConfigKey } from './config-file.js';

const KEYS = ['http', 'https', 'no-proxy'];

/** Checks the value of `proxy:` (`file` names the config in errors). */
export function parseProxyConfig(value: unknown, file: string): ProxySettings | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    const url = checkProxyUrl(value, `${file}: \`proxy\``);
    return { http: url, https: url };
  }
  if (typeof value !== 'object' || Array.isArray(value)) throw new ZpkgError('E_CONFIG_INVALID', `${file}: \`proxy\` must be a URL or a mapping of ${KEYS.join(', ')}`);
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) if (!KEYS.includes(k)) throw new ZpkgError('E_CONFIG_INVALID', `${file}: unknown key \`proxy.${k}\` (known: ${KEYS.join(', ')})`);
  const out: ProxySettings = {};
  if (v.http !== undefined) out.http = checkProxyUrl(v.http, `${file}: \`proxy.http\``);
  if (v.https !== undefined) out.https = checkProxyUrl(v.https, `${file}: \`proxy.https\``);
  const no = v['no-proxy'];
  if (no !== undefined) {
    const list = Array.isArray(no) ? no : typeof no === 'string' ? no.split(/[,\s]+/) : undefined;
    if (!list || list.some((h) => typeof h !== 'string' || !/^[A-Za-z0-9*.:[\]-]*$/.test(h))) {
      throw new ZpkgError('E_CONFIG_INVALID', `${file}: \`proxy.no-proxy\` must be host names (a string or a list)`);
    }
    out.noProxy = (list as string[]).filter((h) => h !== '').join(',');
  }
  return out;
}

/** The image's configured proxies, or undefined. */
export function configuredProxy(root: string): ProxySettings | undefined {
  return parseProxyConfig(readConfigKey(root, 'proxy'), join(resolve(root), CONFIG_FILE));
}
