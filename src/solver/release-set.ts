/**
 * Release sets: a catalog package whose depends each pin one exact version
 * (`name (= version)`) names a whole image — the zos release-tag model. The
 * set is that package and the packages it pins. Pure: read from candidates.
 */
import type { Candidate } from '../core/catalog.js';
import { ZpkgError } from '../core/errors.js';
import { compareVersions, parseVersion } from '../core/version.js';

/** One package and version the image must hold. */
export interface SetMember {
  name: string;
  version: string;
  /** The set's own package (asked for by name); its members are dependencies. */
  requested: boolean;
}

/** `NAME`, `NAME=VERSION` or `NAME@VERSION`: a set by name (its newest version) or one exact version of it. */
export function parseSetSpec(spec: string): { name: string; version?: string } {
  const m = /^([^=@\s]+)(?:[=@](\S+))?$/.exec(spec.trim());
  if (!m) throw new ZpkgError('E_INPUT_INVALID', `\`${spec}\` is not a set: write NAME, NAME=VERSION or NAME@VERSION`);
  if (m[2] !== undefined) parseVersion(m[2]);
  return { name: m[1]!, ...(m[2] !== undefined ? { version: m[2] } : {}) };
}

/** A release set in a catalog: a package whose depends pin exact versions (`name (= version)`); the set is it and them. */
export function setFromCatalog(pool: readonly Candidate[], spec: string): SetMember[] {
  const { name, version } = parseSetSpec(spec);
  const versions = pool.filter((c) => c.name === name).sort((a, b) => compareVersions(b.version, a.version));
  if (versions.length === 0) throw new ZpkgError('E_PACKAGE_UNKNOWN', `no set named \`${name}\` in any remote`, { hint: 'see what the remotes offer with `zpkg search`' });
  const tag = version === undefined ? versions[0]! : versions.find((c) => compareVersions(c.version, version) === 0);
  if (!tag) throw new ZpkgError('E_VERSION_UNKNOWN', `no version ${version} of the set \`${name}\` in any remote`, { hint: `available: ${[...new Set(versions.map((c) => c.version))].join(', ')}` });
  const members: SetMember[] = [{ name: tag.name, version: tag.version, requested: true }];
  for (const clause of tag.depends) {
    const atom = clause[0]!;
    if (clause.length !== 1 || atom.constraint?.op !== '=') {
      throw new ZpkgError('E_SET_INVALID', `\`${name} ${tag.version}\` is not a set: its dependency \`${clause.map((a) => a.name).join(' | ')}\` does not pin one exact version`);
    }
    members.push({ name: atom.name, version: atom.constraint.version, requested: false });
  }
  return members;
}
