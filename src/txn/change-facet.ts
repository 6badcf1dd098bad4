/**
 * `change-facet NAME=true|false|default...` (IPS's `change-facet`): the
 * image's facet settings change, and exactly the installed paths whose
 * facets that turns off are removed and those it turns on are written (from
 * verified blobs: the cache, else the package's remote), in one transaction
 * that records the new settings in state.db with its commit. `default` drops
 * a setting (zpkg.yaml's, else enabled, applies again). With no argument, the
 * installed set is brought in line with the current settings — after an edit
 * of `facets:` in zpkg.yaml, say. No hooks run; services are touched only
 * through the files written (a `restart:` file, a zinit service file).
 */
import { ZpkgError } from '../core/errors.js';
import { excludedPaths, isFacetPattern, type FacetSettings } from '../core/facets.js';
import { isPathAction } from '../core/manifest.js';
import { cachedManifestOrNone } from '../image/cache.js';
import { readFacetOverrides } from '../image/facet-state.js';
import type { Image } from '../image/image.js';
import { filesOf, listPackages } from '../image/state.js';
import { changeImage, type ChangeOptions } from './change.js';
import { imageFacets } from './facets.js';
import type { Landing, Target } from './target.js';
import type { TransactionResult } from './transaction.js';

export type ChangeFacetOptions = ChangeOptions;

export interface FacetChange {
  package: string;
  /** Paths written because a facet was turned on, and their bytes. */
  added: number;
  addedBytes: number;
  /** Paths removed because a facet was turned off, and their bytes. */
  removed: number;
  removedBytes: number;
}

export interface ChangeFacetResult extends TransactionResult {
  /** The settings after the change: zpkg.yaml's overridden by the recorded ones. */
  facets: FacetSettings;
  packages: FacetChange[];
}

/** `NAME=true|false|default` (also `on`/`off`): a facet name or pattern and its new setting (null: drop it). */
export function parseFacetSpec(spec: string): { key: string; value: boolean | null } {
  const m = /^([^=]+)=(true|false|on|off|default)$/.exec(spec.trim());
  if (!m) throw new ZpkgError('E_USAGE', `\`${spec}\` is not a facet setting: write NAME=true, NAME=false or NAME=default (e.g. doc=false, 'locale.*=false')`);
  if (!isFacetPattern(m[1]!)) throw new ZpkgError('E_USAGE', `\`${m[1]}\` is not a facet name or pattern (e.g. \`doc\`, \`locale.en\`, \`locale.*\`)`);
  return { key: m[1]!, value: m[2] === 'default' ? null : m[2] === 'true' || m[2] === 'on' };
}

function facetTarget(image: Image, specs: readonly string[], command: string, found: ChangeFacetResult['packages'], effective: { value: FacetSettings }): Target {
  const record: Record<string, boolean> = { ...readFacetOverrides(image.db) };
  for (const { key, value } of specs.map(parseFacetSpec)) {
    if (value === null) delete record[key];
    else record[key] = value;
  }
  const after = imageFacets(image, record);
  effective.value = after;
  const land: Landing[] = [];
  for (const row of listPackages(image.db)) {
    const m = cachedManifestOrNone(image.paths.cache, row.manifest);
    if (!m) {
      throw new ZpkgError('E_MANIFEST_MISSING', `the manifest of ${row.name} ${row.version} is not in the image cache: its facets cannot be changed`, { hint: `\`zpkg fix ${row.name}\` fetches it again` });
    }
    const out = excludedPaths(m, after);
    const have = new Map(filesOf(image.db, row.name).map((f) => [f.path, f]));
    const add = new Set<string>();
    let addedBytes = 0;
    for (const a of m.actions) {
      if (!isPathAction(a) || a.type === 'dir' || out.has(a.path) || have.has(a.path)) continue;
      add.add(a.path);
      if (a.type === 'file') addedBytes += a.size;
    }
    const drop = [...have.values()].filter((f) => out.has(f.path));
    if (add.size === 0 && drop.length === 0) continue;
    found.push({ package: row.name, added: add.size, addedBytes, removed: drop.length, removedBytes: drop.reduce((n, f) => n + (f.size ?? 0), 0) });
    land.push({ name: row.name, version: row.version, manifest: row.manifest, remote: row.remote, requested: row.requested, held: row.held, from: row, repair: { paths: add } });
  }
  return { command, land, remove: [], flags: [], facets: { effective: after, record } };
}

export async function changeFacet(image: Image, specs: readonly string[], options: ChangeFacetOptions): Promise<ChangeFacetResult> {
  const packages: FacetChange[] = [];
  const effective = { value: {} as FacetSettings };
  const result = await changeImage(image, options, () => {
    packages.length = 0;
    return facetTarget(image, specs, options.command, packages, effective);
  });
  return { ...result, facets: effective.value, packages };
}

