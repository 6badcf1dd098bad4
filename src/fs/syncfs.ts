/**
 * One syncfs(2) of the filesystem holding `path`: makes every write to it
 * durable in one call instead of one fsync per file. Node has no binding, so
 * a `sync -f` does it (which calls syncfs): the bundle's static busybox, or
 * the host's coreutils (see helpers.ts).
 *
 * node:child_process is required on the first call, not imported: the
 * repository backends import this module, and a command that only reads
 * (`list`, `refresh`) should not pay for loading it.
 */
import { createRequire } from 'node:module';
import { ZpkgError } from '../core/errors.js';
import { helperProgram } from './helpers.js';

let childProcess: typeof import('node:child_process') | undefined;

export function syncFilesystem(path: string): void {
  childProcess ??= createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  const program = helperProgram('sync');
  const r = childProcess.spawnSync(program, ['-f', path], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.error || r.status !== 0) {
    throw new ZpkgError('E_IO', `syncfs of ${path} failed (${program} -f): ${r.error?.message ?? r.stderr.toString().trim()}`);
  }
}

/**
 * Starts a syncfs of the filesystem holding `path` in the background and
 * returns at once: the disk writes what was staged while the renames run, so
 * the syncfs that counts (syncFilesystem, after them) has little left to
 * wait for. It promises nothing; a failure is the later call's to report.
 */
export function startFilesystemSync(path: string): void {
  childProcess ??= createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  const child = childProcess.spawn(helperProgram('sync'), ['-f', path], { stdio: 'ignore' });
  child.on('error', () => undefined);
  child.unref();
}
