/**
 * Real Debian packages for tests: `apt-get download` into `.cache/debs/` of
 * the checkout (gitignored), only for files not already there. Packages are
 * pinned by name; the version is the candidate of the current apt lists
 * (pretest makes sure they exist).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
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
    execFileSync('apt-get', ['download', '-q', ...missing], { cwd: DEB_CACHE, stdio: ['ignore', 'ignore', 'pipe'] });
  }
  for (const f of files) if (!existsSync(f)) throw new Error(`apt-get download did not produce ${f}`);
  return files;
}
