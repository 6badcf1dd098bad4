/**
 * `diff GEN_A [GEN_B]` and `diff --set A B` on an image: two generations of its
 * history (GEN_B default: the installed set), or two release sets its remotes
 * offer. Contents come from the cached manifests (paths, fingerprints, bytes);
 * a generation whose manifest the cache no longer holds is compared by
 * version only (its counts are null). Reads only: no lock, nothing written.
 */
import type { Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import type { Manifest } from '../core/manifest.js';
import { diffSets, type SetDiff, type SideEntry } from '../core/set-diff.js';
import { cachedManifestOrNone } from '../image/cache.js';
import type { Image } from '../image/image.js';
import { loadCandidates, listRemotes } from '../image/remotes.js';
import { currentGeneration, listHistory, type GenerationPackage } from '../image/state.js';
import { setFromCatalog } from '../solver/index.js';

/** Paths with fingerprints and the bytes of a manifest's files. */
export function contentsOf(m: Manifest): Pick<SideEntry, 'paths' | 'bytes'> {
  const paths = new Map<string, string>();
  let bytes = 0;
  for (const a of m.actions) {
    if (a.type === 'file') {
      paths.set(a.path, `${a.digest} ${a.mode} ${a.owner}:${a.group}`);
      bytes += a.size;
    } else if (a.type === 'link') paths.set(a.path, `-> ${a.target}`);
    else if (a.type === 'hardlink') paths.set(a.path, `=> ${a.target}`);
  }
  return { paths, bytes };
}

function side(image: Image, packages: readonly { name: string; version: string; manifest?: Digest }[]): SideEntry[] {
  return packages.map((p) => {
    const m = p.manifest ? cachedManifestOrNone(image.paths.cache, p.manifest) : undefined;
    return { name: p.name, version: p.version, ...(p.manifest ? { manifest: p.manifest } : {}), ...(m ? contentsOf(m) : {}) };
  });
}

/** Generation `n`'s package set; `current` the installed set. */
function generationSet(image: Image, n: number | 'current'): GenerationPackage[] {
  if (n === 'current') return currentGeneration(image.db);
  if (n === 0) return [];
  const all = listHistory(image.db);
  const row = all.find((h) => h.id === n);
  if (!row?.packages) {
    const known = ['0 (the empty image)', ...all.filter((h) => h.packages).map((h) => String(h.id))].join(', ');
    throw new ZpkgError('E_GENERATION_UNKNOWN', `generation ${n} ${row ? 'was trimmed by gc' : 'does not exist'}`, { hint: `known: ${known}` });
  }
  return row.packages;
}

export interface GenerationDiff extends SetDiff {
  from: number;
  to: number | 'current';
}

export function diffGenerations(image: Image, from: number, to: number | 'current' = 'current'): GenerationDiff {
  const a = generationSet(image, from);
  const b = generationSet(image, to);
  return { from, to, ...diffSets(side(image, a), side(image, b)) };
}

export interface ReleaseSetDiff extends SetDiff {
  from: { name: string; version: string };
  to: { name: string; version: string };
}

/** Two release sets the image's remotes offer (installed sizes from the catalogs; paths where the cache holds manifests). */
export async function diffImageReleaseSets(image: Image, specA: string, specB: string): Promise<ReleaseSetDiff> {
  if (listRemotes(image).length === 0) throw new ZpkgError('E_NO_REMOTES', 'the image has no remotes to read release sets from', { hint: 'add one with `zpkg remote add`, or name a repository with `--repo URL`' });
  const pool = await loadCandidates(image);
  const members = (spec: string): SideEntry[] =>
    setFromCatalog(pool, spec).map((m) => {
      const c = pool.filter((x) => x.name === m.name && x.version === m.version).sort((x, y) => y.priority - x.priority)[0];
      if (!c) throw new ZpkgError('E_VERSION_UNKNOWN', `the set \`${spec}\` pins ${m.name} ${m.version}, which no remote offers`);
      const entry = side(image, [{ name: c.name, version: c.version, ...(c.manifest ? { manifest: c.manifest } : {}) }])[0]!;
      return { ...entry, bytes: entry.bytes ?? c.installedSize };
    });
  const a = members(specA);
  const b = members(specB);
  return { from: { name: a[0]!.name, version: a[0]!.version }, to: { name: b[0]!.name, version: b[0]!.version }, ...diffSets(a, b) };
}
