/**
 * Opens a repository by URL: the one place that knows which backend serves
 * which URL. Everything above works on RepoReader / RepoWriter.
 *
 *   /path/to/dir, file:///path     a directory (`dir` backend); read and write
 *   /path/to/file.zpar             a single-file archive (`zpkg repo archive`); read only
 *   http://host/path, https://…    any static web server or CDN; read only, or with a
 *                                  token, the zpkg depot's publish API (`zpkg serve`)
 *   s3://bucket/prefix?endpoint=…&path-style=1&region=…
 *                                  an S3-compatible bucket; read and write
 */
import { existsSync, statSync } from 'node:fs';
import { ZpkgError } from '../core/errors.js';
import { ArchiveReader } from './archive-reader.js';
import type { RepoReader, RepoWriter } from './backend.js';
import { DepotWriter } from './depot-writer.js';
import { DirBackend, localDirOf } from './dir-backend.js';
import { HttpBackend } from './http-backend.js';
import { MirroredReader } from './mirrored.js';
import type { ProxySettings } from './proxy.js';
import { track } from './registry.js';
import { S3Backend } from './s3-backend.js';

function scheme(url: string): string {
  return url.slice(0, url.indexOf(':')).toLowerCase();
}

export interface ReaderOptions {
  /** Proxies for http(s) (an image's `proxy:`); the environment's HTTP(S)_PROXY / NO_PROXY apply in any case (proxy.ts). */
  proxy?: ProxySettings;
}

export function openRepoReader(url: string, options: ReaderOptions = {}): RepoReader {
  const dir = localDirOf(url);
  if (dir !== undefined) return existsSync(dir) && statSync(dir).isFile() ? new ArchiveReader(dir) : new DirBackend(dir);
  switch (scheme(url)) {
    case 'http':
    case 'https':
      return track(new HttpBackend(url, options.proxy ? { proxy: options.proxy } : {}));
    case 's3':
      return track(new S3Backend(url));
    default:
      throw new ZpkgError('E_URL_INVALID', `repository URL \`${url}\`: the \`${scheme(url)}\` scheme is not supported`, {
        hint: 'use a directory or archive path, file://, http(s):// or s3://',
      });
  }
}

export interface WriterOptions {
  /** Bearer token for a depot (`zpkg serve`); defaults to ZPKG_TOKEN. */
  token?: string;
}

/** Opens a repository to publish into: a directory, an S3 bucket, or a depot over HTTP. */
export function openRepoWriter(url: string, options: WriterOptions = {}): RepoWriter {
  const dir = localDirOf(url);
  if (dir !== undefined) {
    if (existsSync(dir) && statSync(dir).isFile()) throw new ZpkgError('E_URL_INVALID', `${dir} is a file (an archive?): publish into a directory, an s3:// bucket or a depot`);
    return new DirBackend(dir);
  }
  switch (scheme(url)) {
    case 's3':
      return track(new S3Backend(url));
    case 'http':
    case 'https': {
      const token = options.token ?? process.env.ZPKG_TOKEN;
      if (!token) {
        throw new ZpkgError('E_AUTH', `publishing to \`${url}\` needs a depot token`, { hint: 'pass --token TOKEN or set ZPKG_TOKEN; a plain web server cannot be published to' });
      }
      return track(new DepotWriter(url, token));
    }
    default:
      throw new ZpkgError('E_URL_INVALID', `cannot publish to \`${url}\`: the \`${scheme(url)}\` scheme is not supported`, { hint: 'publish to a directory, s3://… or a depot http(s)://… with --token' });
  }
}

/** A remote's reader: its URL, then its mirrors in order on failure. */
export function openMirroredReader(url: string, mirrors: readonly string[] = [], options: ReaderOptions = {}): RepoReader {
  if (mirrors.length === 0) return openRepoReader(url, options);
  return new MirroredReader([url, ...mirrors].map((u) => openRepoReader(u, options)));
}
