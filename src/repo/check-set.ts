/**
 * `zpkg repo check --set RELEASE [--base PROFILE]...`: a release set checked
 * as a unit, as a node would hold it — on top of a base profile (the base
 * image of one generation still in the field, published as a package whose
 * provides and files describe it, e.g. `essential: true`). The set is its
 * package and the exact versions it pins; with the base it must hold
 * together on its own (every dependency met inside it, no conflict) and no
 * two of its packages may deliver the same path (unless one replaces the
 * other). Each base is checked separately.
 */
import { indexedPaths, type Candidate, type CatalogEntry } from '../core/catalog.js';
import { ZpkgError } from '../core/errors.js';
import { compareVersions } from '../core/version.js';
import { addOverlapConflicts, inconsistencies, parseSetSpec, setFromCatalog } from '../solver/index.js';
import type { RepoReader } from './backend.js';
import { readCandidates, readFileIndex, readRoot } from './snapshot.js';

export interface SetCheck {
  set: { name: string; version: string };
  /** The base profile it was checked on, or null: an empty image. */
  base: { name: string; version: string } | null;
  packages: { name: string; version: string }[];
  /** Unmet dependencies, conflicts and overlapping paths, in words. */
  problems: string[];
}

export interface SetCheckResult {
  checks: SetCheck[];
  seconds: number;
}

function pick(candidates: readonly Candidate[], spec: string, what: string): Candidate {
  const { name, version } = parseSetSpec(spec);
  const all = candidates.filter((c) => c.name === name).sort((a, b) => compareVersions(b.version, a.version));
  if (all.length === 0) throw new ZpkgError('E_PACKAGE_UNKNOWN', `no ${what} named \`${name}\` in the repository`);
  const hit = version === undefined ? all[0] : all.find((c) => compareVersions(c.version, version) === 0);
  if (!hit) throw new ZpkgError('E_VERSION_UNKNOWN', `no version ${version} of the ${what} \`${name}\``, { hint: `available: ${all.map((c) => c.version).join(', ')}` });
  return hit;
}

export async function checkReleaseSet(reader: RepoReader, setSpec: string, baseSpecs: readonly string[]): Promise<SetCheckResult> {
  const t0 = performance.now();
  const root = await readRoot(reader);
  const candidates = await readCandidates(reader, root);
  const files = await readFileIndex(reader, root);
  const members = setFromCatalog(candidates, setSpec);
  const entries: CatalogEntry[] = members.map((m) => {
    const c = candidates.find((x) => x.name === m.name && x.version === m.version);
    if (!c) throw new ZpkgError('E_VERSION_UNKNOWN', `the set pins ${m.name} ${m.version}, which the repository does not offer`);
    return c;
  });
  const bases = baseSpecs.length ? baseSpecs.map((b) => pick(candidates, b, 'base profile')) : [null];
  const checks: SetCheck[] = bases.map((base) => {
    const set = base ? [...entries.filter((e) => e.name !== base.name), base] : entries;
    const problems = inconsistencies(set);
    const { overlaps } = addOverlapConflicts(set, (e) => indexedPaths(files, e));
    for (const o of overlaps) problems.push(`${o.a.name} ${o.a.version} and ${o.b.name} ${o.b.version} both deliver \`/${o.path}\`${o.count > 1 ? ` (and ${o.count - 1} more path${o.count > 2 ? 's' : ''})` : ''}`);
    return { set: { name: members[0]!.name, version: members[0]!.version }, base: base ? { name: base.name, version: base.version } : null, packages: set.map((e) => ({ name: e.name, version: e.version })), problems };
  });
  return { checks, seconds: (performance.now() - t0) / 1000 };
}
