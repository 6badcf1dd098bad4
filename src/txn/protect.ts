/**
 * Protected packages: the ones an image must keep — the base, zpkg itself,
 * glibc. A package is protected when `protected:` in etc/zpkg/zpkg.yaml names
 * it, or when its manifest says `essential: true` (a recipe's `essential:`,
 * every adopted base). No command removes one without `--allow-protected`:
 * `remove` (with `--force` or `--cascade`), `--autoremove`, `sync` and
 * `rollback` are refused with E_PROTECTED; the solver keeps them installed
 * (SolvePolicy.protected). zpkg itself (the package `zpkg`, see packaging/)
 * is always protected: removing it leaves an image nothing can change again.
 */
import { ZpkgError } from '../core/errors.js';
import { readLifecycleConfig } from '../hooks/config.js';
import { cachedManifestFlags } from '../image/cache.js';
import type { Image } from '../image/image.js';
import { essentialRecorded, listPackages, type PackageRow } from '../image/state.js';
import type { Target } from './target.js';

/** The package the bundle installs as (see packaging/): zpkg itself. */
export const SELF_PACKAGE = 'zpkg';

/** Installed packages that are protected, with why. */
export function protectedPackages(image: Image): Map<string, string> {
  const config = readLifecycleConfig(image.paths.root).protected;
  const out = new Map<string, string>();
  for (const p of listPackages(image.db)) {
    if (p.name === SELF_PACKAGE) out.set(p.name, 'zpkg itself');
    else if (config.includes(p.name)) out.set(p.name, 'listed under `protected` in etc/zpkg/zpkg.yaml');
    else if (isEssential(image, p)) out.set(p.name, p.remote === null ? 'the adopted base' : 'essential');
  }
  return out;
}

/**
 * Whether its manifest says `essential: true`: as the state recorded it when
 * the package landed, else read from the cached manifest (every `remove`
 * asks this of every installed package; a 100,000-path manifest took 0.33 s
 * to read and parse).
 */
export function isEssential(image: Image, p: PackageRow): boolean {
  return essentialRecorded(image.db, p.name, p.manifest) ?? cachedManifestFlags(image.paths.cache, p.manifest)?.essential === true;
}

/** An adopted base: recorded by `zpkg adopt`, from no repository. */
export function isAdoptedBase(image: Image, p: PackageRow): boolean {
  return p.remote === null && isEssential(image, p);
}

/** Refuses a target that removes a protected package. */
export function checkProtected(image: Image, target: Target, allow: boolean): void {
  if (allow || target.remove.length === 0) return;
  const prot = protectedPackages(image);
  // A package that leaves and lands again in the same change (replaced by its own new version) is not removed.
  const hit = target.remove.filter((p) => prot.has(p.name) && !target.land.some((l) => l.name === p.name));
  if (hit.length === 0) return;
  throw new ZpkgError('E_PROTECTED', `${hit.map((p) => `${p.name} ${p.version}`).join(', ')} ${hit.length === 1 ? 'is' : 'are'} protected (${hit.map((p) => prot.get(p.name)).join('; ')}): \`${target.command}\` would remove ${hit.length === 1 ? 'it' : 'them'}`, {
    hint: 'zpkg never removes a protected package unless told to: pass --allow-protected',
    details: { protected: hit.map((p) => ({ name: p.name, version: p.version, why: prot.get(p.name) })) },
  });
}
