/** Repository maintenance: create, list, remove a package version, garbage-collect. */
import { entryKey, type CatalogEntry } from '../core/catalog.js';
import { ZpkgError } from '../core/errors.js';
import type { Digest } from '../core/digest.js';
import type { RepoWriter } from './backend.js';
import { catalogPath, fileIndexPath, packPath, parseRepoPath, recordPath, ROOT_FILE } from './layout.js';
import { planRepack, readIndexes, readLive, widestSpan } from './repack.js';
import { commitSnapshot, readSnapshot } from './snapshot.js';
import { keySetOf, prepareRoot, type Signer } from './trust/sign.js';

export interface CreateRepoOptions {
  /** Keys the repository trusts from the start (each must sign its first root); none: an unsigned repository. */
  signer?: Signer;
  /** How many of the keys must sign each root metadata (default 1). */
  threshold?: number;
}

export interface CreateRepoResult {
  location: string;
  version: number;
  repository: string;
  keys: string[];
  threshold: number;
  expires: string | null;
}

/** Creates an empty repository where nothing is yet (a new or empty directory, an empty bucket prefix). */
export async function createRepo(repo: RepoWriter, options: CreateRepoOptions = {}): Promise<CreateRepoResult> {
  const keys = options.signer?.keys ?? [];
  const next = keys.length ? keySetOf(keys, options.threshold ?? 1) : undefined;
  if (!next && options.threshold !== undefined) throw new ZpkgError('E_INPUT_INVALID', 'a threshold needs signing keys: an unsigned repository has none');
  const draft = prepareRoot(repo.location, undefined, options.signer, next);
  if ((await repo.size(ROOT_FILE)) !== undefined) {
    throw new ZpkgError('E_REPO_EXISTS', `${repo.location} is already a zpkg repository`);
  }
  if ((await repo.list('')).some((e) => !e.startsWith('.zpkg-lock'))) {
    throw new ZpkgError('E_REPO_EXISTS', `${repo.location} is not empty`, { hint: 'create the repository in a new or empty directory' });
  }
  const release = await repo.lock({ create: true });
  try {
    if ((await repo.size(ROOT_FILE)) !== undefined) throw new ZpkgError('E_REPO_EXISTS', `${repo.location} is already a zpkg repository`);
    const root = await commitSnapshot(repo, draft, [], new Map());
    return { location: repo.location, version: root.version, repository: root.repository, keys: Object.keys(root.keys), threshold: root.threshold, expires: root.expires ?? null };
  } finally {
    await release();
  }
}

/** A version to remove: `arch` picks one build when the repository holds several of that version (else it may be left out). */
export interface RemovalSpec {
  name: string;
  version: string;
  arch?: string;
}

/** The catalog entry `spec` names, or a typed refusal saying what the repository holds instead. */
function victimOf(location: string, entries: readonly CatalogEntry[], spec: RemovalSpec): CatalogEntry {
  const { name, version, arch } = spec;
  const builds = entries.filter((e) => e.name === name && e.version === version && (arch === undefined || e.arch === arch));
  if (builds.length > 1) {
    throw new ZpkgError('E_INPUT_INVALID', `${location} holds ${name} ${version} for ${builds.map((e) => e.arch).join(', ')}: say which`, { hint: `name one build: ${builds.map((e) => entryKey(e)).join(' or ')}` });
  }
  const victim = builds[0];
  if (!victim) {
    const known = entries.filter((e) => e.name === name).map((e) => e.version);
    throw new ZpkgError(known.length ? 'E_VERSION_UNKNOWN' : 'E_PACKAGE_UNKNOWN', `${location} has no ${name} ${version}${arch ? ` for ${arch}` : ''}`, {
      hint: known.length ? `published versions: ${known.join(', ')}` : undefined,
    });
  }
  return victim;
}

/**
 * Removes package versions from the catalog in one new repository version
 * (their packs stay until `repo gc`): every spec must name a version the
 * repository holds, or nothing is removed. A dry run only says which entries
 * would go: it takes no lock, needs no key and writes nothing.
 */
export async function removeFromRepo(repo: RepoWriter, specs: readonly RemovalSpec[], signer?: Signer, options: { dryRun?: boolean } = {}): Promise<CatalogEntry[]> {
  const release = options.dryRun ? async () => undefined : await repo.lock();
  try {
    const snap = await readSnapshot(repo);
    const victims = [...new Set(specs.map((spec) => victimOf(repo.location, snap.entries, spec)))];
    if (options.dryRun) return victims;
    const draft = prepareRoot(repo.location, snap.root, signer);
    const left = snap.entries.filter((e) => !victims.includes(e));
    for (const victim of victims) {
      const key = entryKey(victim);
      snap.files.delete(key);
      // The file index lists a single build under NAME@VERSION: it goes with the last build of that version.
      if (key !== `${victim.name}@${victim.version}` && !left.some((e) => entryKey(e) === `${victim.name}@${victim.version}`)) snap.files.delete(`${victim.name}@${victim.version}`);
    }
    await commitSnapshot(repo, draft, left, snap.files);
    return victims;
  } finally {
    await release();
  }
}

export interface GcResult {
  /** Nothing was removed: the counts are what gc would remove. */
  dryRun: boolean;
  removed: { manifests: number; blobs: number; catalogs: number; packs: number; deltas: number };
  bytesFreed: number;
  /** What gc leaves to `repo repack`: the packs it would gather, the frame bytes of kept packs no record uses, the most packs one version lies in. */
  repack: { packs: number; deadBytes: number; span: number };
}

/**
 * Drops records, deltas, packs and old catalogs that the current catalog no
 * longer reaches, and format 2's blob files left by `repo upgrade`. A pack is
 * kept whole while any kept record places a blob in it (packs are not
 * rewritten here: `repo repack` does that, and gc says when it would).
 * A dry run removes nothing and takes no lock (it only reads, as `repo
 * check` does; a publish beside it may change what it would remove).
 */
export async function gcRepo(repo: RepoWriter, options: { dryRun?: boolean } = {}): Promise<GcResult> {
  const dryRun = options.dryRun === true;
  const release = dryRun ? async () => undefined : await repo.lock();
  try {
    const snap = await readSnapshot(repo);
    const keep = new Set<string>([catalogPath(snap.root.catalog.digest)]);
    if (snap.root.files) keep.add(fileIndexPath(snap.root.files.digest));
    const records = new Set<Digest>();
    const live = await readLive(repo, snap.entries);
    for (const l of live) {
      records.add(l.entry.manifest!);
      keep.add(recordPath(l.entry.manifest!));
      for (const p of l.record.map.packs) keep.add(packPath(p.digest));
    }
    const result: GcResult = { dryRun, removed: { manifests: 0, blobs: 0, catalogs: 0, packs: 0, deltas: 0 }, bytesFreed: 0, repack: { packs: 0, deadBytes: 0, span: 0 } };
    const kinds: Record<string, keyof GcResult['removed']> = { record: 'manifests', 'legacy-manifest': 'manifests', 'legacy-blob': 'blobs', catalog: 'catalogs', files: 'catalogs', pack: 'packs', delta: 'deltas' };
    for (const prefix of ['manifests/', 'deltas/', 'packs/', 'blobs/', 'catalog/', 'files/']) {
      for (const path of await repo.list(prefix)) {
        const p = parseRepoPath(path);
        // A delta is kept while the record it rebuilds is (whatever version it starts from: an image may still have it).
        if (!p || keep.has(path) || (p.kind === 'delta' && records.has(p.digest))) continue;
        result.bytesFreed += (await repo.size(path)) ?? 0;
        if (!dryRun) await repo.remove(path);
        result.removed[kinds[p.kind]!] += 1;
      }
    }
    // What a publisher that died left in a directory repository's scratch folder.
    for (const path of await repo.list('.zpkg-tmp/')) {
      result.bytesFreed += (await repo.size(path)) ?? 0;
      if (!dryRun) await repo.remove(path);
    }
    const plan = planRepack(live, await readIndexes(repo, live), false);
    result.repack = { packs: plan.filter((p) => p.reason).length, deadBytes: plan.reduce((n, p) => n + p.frameBytes - p.liveBytes, 0), span: widestSpan(live) };
    return result;
  } finally {
    await release();
  }
}
