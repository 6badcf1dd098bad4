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
import { CatalogRow, type CatalogTable } from '../core/catalog-table.js';
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

/**
 * Per catalog table, a yes/no per string id (an arch, a name), decided once:
 * rows of a decoded catalog are checked on its integer columns without
 * decoding a string per row (63,440 rows of bookworm cost a few ms, not a
 * string each).
 */
class IdTest {
  private readonly byTable = new Map<CatalogTable, Map<number, boolean>>();
  constructor(private readonly test: (s: string) => boolean) {}

  of(t: CatalogTable, id: number): boolean {
    let m = this.byTable.get(t);
    if (!m) this.byTable.set(t, (m = new Map()));
    let v = m.get(id);
    if (v === undefined) m.set(id, (v = this.test(t.strings.get(id))));
    return v;
  }
}

/** Whether a row's name is one of a few, by comparing bytes (no string decoded), remembered per string id. */
class NameIds {
  private readonly byTable = new Map<CatalogTable, Int8Array>();
  private readonly wanted: Buffer[];
  private readonly lengths: Set<number>;
  constructor(names: Iterable<string>) {
    this.wanted = [...names].map((n) => Buffer.from(n, 'utf8'));
    this.lengths = new Set(this.wanted.map((w) => w.length));
  }

  of(t: CatalogTable, id: number): boolean {
    let m = this.byTable.get(t);
    if (!m) this.byTable.set(t, (m = new Int8Array(t.strings.count)));
    const v = m[id]!;
    if (v !== 0) return v === 1;
    const s = t.strings;
    const a = s.start(id);
    const z = s.ends[id]!;
    const yes = this.lengths.has(z - a) && this.wanted.some((w) => w.length === z - a && s.bytes.compare(w, 0, w.length, a, z) === 0);
    m[id] = yes ? 1 : 2;
    return yes;
  }
}

export function admit(candidates: readonly Candidate[], policy: AdmitPolicy): Admission {
  if (policy.arch === undefined && !policy.exclude?.length && !policy.locks?.length) return { admitted: candidates, refused: [] };
  const locks = lockIndex(policy);
  const excluded = new Set((policy.exclude ?? []).map((a) => a.name));
  const foreignArch = (a: string): boolean => policy.arch !== undefined && a !== ARCH_ALL && a !== policy.arch;
  const ruled = (n: string): boolean => excluded.has(n) || locks.has(n);
  const archTest = new IdTest(foreignArch);
  const nameTest = new NameIds([...excluded, ...locks.keys()]);
  const anyNames = excluded.size > 0 || locks.size > 0;
  const refused: Admission['refused'] = [];
  let kept: Candidate[] | undefined;
  for (let i = 0; i < candidates.length; i++) {
    const e = candidates[i]!;
    const row = e instanceof CatalogRow;
    const foreign = policy.arch !== undefined && (row ? archTest.of(e.table, e.table.arch[e.row]!) : foreignArch(e.arch));
    const named = anyNames && (row ? nameTest.of(e.table, e.table.name[e.row]!) : ruled(e.name));
    const why = foreign || named ? refusals(e, policy, locks) : [];
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
