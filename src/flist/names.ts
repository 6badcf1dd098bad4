/**
 * Package name and version of an imported flist. The hub names flists
 * `NAME-VERSION.flist` or `.fl` (`containerd-1.6.18.flist`,
 * `cloud-hypervisor-39.0.fl`): the name is what comes before the first `-`
 * followed by a digit. `--name` / `--version` win over the file name; a
 * name or version that cannot be had either way is refused.
 */
import { ZpkgError } from '../core/errors.js';
import { isPackageName } from '../core/relation.js';
import { parseVersion } from '../core/version.js';

/** The file name of a path or URL, without `.flist`/`.fl`. */
export function flistStem(source: string): string {
  const path = /^[a-z][a-z0-9+.-]*:\/\//i.test(source) ? new URL(source).pathname : source;
  const base = decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
  return base.replace(/\.(flist|fl)$/, '');
}

/** `NAME-VERSION` split at the first `-` that a digit follows; undefined when there is none. */
export function splitStem(stem: string): { name: string; version: string } | undefined {
  const m = /^(.+?)-(\d.*)$/.exec(stem);
  return m ? { name: m[1]!, version: m[2]! } : undefined;
}

export function packageIdentity(source: string, given: { name?: string; version?: string }): { name: string; version: string } {
  const stem = flistStem(source);
  const split = splitStem(stem);
  const name = given.name ?? split?.name;
  const version = given.version ?? split?.version;
  if (name === undefined || version === undefined) {
    throw new ZpkgError('E_NAME_INVALID', `${source}: the name \`${stem}\` does not parse as NAME-VERSION (hub flists are named NAME-VERSION.flist)`, {
      hint: `give the package's ${name === undefined && version === undefined ? 'name and version' : name === undefined ? 'name' : 'version'} with ${name === undefined ? '--name N ' : ''}${version === undefined ? '--version V' : ''}`.trim(),
    });
  }
  if (!isPackageName(name)) {
    throw new ZpkgError('E_NAME_INVALID', `${source}: \`${name}\` is not a valid package name (lower-case letters, digits, \`+ . -\`)`, { hint: 'give one with --name N' });
  }
  try {
    parseVersion(version);
  } catch (err) {
    throw new ZpkgError('E_VERSION_INVALID', `${source}: \`${version}\` is not a valid version: ${(err as Error).message}`, { hint: 'give one with --version V', cause: err });
  }
  return { name, version };
}
