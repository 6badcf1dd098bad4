/**
 * One syncfs(2) of the filesystem holding `path`: makes every write to it
 * durable in one call instead of one fsync per file. Node has no binding, so
 * a `sync -f` does it (which calls syncfs): the bundle's static busybox, or
 * the host's coreutils (see helpers.ts).
 */
import { spawnSync } from 'node:child_process';
import { ZpkgError } from '../core/errors.js';
import { helperProgram } from './helpers.js';

export function syncFilesystem(path: string): void {
  const program = helperProgram('sync');
  const r = spawnSync(program, ['-f', path], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.error || r.status !== 0) {
    throw new ZpkgError('E_IO', `syncfs of ${path} failed (${program} -f): ${r.error?.message ?? r.stderr.toString().trim()}`);
  }
}
