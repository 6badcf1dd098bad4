/**
 * Protected packages: ones zpkg never removes unless told explicitly
 * (`--allow-protected`) — whether the removal is asked by name, follows from
 * `--cascade` or `--autoremove`, or from a `sync` or `rollback` whose set
 * lacks them. zpkg itself is always protected: removing it leaves an image
 * that cannot be changed again. (Issue 13 adds the image's own list in
 * `etc/zpkg/zpkg.yaml` and `essential: true` in recipes; they extend
 * `protectedNames`.)
 */
import { ZpkgError } from '../core/errors.js';
import type { Target } from './target.js';

/** The package the bundle installs as (see packaging/): zpkg itself. */
export const SELF_PACKAGE = 'zpkg';

export function protectedNames(): ReadonlySet<string> {
  return new Set([SELF_PACKAGE]);
}

/** E_PROTECTED when the target removes a protected package and `allow` was not given. */
export function refuseProtectedRemovals(target: Target, allow: boolean | undefined): void {
  if (allow) return;
  const names = protectedNames();
  const hit = target.remove.filter((p) => names.has(p.name) && !target.land.some((l) => l.name === p.name));
  if (!hit.length) return;
  const list = hit.map((p) => `${p.name} ${p.version}`).join(', ');
  throw new ZpkgError('E_PROTECTED', `${list} ${hit.length === 1 ? 'is' : 'are'} protected: this change would remove ${hit.length === 1 ? 'it' : 'them'}`, {
    hint: 'a protected package is removed only when you say so: add --allow-protected',
    details: { packages: hit.map((p) => ({ name: p.name, version: p.version })) },
  });
}
