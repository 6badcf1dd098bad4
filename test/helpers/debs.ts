/**
 * Real Debian packages for tests: `apt-get download` into `.cache/debs/` of
 * the checkout (gitignored), only for files not already there. Packages are
 * pinned by name; the version is the candidate of the current apt lists
 * (pretest makes sure they exist).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './zpkg.js';

export const DEB_CACHE = join(REPO_ROOT, '.cache/debs');

/** `NAME_VERSION_ARCH.deb` as apt-get download names it (`:` of an epoch as `%3a`). */
function fileName(name: string): string {
  const out = execFileSync('apt-cache', ['show', '--no-all-versions', name], { encoding: 'utf8' });
  const version = /^Version: (.+)$/m.exec(out)?.[1];
  const arch = /^Architecture: (.+)$/m.exec(out)?.[1];
  if (!version || !arch) throw new Error(`apt-cache knows no candidate for ${name}`);
  return `${name}_${version.replace(/:/g, '%3a')}_${arch}.deb`;
}

export function fetchDebs(names: readonly string[]): string[] {
  mkdirSync(DEB_CACHE, { recursive: true });
  const files = names.map((n) => join(DEB_CACHE, fileName(n)));
  const missing = names.filter((_, i) => !existsSync(files[i]!));
  if (missing.length > 0) {
    // Test files run in parallel: each downloads into a directory of its own and renames the
    // files into the cache, so no reader ever sees a .deb half written by another.
    const scratch = mkdtempSync(join(DEB_CACHE, '.download-'));
    try {
      execFileSync('apt-get', ['download', '-q', ...missing], { cwd: scratch, stdio: ['ignore', 'ignore', 'pipe'] });
      for (const name of readdirSync(scratch)) renameSync(join(scratch, name), join(DEB_CACHE, name));
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  for (const f of files) if (!existsSync(f)) throw new Error(`apt-get download did not produce ${f}`);
  return files;
}
