/**
 * One syncfs(2) of the filesystem holding `path`: makes every write to it
 * durable in one call instead of one fsync per file. Node has no binding, so
 * coreutils' `sync -f` (which calls syncfs) does it.
 */
import { spawnSync } from 'node:child_process';
import { ZpkgError } from '../core/errors.js';

export function syncFilesystem(path: string): void {
  const r = spawnSync('sync', ['-f', path], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.error || r.status !== 0) {
    throw new ZpkgError('E_IO', `syncfs of ${path} failed: ${r.error?.message ?? r.stderr.toString().trim()}`);
  }
}
