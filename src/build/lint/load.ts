/**
 * What `zpkg lint` is given, as packages: a recipe directory is built in
 * memory (nothing published), a repository directory gives every package of
 * its catalog (newest version of each name) with its contents read from its
 * blobs, and a name is looked up in the `--repo` repositories.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CatalogEntry } from '../../core/catalog.js';
import type { Digest } from '../../core/digest.js';
import { ZpkgError } from '../../core/errors.js';
import { compareVersions } from '../../core/version.js';
import type { RepoReader } from '../../repo/backend.js';
import { placesOf, readBlob, readRecord } from '../../repo/content.js';
import { ROOT_FILE } from '../../repo/layout.js';
import { openRepoReader } from '../../repo/open.js';
import { readCatalog, readRoot } from '../../repo/snapshot.js';
import { buildPackage } from '../build.js';
import { RECIPE_FILE } from '../recipe.js';
import type { LintPackage } from './types.js';

export interface OpenRepo {
  reader: RepoReader;
  entries: CatalogEntry[];
}

export async function openRepo(url: string): Promise<OpenRepo> {
  const reader = openRepoReader(url);
  return { reader, entries: await readCatalog(reader, await readRoot(reader)) };
}

/** The newest version of each name. */
export function newest(entries: readonly CatalogEntry[]): CatalogEntry[] {
  const best = new Map<string, CatalogEntry>();
  for (const e of entries) {
    const b = best.get(e.name);
    if (b === undefined || compareVersions(e.version, b.version) > 0) best.set(e.name, e);
  }
  return [...best.values()];
}

/** A repository's package with its blobs decompressed into `scratch` (content is needed to read ELF files). */
export async function repoPackage(repo: OpenRepo, entry: CatalogEntry, scratch: string): Promise<LintPackage> {
  const origin = repo.reader.location;
  if (entry.manifest === undefined) {
    throw new ZpkgError('E_REPO_INVALID', `${origin}: ${entry.name} ${entry.version} has no manifest (a catalog-only repository)`, { hint: 'lint needs packages with contents; pass the repository as --repo to check relations against it' });
  }
  const record = await readRecord(repo.reader, entry.manifest, `${entry.name} ${entry.version}`);
  const { manifest } = record;
  const places = placesOf(record);
  const contentOf = new Map<Digest, string>();
  for (const a of manifest.actions) {
    if (a.type !== 'file' || contentOf.has(a.digest)) continue;
    const local = join(scratch, a.digest.slice(7));
    writeFileSync(local, await readBlob(repo.reader, a.digest, places.get(a.digest)!, `${manifest.name}: ${a.path}`));
    contentOf.set(a.digest, local);
  }
  return { manifest, origin, contentOf };
}

export function isRecipeDir(path: string): boolean {
  return existsSync(join(path, RECIPE_FILE));
}

export function isRepoDir(path: string): boolean {
  return existsSync(join(path, ROOT_FILE));
}

export function recipePackage(dir: string): LintPackage {
  const built = buildPackage(dir);
  return { manifest: built.manifest, origin: dir, contentOf: built.blobs };
}

export function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'zpkg-lint-'));
}
