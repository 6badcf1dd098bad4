/**
 * `repo diff REPO_A REPO_B` (`pkgrepo diff`) and `diff --set A B --repo URL`:
 * two repositories, or two release sets of one, compared from their catalogs
 * and file indexes — no manifest or blob is fetched, so a review of a release
 * before promoting it costs three reads per repository. Paths are known by
 * name only (the file index), so `changed` counts stay 0: a version change
 * says the content changed. Like `repo list`, this reads a repository as an
 * operator's tool: signatures are an image's business (trust/accept.ts).
 */
import { indexedPaths, type Candidate, type CatalogEntry } from '../core/catalog.js';
import { ZpkgError } from '../core/errors.js';
import { diffCatalogs, diffSets, type SetDiff, type SideEntry } from '../core/set-diff.js';
import { setFromCatalog } from '../solver/index.js';
import type { RepoReader } from './backend.js';
import { readCandidates, readFileIndex, readRoot, type FileIndex } from './snapshot.js';

function entryOf(e: CatalogEntry, files: FileIndex): SideEntry {
  const paths = indexedPaths(files, e);
  return { name: e.name, version: e.version, ...(e.manifest ? { manifest: e.manifest } : {}), bytes: e.installedSize, ...(paths ? { paths: new Map(paths.map((p) => [p, ''])) } : {}) };
}

async function load(reader: RepoReader): Promise<{ entries: SideEntry[]; candidates: Candidate[]; files: FileIndex }> {
  const root = await readRoot(reader);
  const candidates = await readCandidates(reader, root);
  const files = await readFileIndex(reader, root);
  return { entries: candidates.map((c) => entryOf(c, files)), candidates, files };
}

export type RepoDiff = ReturnType<typeof diffCatalogs> & { from: string; to: string };

export async function diffRepos(a: RepoReader, b: RepoReader): Promise<RepoDiff> {
  const [x, y] = await Promise.all([load(a), load(b)]);
  return { from: a.location, to: b.location, ...diffCatalogs(x.entries, y.entries) };
}

export interface RepoSetDiff extends SetDiff {
  from: { name: string; version: string };
  to: { name: string; version: string };
}

export async function diffRepoReleaseSets(reader: RepoReader, specA: string, specB: string): Promise<RepoSetDiff> {
  const { candidates, files } = await load(reader);
  const members = (spec: string): SideEntry[] =>
    setFromCatalog(candidates, spec).map((m) => {
      const c = candidates.find((x) => x.name === m.name && x.version === m.version);
      if (!c) throw new ZpkgError('E_VERSION_UNKNOWN', `the set \`${spec}\` pins ${m.name} ${m.version}, which ${reader.location} does not hold`);
      return entryOf(c, files);
    });
  const sa = members(specA);
  const sb = members(specB);
  return { from: { name: sa[0]!.name, version: sa[0]!.version }, to: { name: sb[0]!.name, version: sb[0]!.version }, ...diffSets(sa, sb) };
}
