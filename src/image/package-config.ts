/**
 * The keys of `etc/zpkg/zpkg.yaml` that decide which packages an image takes
 * (hooks/config.ts reads the file and hands these keys here):
 *
 *   arch: arm64                     # the image's architecture (default: its adopted base's, else this machine's)
 *   exclude: ["foo (= 2.3.1)", bar] # releases never chosen, whatever asks for them
 *   recommends: true                # install `recommends` too (default false: appliances want minimal sets)
 */
import { ZpkgError } from '../core/errors.js';
import { parseAtom, type Atom } from '../core/relation.js';

export const PACKAGE_CONFIG_KEYS = ['arch', 'exclude', 'recommends'] as const;

export interface PackageConfig {
  arch?: string;
  exclude: Atom[];
  recommends: boolean;
}

/** Debian's architecture names are lower-case words (amd64, arm64, armhf, riscv64, ppc64el…); `all` is a package's, not an image's. */
export const ARCH_NAME = /^[a-z0-9][a-z0-9-]*$/;

export function parsePackageConfig(top: Record<string, unknown>, fail: (why: string) => never): PackageConfig {
  const out: PackageConfig = { exclude: [], recommends: false };
  if (top.arch !== undefined) {
    if (typeof top.arch !== 'string' || !ARCH_NAME.test(top.arch) || top.arch === 'all') fail('`arch` must be an architecture name such as amd64 or arm64 (not `all`)');
    out.arch = top.arch as string;
  }
  if (top.exclude !== undefined) {
    if (!Array.isArray(top.exclude)) fail('`exclude` must be a list of relations such as `foo (= 2.3.1)`');
    for (const item of top.exclude as unknown[]) {
      if (typeof item !== 'string') fail('`exclude` must be a list of relations such as `foo (= 2.3.1)`');
      try {
        out.exclude.push(parseAtom(item as string, '`exclude`'));
      } catch (err) {
        fail(`\`exclude\`: ${(err as ZpkgError).message}`);
      }
    }
  }
  if (top.recommends !== undefined) {
    if (typeof top.recommends !== 'boolean') fail('`recommends` must be true or false');
    out.recommends = top.recommends as boolean;
  }
  return out;
}
