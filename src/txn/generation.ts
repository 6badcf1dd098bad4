/**
 * Generations as targets: the package set a committed transaction left, and
 * the target that makes the image hold it again (what is installed with the
 * same manifest stays). Used by `rollback` and by the automatic rollback of a
 * transaction whose post-phase failed.
 */
import { ZpkgError } from '../core/errors.js';
import type { Image } from '../image/image.js';
import { listHistory, listPackages, type GenerationPackage } from '../image/state.js';
import type { Landing, Target } from './target.js';

export interface Generation {
  id: number;
  packages: GenerationPackage[];
}

/** Generation `n`, or by default the one before the current. */
export function findGeneration(image: Image, n?: number): Generation {
  if (n === 0) return { id: 0, packages: [] };
  const all = listHistory(image.db);
  const known = (): string => `known: 0 (the empty image)${all.filter((h) => h.packages).map((h) => `, ${h.id}`).join('')}`;
  if (n === undefined) {
    if (all.length === 0) throw new ZpkgError('E_GENERATION_UNKNOWN', 'the image has no earlier generation to roll back to', { hint: 'nothing was ever installed into it' });
    const previous = all[all.length - 2];
    if (!previous) return { id: 0, packages: [] };
    if (!previous.packages) throw new ZpkgError('E_GENERATION_UNKNOWN', `the previous generation ${previous.id} was trimmed by gc`, { hint: known() });
    return { id: previous.id, packages: previous.packages };
  }
  const row = all.find((h) => h.id === n);
  if (!row?.packages) {
    throw new ZpkgError('E_GENERATION_UNKNOWN', `generation ${n} ${row ? 'was trimmed by gc' : 'does not exist'}`, { hint: known() });
  }
  return { id: row.id, packages: row.packages };
}

/** The target that makes the image hold a generation's set again: what is installed with the same manifest stays. */
export function generationTarget(image: Image, generation: Generation, command: string): Target {
  const installed = new Map(listPackages(image.db).map((p) => [p.name, p]));
  const land: Landing[] = [];
  for (const p of generation.packages) {
    const have = installed.get(p.name);
    if (have && have.version === p.version && have.manifest === p.manifest) continue;
    land.push({ ...p, ...(have ? { from: have } : {}) });
  }
  const wanted = new Set(generation.packages.map((p) => p.name));
  return {
    command,
    land,
    remove: [...installed.values()].filter((p) => !wanted.has(p.name)),
    flags: generation.packages.map((p) => ({ name: p.name, requested: p.requested })),
  };
}
