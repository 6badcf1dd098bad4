/**
 * Proxies for http(s) repositories (apt's `Acquire::http::Proxy`, IPS's
 * `--proxy`, apk's `HTTP_PROXY`). Two sources, per field: the environment
 * (`HTTP_PROXY`/`http_proxy`, `HTTPS_PROXY`/`https_proxy`, `NO_PROXY`/
 * `no_proxy`) wins over the image's `proxy:` in etc/zpkg/zpkg.yaml, as a
 * variable set for one command overrides a file. An `http://` remote goes
 * through its proxy as a plain forward request (a caching proxy can keep
 * repository files); an `https://` remote through a CONNECT tunnel, TLS end to
 * end. `NO_PROXY` lists host names (a leading `.` or `*.` for a domain,
 * `:PORT` to narrow, `*` for all) reached directly.
 */
import { ZpkgError } from '../core/errors.js';

export interface ProxySettings {
  /** Proxy for `http://` remotes. */
  http?: string;
  /** Proxy for `https://` remotes (default: the http one). */
  https?: string;
  /** Hosts reached without a proxy: comma- or space-separated. */
  noProxy?: string;
}

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());

/** The settings the environment gives (lowercase first, as curl and undici read them; an empty variable counts as unset). */
export function proxyFromEnvironment(env: NodeJS.ProcessEnv = process.env): ProxySettings {
  const http = nonEmpty(env.http_proxy) ?? nonEmpty(env.HTTP_PROXY);
  const https = nonEmpty(env.https_proxy) ?? nonEmpty(env.HTTPS_PROXY);
  const noProxy = nonEmpty(env.no_proxy) ?? nonEmpty(env.NO_PROXY);
  return { ...(http ? { http } : {}), ...(https ? { https } : {}), ...(noProxy !== undefined ? { noProxy } : {}) };
}

/** The environment's fields over the configured ones; undefined when no proxy applies at all. */
export function effectiveProxy(configured: ProxySettings | undefined, env: NodeJS.ProcessEnv = process.env): ProxySettings | undefined {
  const merged: ProxySettings = { ...configured, ...proxyFromEnvironment(env) };
  if (!merged.http && !merged.https) return undefined;
  return merged;
}

/** A proxy URL must be `http://` or `https://` with a host; `what` names where it was given, for the error. */
export function checkProxyUrl(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ZpkgError('E_CONFIG_INVALID', `${what} must be a proxy URL such as http://proxy.lan:3128`);
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new ZpkgError('E_CONFIG_INVALID', `${what}: \`${value}\` is not a URL`, { hint: 'write it as http://HOST:PORT (or http://USER:PASSWORD@HOST:PORT)' });
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new ZpkgError('E_CONFIG_INVALID', `${what}: \`${value}\` is not an http(s) proxy URL`, { hint: 'write it as http://HOST:PORT' });
  }
  return value.trim();
}

/** Where a proxy is, without its credentials (for messages). */
export function proxyLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(a proxy)';
  }
}
