/**
 * `fix`: writes again, from verified blobs, exactly the installed paths that
 * `verify` finds damaged (content, mode, owner, link target, missing), as one
 * transaction. A repair runs no hooks and touches services only through the
 * actuators of the paths it rewrites (a `restart:` file, a zinit service
 * file). Config files an administrator changed are left alone. A package whose
 * cached manifest is damaged gets it fetched again and is then checked
 * against it. A package that is not fully set up (a post-* hook or a service
 * start failed) is reported, not repaired: its files may be right.
 */
import type { Manifest } from '../core/manifest.js';
import type { Image } from '../image/image.js';
import { getPackage } from '../image/state.js';
import { changeImage, type ChangeOptions } from './change.js';
import { prepareLanding } from './prepare.js';
import type { Landing, Target } from './target.js';
import type { TransactionResult } from './transaction.js';
import { verifyImage, type VerifyProblem } from './verify.js';

export type FixOptions = ChangeOptions;

export interface FixResult extends TransactionResult {
  /** Paths written again. */
  repaired: VerifyProblem[];
  /** Problems a repair of files does not address (a package not fully set up). */
  unrepaired: VerifyProblem[];
  /** Packages whose cached manifest was damaged and was fetched again (in a dry run: would be put back). */
  manifests: string[];
}

interface Found {
  repaired: VerifyProblem[];
  unrepaired: VerifyProblem[];
  manifests: string[];
}

async function fixTarget(image: Image, names: string[], options: FixOptions, found: Found): Promise<Target> {
  let result = await verifyImage(image, names);
  const damagedManifests = [...new Set(result.problems.filter((p) => p.kind === 'manifest').map((p) => p.package))];
  if (damagedManifests.length) {
    // Fetched again (and, unless a dry run, put back into the cache), then every path is checked against it.
    const manifests = new Map<string, Manifest>();
    for (const name of damagedManifests) {
      const row = getPackage(image.db, name)!;
      const p = await prepareLanding(image, { name, version: row.version, manifest: row.manifest, remote: row.remote, requested: row.requested, held: row.held }, !options.dryRun);
      manifests.set(row.manifest, p.manifest);
    }
    result = await verifyImage(image, names, { manifests });
  }
  found.manifests = damagedManifests;
  found.repaired = result.problems.filter((p) => p.kind === 'path');
  found.unrepaired = result.problems.filter((p) => p.kind !== 'path');
  const paths = new Map<string, Set<string>>();
  for (const p of found.repaired) paths.set(p.package, (paths.get(p.package) ?? new Set()).add(p.path));
  const land: Landing[] = [...paths].map(([name, damaged]) => {
    const row = getPackage(image.db, name)!;
    return { name, version: row.version, manifest: row.manifest, remote: row.remote, requested: row.requested, held: row.held, from: row, repair: { paths: damaged } };
  });
  return { command: options.command, land, remove: [], flags: [] };
}

export async function fix(image: Image, names: string[], options: FixOptions): Promise<FixResult> {
  const found: Found = { repaired: [], unrepaired: [], manifests: [] };
  const result = await changeImage(image, options, () => fixTarget(image, names, options, found));
  return { ...result, ...found };
}
