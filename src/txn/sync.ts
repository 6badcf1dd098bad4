/**
 * Exact target states: `sync` makes the image hold exactly a list of packages
 * and versions in one transaction (the zos release-tag model), and `rollback`
 * returns it to an earlier generation the same way. No solver: the target is
 * given; it must hold together on its own.
 */
import type { LifecycleOptions } from '../hooks/lifecycle.js';
import { readFileSync } from 'node:fs';
import type { CatalogEntry, Candidate } from '../core/catalog.js';
import type { Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { parseAtom, parseClause } from '../core/relation.js';
import { parseVersion, compareVersions } from '../core/version.js';
import type { Image } from '../image/image.js';
import { loadCandidates } from '../image/remotes.js';
import { listHistory, listPackages, type GenerationPackage } from '../image/state.js';
import type { Report } from '../report/report.js';
import { inconsistencies } from './consistency.js';
import { prepareChange, withImageLock } from './install.js';
import { runTransaction, type TransactionResult } from './transaction.js';
import type { PackageChange } from './types.js';

export interface TargetPackage {
  name: string;
  version: string;
  manifest?: Digest;
  remote?: string | null;
  requested: boolean;
  held?: boolean;
}

export interface SyncOptions extends LifecycleOptions {
  report: Report;
  command: string;
  dryRun?: boolean;
  unsafeIo?: boolean;
  noWait?: boolean;
  /** Apply even when the target set does not hold together. */
  force?: boolean;
}

/** A sync file: one `NAME VERSION` or `NAME=VERSION` per line; `#` starts a comment. */
export function parseSyncFile(path: string): TargetPackage[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ZpkgError('E_USAGE', `cannot read the sync file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const seen = new Set<string>();
  const out: TargetPackage[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const m = /^([a-z0-9][a-z0-9+.-]*)(?:\s+|\s*=\s*)(\S+)$/.exec(line);
    if (!m) throw new ZpkgError('E_USAGE', `${path}:${i + 1}: expected \`NAME VERSION\` or \`NAME=VERSION\`, got \`${line}\``);
    try {
      parseVersion(m[2]!);
    } catch (err) {
      throw new ZpkgError('E_USAGE', `${path}:${i + 1}: ${(err as Error).message}`);
    }
    if (seen.has(m[1]!)) throw new ZpkgError('E_USAGE', `${path}:${i + 1}: \`${m[1]}\` is listed twice`);
    seen.add(m[1]!);
    out.push({ name: m[1]!, version: m[2]!, requested: true });
  });
  return out;
}

/** A release tag in a catalog: a package whose depends pin exact versions (`name (= version)`); the set is it and them. */
export function setFromCatalog(pool: readonly Candidate[], name: string): TargetPackage[] {
  const tags = pool.filter((c) => c.name === name).sort((a, b) => compareVersions(b.version, a.version));
  const tag = tags[0];
  if (!tag) throw new ZpkgError('E_PACKAGE_UNKNOWN', `no set named \`${name}\` in any remote`);
  const members: TargetPackage[] = [{ name: tag.name, version: tag.version, manifest: tag.manifest, remote: tag.remote, requested: true }];
  for (const clause of tag.depends) {
    const atom = clause[0]!;
    if (clause.length !== 1 || atom.constraint?.op !== '=') {
      throw new ZpkgError('E_USAGE', `\`${name} ${tag.version}\` is not a set: its dependency \`${clause.map((a) => a.name).join(' | ')}\` does not pin one exact version`);
    }
    members.push({ name: atom.name, version: atom.constraint.version, requested: false });
  }
  return members;
}

function lookup(pool: readonly Candidate[], t: TargetPackage): Candidate {
  const hits = pool.filter((c) => c.name === t.name && c.version === t.version).sort((a, b) => b.priority - a.priority);
  if (hits[0]) return hits[0];
  const known = pool.filter((c) => c.name === t.name).map((c) => c.version);
  throw new ZpkgError(known.length ? 'E_VERSION_UNKNOWN' : 'E_PACKAGE_UNKNOWN', `${t.name} ${t.version} is not offered by any remote`, { hint: known.length ? `available: ${known.join(', ')}` : undefined });
}

export async function syncTo(image: Image, target: TargetPackage[], options: SyncOptions): Promise<TransactionResult> {
  return withImageLock(image, options, async () => {
    const installed = new Map(listPackages(image.db).map((p) => [p.name, p]));
    let pool: Candidate[] | undefined;
    const candidates = async (): Promise<Candidate[]> => (pool ??= await loadCandidates(image));
    const installs: PackageChange[] = [];
    const finalSet: CatalogEntry[] = [];
    for (const t of target) {
      const have = installed.get(t.name);
      if (have && have.version === t.version && (!t.manifest || t.manifest === have.manifest)) {
        finalSet.push({ name: have.name, version: have.version, arch: have.arch, summary: have.summary, depends: have.relations.depends.map(parseClause), conflicts: have.relations.conflicts.map((s) => parseAtom(s)), provides: have.relations.provides.map((s) => parseAtom(s)), replaces: [], size: 0, installedSize: have.size });
        continue;
      }
      const ref = t.manifest ? { name: t.name, version: t.version, manifest: t.manifest, remote: t.remote ?? null } : lookup(await candidates(), t);
      const change = await prepareChange(image, ref, t.requested, t.held ?? false);
      installs.push(change);
      const m = change.manifest;
      finalSet.push({ name: m.name, version: m.version, arch: m.arch, summary: m.summary, depends: m.depends.map(parseClause), conflicts: m.conflicts.map((s) => parseAtom(s)), provides: m.provides.map((s) => parseAtom(s)), replaces: [], size: 0, installedSize: 0 });
    }
    const wanted = new Set(target.map((t) => t.name));
    const removes = [...installed.values()].filter((p) => !wanted.has(p.name));
    const problems = inconsistencies(finalSet);
    if (problems.length && !options.force) {
      throw new ZpkgError('E_UNSATISFIABLE', 'the target set does not hold together', { hint: 'fix the list, or pass --force to apply it anyway', details: { explanation: problems } });
    }
    const flags = target.map((t) => ({ name: t.name, requested: t.requested }));
    return runTransaction(image, { installs, removes, flags, command: options.command }, options);
  });
}

/** The generation to roll back to: N, or by default the one before the current. */
export function generation(image: Image, n?: number): { id: number; packages: GenerationPackage[] } {
  const gens = listHistory(image.db).filter((h) => h.status === 'committed' && h.packages);
  if (n === 0) return { id: 0, packages: [] };
  if (n === undefined) {
    if (gens.length === 0) throw new ZpkgError('E_USAGE', 'the image has no earlier generation to roll back to');
    const prev = gens[gens.length - 2];
    return prev ? { id: prev.id, packages: prev.packages! } : { id: 0, packages: [] };
  }
  const g = gens.find((h) => h.id === n);
  if (!g) {
    throw new ZpkgError('E_USAGE', `generation ${n} does not exist (or was trimmed by gc)`, { hint: `known: 0 (empty), ${gens.map((h) => h.id).join(', ')}` });
  }
  return { id: g.id, packages: g.packages! };
}

export async function rollback(image: Image, n: number | undefined, options: SyncOptions): Promise<TransactionResult & { generation: number }> {
  const g = generation(image, n);
  const target: TargetPackage[] = g.packages.map((p) => ({ name: p.name, version: p.version, manifest: p.manifest, remote: p.remote, requested: p.requested, held: p.held }));
  return { ...(await syncTo(image, target, { ...options, force: true })), generation: g.id };
}
