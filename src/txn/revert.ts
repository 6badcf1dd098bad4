/**
 * `revert PATH...` (IPS's `pkg revert`): the shipped version of config files
 * goes back in place, from verified blobs (the cache, else the package's
 * remote), as one transaction; what the administrator had there is kept as
 * `PATH.zpkg-old` once the transaction commits (an older `.zpkg-old` is
 * replaced). Like `fix`, a revert runs no hooks and touches services only
 * through the actuators of the files it writes (a `restart:` file, a zinit
 * service file).
 *
 * Only config files are reverted: any other damaged file is `fix`'s. A config
 * file whose content is the shipped one already is left alone and reported.
 * Every path is checked before anything is fetched, so one bad path refuses
 * the whole command with nothing changed.
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { ZpkgError } from '../core/errors.js';
import { toImagePath } from '../core/paths.js';
import type { Image } from '../image/image.js';
import { fileAt, getPackage } from '../image/state.js';
import { changeImage, type ChangeOptions } from './change.js';
import { holdsContent } from './same-file.js';
import type { Landing, Target } from './target.js';
import type { TransactionResult } from './transaction.js';

export type RevertOptions = ChangeOptions;

export interface RevertResult extends TransactionResult {
  /** Config files written back (with the package delivering each, and whether a local version was kept as `.zpkg-old`). */
  reverted: { path: string; package: string; keptOld: boolean }[];
  /** Named config files already as shipped: nothing to do. */
  unchanged: string[];
}


interface Found {
  reverted: RevertResult['reverted'];
  unchanged: string[];
}

function revertTarget(image: Image, inputs: readonly string[], command: string, found: Found): Target {
  if (inputs.length === 0) throw new ZpkgError('E_USAGE', 'name at least one config file to revert');
  const byPackage = new Map<string, Set<string>>();
  for (const input of [...new Set(inputs.map(toImagePath))]) {
    const row = fileAt(image.db, input);
    if (!row) throw new ZpkgError('E_NOT_FOUND', `\`/${input}\` is not delivered by any installed package`, { hint: 'revert writes back config files of installed packages; `zpkg owns PATH` says which package delivers a path' });
    if (!row.config || row.type !== 'file') {
      throw new ZpkgError('E_INPUT_INVALID', `\`/${input}\` of ${row.package} is not a config file`, { hint: `to write back a damaged file that is not a config file, run \`zpkg fix ${row.package}\`` });
    }
    const st = lstatSync(join(image.paths.root, input), { throwIfNoEntry: false });
    // Read as verify reads (same-file.ts): bounded, and a link swapped in is not followed.
    if (st?.isFile() && row.size !== null && row.digest !== null && holdsContent(join(image.paths.root, input), row.size, row.digest)) {
      found.unchanged.push(input);
      continue;
    }
    found.reverted.push({ path: input, package: row.package, keptOld: st !== undefined });
    byPackage.set(row.package, (byPackage.get(row.package) ?? new Set()).add(input));
  }
  const land: Landing[] = [...byPackage].map(([name, paths]) => {
    const row = getPackage(image.db, name)!;
    return { name, version: row.version, manifest: row.manifest, remote: row.remote, requested: row.requested, held: row.held, from: row, repair: { paths, revert: true } };
  });
  return { command, land, remove: [], flags: [] };
}

export async function revert(image: Image, paths: readonly string[], options: RevertOptions): Promise<RevertResult> {
  const found: Found = { reverted: [], unchanged: [] };
  const result = await changeImage(image, options, () => {
    found.reverted = [];
    found.unchanged = [];
    return revertTarget(image, paths, options.command, found);
  });
  return { ...result, ...found };
}
