/**
 * Store URLs → block stores: the one place that knows which store serves
 * which scheme (rfs `store::make`), and the `--store` syntax of rfs's
 * `parse_router`: `[XX-YY=]URL`, two hex bytes giving the range of first id
 * bytes the store holds (default 00-ff).
 *
 *   dir:///abs/path (or a plain path)   a directory
 *   http://…, https://…                 a web server (read only)
 *   s3://KEY:SECRET@HOST:PORT/BUCKET    S3 (s3s:// or s3+tls:// for https)
 *   zdb://[:PASSWORD@]HOST[:PORT]/NS    a 0-db namespace
 *
 * rfs's `server://` store (its fl-server's HTTP API) is not supported.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ZpkgError } from '../../core/errors.js';
import { DirStore } from './dir.js';
import { HttpStore } from './http.js';
import { S3Store } from './s3.js';
import type { BlockStore } from './types.js';
import { ZdbStore } from './zdb.js';

/** A store URL with the range of first id bytes routed to it. */
export interface StoreSpec {
  start: number;
  end: number;
  url: string;
}

const RANGED = /^([0-9a-f]{2})-([0-9a-f]{2})=(.+)$/;

/** `[XX-YY=]URL`; a plain path becomes `dir://` + its absolute path. */
export function parseStoreSpec(spec: string): StoreSpec {
  const m = RANGED.exec(spec);
  const start = m ? parseInt(m[1]!, 16) : 0;
  const end = m ? parseInt(m[2]!, 16) : 255;
  if (start > end) throw new ZpkgError('E_URL_INVALID', `store \`${spec}\`: the range ${m![1]}-${m![2]} is empty`);
  const raw = m ? m[3]! : spec;
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `dir://${pathToFileURL(resolve(raw)).pathname}`;
  return { start, end, url };
}

/** The URL without its password (rfs strips it from route rows unless told not to). */
export function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

function scheme(url: string): string {
  const i = url.indexOf('://');
  return i < 0 ? '' : url.slice(0, i).toLowerCase();
}

export function openStore(url: string): BlockStore {
  const display = withoutPassword(url);
  switch (scheme(url)) {
    case 'dir': {
      let path: string;
      try {
        path = decodeURIComponent(new URL(url).pathname);
      } catch {
        throw new ZpkgError('E_URL_INVALID', `store URL \`${url}\` is not a valid URL`);
      }
      if (!path || !isAbsolute(path) || path === '/') throw new ZpkgError('E_URL_INVALID', `store URL \`${url}\`: a dir store needs an absolute directory (dir:///path)`);
      return new DirStore(url, path);
    }
    case 'http':
    case 'https':
      return new HttpStore(url);
    case 's3':
    case 's3s':
    case 's3+tls':
      return new S3Store(url, display);
    case 'zdb':
      return new ZdbStore(url, display);
    default:
      throw new ZpkgError('E_URL_INVALID', `store URL \`${display}\`: the \`${scheme(url) || url}\` scheme is not a store zpkg knows`, {
        hint: 'stores: dir:///path, http(s)://…, s3://KEY:SECRET@HOST:PORT/BUCKET, zdb://HOST:PORT/NAMESPACE (rfs’s server:// is not supported)',
      });
  }
}
