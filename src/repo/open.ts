/** Opens a repository for reading by its URL: a directory path or `file://` here; issue 7 adds http(s) and s3. */
import { ZpkgError } from '../core/errors.js';
import type { RepoReader } from './backend.js';
import { DirBackend, localDirOf } from './dir-backend.js';

export function openRepoReader(url: string): RepoReader {
  const dir = localDirOf(url);
  if (dir !== undefined) return new DirBackend(dir);
  const scheme = url.slice(0, url.indexOf(':'));
  throw new ZpkgError('E_USAGE', `repository URL \`${url}\`: the \`${scheme}\` scheme is not supported by this zpkg`, {
    hint: 'use a directory path or a file:// URL',
  });
}
