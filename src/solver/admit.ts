/**
 * Which candidates an image lets the solver see (dnf's excludes and
 * versionlock, dpkg's architecture): a candidate is *admitted* when
 *
 * - its arch is the image's or `all` (an image has one architecture; a
 *   repository may hold the same name and version for several);
 * - no `exclude` atom of the image's config matches it (a release known bad
 *   is never chosen, whatever asks for it);
 * - a version lock on its name (`hold "NAME (< 2.0)"`) admits its version.
 *
 * The solver then works on the admitted candidates only, unchanged; what was
 * turned away keeps its reasons, so an explanation can say which hold,
 * exclude or arch kept a version out (`why-not`, E_EXCLUDED, the notes of an
 * E_UNSATISFIABLE). Installed packages are never filtered: a lock or an
 * exclude decides what may land, not what already has.
 */
import type { Candidate } from '../core/catalog.js';
import { formatAtom, satisfiesConstraint, type Atom } from '../core/relation.js';

/** A version lock: only versions of `atom.name` satisfying `atom` may land. */
export interface VersionLock {
  atom: Atom;
  reason?: string;
}

export interface AdmitPolicy {
  /** The image's architecture; undefined admits every arch. */
  arch?: string;
  exclude?: readonly Atom[];
  locks?: readonly VersionLock[];
}

export type Refusal =
  | { kind: 'arch'; arch: string; imageArch: string }
  | { kind: 'exclude'; atom: Atom }
  | { kind: 'lock'; lock: VersionLock };

export interface Admission {
  /** The candidates the solver may use; the input array itself when nothing was turned away (the pool's fast path stays). */
  admitted: readonly Candidate[];
  /** Candidates turned away, with every reason. */
  refused: { entry: Candidate; why: Refusal[] }[];
}

/** The arch of a package that runs on every architecture. */
export const ARCH_ALL = 'all';

export function refusals(e: Pick<Candidate, 'name' | 'version' | 'arch'>, policy: AdmitPolicy, locksByName = lockIndex(policy)): Refusal[] {
  const why: Refusal[] = [];
  if (policy.arch !== undefined && e.arch !== policy.arch && e.arch !== ARCH_ALL) why.push({ kind: 'arch', arch: e.arch, imageArch: policy.arch });
  for (const atom of policy.exclude ?? []) if (atom.name === e.name && satisfiesConstraint(e.version, atom.constraint)) why.push({ kind: 'exclude', atom });
  for (const lock of locksByName.get(e.name) ?? []) if (!satisfiesConstraint(e.version, lock.atom.constraint)) why.push({ kind: 'lock', lock });
  return why;
}

function lockIndex(policy: AdmitPolicy): Map<string, VersionLock[]> {
  const out = new Map<string, VersionLock[]>();
  for (const l of policy.locks ?? []) {
    const list = out.get(l.atom.name);
    if (list) list.push(l);
    else out.set(l.atom.name, [l]);
  }
  return out;
}

export function admit(candidates: readonly Candidate[], policy: AdmitPolicy): Admission {
  if (policy.arch === undefined && !policy.exclude?.length && !policy.locks?.length) return { admitted: candidates, refused: [] };
  const locks = lockIndex(policy);
  const excluded = new Set((policy.exclude ?? []).map((a) => a.name));
  const refused: Admission['refused'] = [];
  let kept: Candidate[] | undefined;
  for (let i = 0; i < candidates.length; i++) {
    const e = candidates[i]!;
    const foreign = policy.arch !== undefined && e.arch !== ARCH_ALL && e.arch !== policy.arch;
    const why = foreign || excluded.has(e.name) || locks.has(e.name) ? refusals(e, policy, locks) : [];
    if (why.length === 0) {
      kept?.push(e);
      continue;
    }
    kept ??= candidates.slice(0, i);
    refused.push({ entry: e, why });
  }
  return { admitted: kept ?? candidates, refused };
}

/** One reason in words, naming where the rule lives. */
export function describeRefusal(r: Refusal): string {
  switch (r.kind) {
    case 'arch':
      return `it is built for ${r.arch}, and the image is ${r.imageArch}`;
    case 'exclude':
      return `\`exclude: ${formatAtom(r.atom)}\` in etc/zpkg/zpkg.yaml excludes it`;
    case 'lock':
      return `the hold \`${formatAtom(r.lock.atom)}\`${r.lock.reason ? ` (${r.lock.reason})` : ''} keeps it out`;
  }
}

/** `NAME VERSION (ARCH)`: why each refused candidate is out, one line each. */
export function describeRefused(refused: Admission['refused']): string[] {
  return refused.map((r) => `${r.entry.name} ${r.entry.version}${r.entry.arch !== ARCH_ALL ? ` (${r.entry.arch})` : ''} is not a candidate: ${r.why.map(describeRefusal).join('; ')}`);
}

/**
 * The candidates as images of each architecture see them, for questions asked
 * of a whole catalog (`repo check`): one group per arch the catalog names
 * (its builds and the `all` ones). A catalog of at most one arch is one group,
 * the input array itself (`arch` undefined).
 */
export function archGroups(candidates: readonly Candidate[]): { arch: string | undefined; candidates: readonly Candidate[] }[] {
  const archs = new Set<string>();
  for (const c of candidates) if (c.arch !== ARCH_ALL) archs.add(c.arch);
  if (archs.size <= 1) return [{ arch: undefined, candidates }];
  return [...archs].sort().map((arch) => ({ arch, candidates: admit(candidates, { arch }).admitted }));
}
