/**
 * `repo import-index`: a Debian `Packages` index becomes the catalog of a
 * catalog-only repository — no manifests, no blobs, an empty file index. Such
 * a repository is a real-world catalog for the solver: a remote for
 * `install --dry-run` and the input of `repo check`.
 *
 * The mapping of a stanza to an entry is debian/entry.ts's (Pre-Depends count
 * as Depends, Breaks as Conflicts, Recommends and Suggests are ignored,
 * Multi-Arch qualifiers are read as plain same-architecture names). A stanza
 * that does not map is skipped and reported with its reason; an index of
 * which nothing imports is refused before the repository is touched.
 *
 * Into a new or empty directory the import creates the repository; into an
 * existing repository it replaces the whole catalog in one publish (blobs and
 * manifests of the old catalog stay until `repo gc`).
 */
import type { CatalogEntry } from '../core/catalog.js';
import { ZpkgError } from '../core/errors.js';
import { importIndexFileTable, type SkippedStanza } from './debian/index.js';
import type { RepoWriter } from './backend.js';
import { openRepoWriter } from './open.js';
import { ROOT_FILE } from './layout.js';
import { commitSnapshot, readRoot } from './snapshot.js';
import { prepareRoot, signingKeySet, type Signer } from './trust/sign.js';

export interface ImportIndexOptions {
  /** The Packages file: plain, LZ4 frame, gzip or zstd. */
  index: string;
  /** Repository directory (or `file://` URL): new, empty, or an existing repository. */
  repo: string;
  /** Signing keys: required when the repository is signed; a new repository made with them is signed. */
  signer?: Signer;
}

/** What a catalog holds, counted as Debian tools count it. */
export interface CatalogCounts {
  packages: number;
  /** Depends clauses (each `a | b` is one), Pre-Depends included. */
  dependencyClauses: number;
  provides: number;
  /** Conflicts and Breaks. */
  conflicts: number;
}

export interface ImportIndexResult extends CatalogCounts {
  index: string;
  repository: string;
  /** Root metadata version after the import. */
  version: number;
  /** The catalog this import replaced, when the repository existed. */
  replaced: { version: number; packages: number } | null;
  skipped: SkippedStanza[];
  seconds: { read: number; write: number; total: number };
}

export function countCatalog(entries: readonly CatalogEntry[]): CatalogCounts {
  let dependencyClauses = 0;
  let provides = 0;
  let conflicts = 0;
  for (const e of entries) {
    dependencyClauses += e.depends.length;
    provides += e.provides.length;
    conflicts += e.conflicts.length;
  }
  return { packages: entries.length, dependencyClauses, provides, conflicts };
}

/** The rule of `repo create`: a repository is created only where nothing is yet. */
async function assertNewOrEmpty(repo: RepoWriter): Promise<void> {
  if ((await repo.list('')).some((e) => !e.startsWith('.zpkg-lock'))) {
    throw new ZpkgError('E_REPO_EXISTS', `${repo.location} is neither a zpkg repository nor empty`, {
      hint: 'import into a new or empty directory, or into an existing repository to replace its catalog',
    });
  }
}

const since = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

export async function importIndexToRepo(options: ImportIndexOptions): Promise<ImportIndexResult> {
  const started = process.hrtime.bigint();
  const { table, skipped } = importIndexFileTable(options.index);
  const entries = table.views();
  if (entries.length === 0) {
    const first = skipped[0];
    throw new ZpkgError(
      'E_REPO_INVALID',
      first
        ? `no stanza of \`${options.index}\` could be imported (${skipped.length} skipped; the first, ${first.package}: ${first.reason})`
        : `\`${options.index}\` holds no package stanza`,
      { hint: 'give a Debian `Packages` index (plain, .lz4, .gz or .zst), as apt keeps under /var/lib/apt/lists' },
    );
  }
  const read = since(started);

  const writeStarted = process.hrtime.bigint();
  const repo = openRepoWriter(options.repo);
  const existed = (await repo.size(ROOT_FILE)) !== undefined;
  if (!existed) await assertNewOrEmpty(repo);
  const release = await repo.lock({ create: !existed });
  let replaced: ImportIndexResult['replaced'] = null;
  let version: number;
  try {
    // Read under the lock: another publisher may have created or changed it meanwhile.
    const previous = (await repo.size(ROOT_FILE)) !== undefined ? await readRoot(repo) : undefined;
    if (previous) replaced = { version: previous.version, packages: previous.catalog.packages };
    version = (await commitSnapshot(repo, prepareRoot(repo.location, previous, options.signer, previous ? undefined : signingKeySet(options.signer)), entries, new Map())).version;
  } finally {
    await release();
  }
  const write = since(writeStarted);

  return {
    index: options.index,
    repository: repo.location,
    version,
    replaced,
    ...countCatalog(entries),
    skipped,
    seconds: { read, write, total: since(started) },
  };
}
