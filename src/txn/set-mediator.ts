/**
 * `set-mediator NAME IMPL` (IPS's `set-mediator`, `update-alternatives --set`):
 * the image holds the links of implementation IMPL of mediator NAME from now
 * on, whatever the priorities say; the links move from one package to the
 * other in one transaction that records the choice with its commit (the
 * mediation step of prepare does the moving: txn/mediate.ts). `--auto` drops
 * the choice: the highest priority wins again.
 */
import { ZpkgError } from '../core/errors.js';
import { excludedPaths } from '../core/facets.js';
import { mediate, withoutPaths, type Mediation } from '../core/mediators.js';
import { MEDIATOR_NAME } from '../core/manifest.js';
import { cachedManifestOrNone } from '../image/cache.js';
import type { Image } from '../image/image.js';
import { readMediatorChoices } from '../image/mediator-state.js';
import { listPackages } from '../image/state.js';
import { changeImage, type ChangeOptions } from './change.js';
import { imageFacets } from './facets.js';
import type { TransactionResult } from './transaction.js';

export type SetMediatorOptions = ChangeOptions;

export interface SetMediatorResult extends TransactionResult {
  mediator: string;
  /** The implementation chosen (null: `--auto`, the highest priority). */
  chosen: string | null;
  /** Every mediator of the installed set after the change. */
  mediations: Mediation[];
}

/** Every mediator of the installed set, as the image holds it with these choices. */
export function installedMediations(image: Image, choices: Readonly<Record<string, string>> = readMediatorChoices(image.db)): Mediation[] {
  const facets = imageFacets(image);
  const packages = listPackages(image.db).flatMap((r) => {
    const m = cachedManifestOrNone(image.paths.cache, r.manifest);
    return m ? [{ name: r.name, manifest: withoutPaths(m, excludedPaths(m, facets)) }] : [];
  });
  return mediate(packages, choices).mediations;
}

export async function setMediator(image: Image, mediator: string, implementation: string | null, options: SetMediatorOptions): Promise<SetMediatorResult> {
  if (!MEDIATOR_NAME.test(mediator)) throw new ZpkgError('E_USAGE', `\`${mediator}\` is not a mediator name`);
  if (implementation !== null && !MEDIATOR_NAME.test(implementation)) throw new ZpkgError('E_USAGE', `\`${implementation}\` is not an implementation name`);
  const result = await changeImage(image, options, () => {
    const known = installedMediations(image).find((m) => m.mediator === mediator);
    if (!known) throw new ZpkgError('E_NOT_FOUND', `no installed package delivers links under the mediator \`${mediator}\``, { hint: 'a package declares it on its link actions (`mediator:`)' });
    if (implementation !== null && !known.candidates.some((c) => c.implementation === implementation)) {
      throw new ZpkgError('E_NOT_FOUND', `the mediator \`${mediator}\` has no installed implementation \`${implementation}\``, { hint: `installed: ${known.candidates.map((c) => `${c.implementation} (${c.package}, priority ${c.priority})`).join(', ')}` });
    }
    const record = { ...readMediatorChoices(image.db) };
    if (implementation === null) delete record[mediator];
    else record[mediator] = implementation;
    return { command: options.command, land: [], remove: [], flags: [], mediators: { record } };
  });
  const choices = options.dryRun ? { ...readMediatorChoices(image.db), ...(implementation ? { [mediator]: implementation } : {}) } : readMediatorChoices(image.db);
  return { ...result, mediator, chosen: implementation, mediations: installedMediations(image, choices) };
}
