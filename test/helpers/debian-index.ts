/**
 * Finds the Debian `Packages` index of this machine's main archive (amd64),
 * the real-world corpus the tests and benchmarks read. `scripts/pretest.mjs`
 * makes sure one exists on a fresh bookworm machine.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const LISTS = '/var/lib/apt/lists';

interface Target {
  file: string;
  codename: string;
}

/** The base suite (`bookworm`) before `bookworm-updates`, `-security`, `-backports`; then by name. */
function pick(targets: Target[]): string | undefined {
  const sorted = [...targets].sort((a, b) => {
    const ad = a.codename.includes('-') ? 1 : 0;
    const bd = b.codename.includes('-') ? 1 : 0;
    return ad - bd || a.file.localeCompare(b.file);
  });
  return sorted[0]?.file;
}

function fromApt(): string | undefined {
  let out: string;
  try {
    out = execFileSync(
      'apt-get',
      ['indextargets', '--format', '$(FILENAME)\t$(CODENAME)\t$(COMPONENT)\t$(ARCHITECTURE)', 'Created-By: Packages'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 15_000 },
    );
  } catch {
    return undefined;
  }
  const targets: Target[] = [];
  for (const line of out.split('\n')) {
    const [file, codename = '', component, arch] = line.split('\t');
    if (!file || component !== 'main' || arch !== 'amd64' || !existsSync(file)) continue;
    targets.push({ file, codename });
  }
  return pick(targets);
}

function fromGlob(): string | undefined {
  let names: string[];
  try {
    names = readdirSync(LISTS);
  } catch {
    return undefined;
  }
  const targets: Target[] = [];
  for (const name of names) {
    // deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages[.lz4|.gz|...]
    const m = /_dists_(.+)_main_binary-amd64_Packages(\.[a-z0-9]+)?$/.exec(name);
    if (m) targets.push({ file: join(LISTS, name), codename: m[1]! });
  }
  return pick(targets);
}

let found: string | undefined | null = null;

/**
 * Path of the main binary-amd64 Packages index (possibly compressed, as apt
 * keeps it), or undefined when this machine has none. `ZPKG_PACKAGES_INDEX`
 * overrides the search.
 */
export function findPackagesIndex(): string | undefined {
  if (found === null) {
    const forced = process.env['ZPKG_PACKAGES_INDEX'];
    found = forced && existsSync(forced) ? forced : (fromApt() ?? fromGlob());
  }
  return found;
}
