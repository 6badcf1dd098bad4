/**
 * `gc`: keeps the last few generations restorable and drops the rest — older
 * generations lose their package sets (rollback can no longer reach them), and
 * cached manifests and blobs that no kept generation needs are deleted.
 */
import type { Digest } from '../core/digest.js';
import { readCachedManifest, sweepCache } from '../image/cache.js';
import type { Image } from '../image/image.js';
import { currentGeneration, listGenerations, trimGenerations } from '../image/state.js';
import { withImageSession, type SessionOptions } from './session.js';

export interface ImageGcResult {
  /** Nothing was changed: the counts are what gc would remove (a compaction counts only the frames it would drop whole). */
  dryRun: boolean;
  keptGenerations: number[];
  trimmedGenerations: number;
  removedBlobs: number;
  removedManifests: number;
  /** Cached packs deleted (none of their blobs needed); a pack of which less than half is needed is compacted instead. */
  removedPacks: number;
  bytesFreed: number;
}

export async function gcImage(image: Image, keep: number, options: SessionOptions): Promise<ImageGcResult> {
  const dryRun = options.dryRun === true;
  return withImageSession(image, options, async () => {
    const gens = listGenerations(image.db);
    const kept = gens.slice(Math.max(0, gens.length - keep));
    const trimmed = gens.slice(0, Math.max(0, gens.length - keep));
    const manifests = new Set<Digest>();
    for (const p of currentGeneration(image.db)) manifests.add(p.manifest);
    for (const g of kept) for (const p of g.packages) manifests.add(p.manifest);
    const blobs = new Set<Digest>();
    for (const digest of manifests) {
      let m;
      try {
        m = readCachedManifest(image.paths.cache, digest);
      } catch {
        // A damaged manifest names nothing to keep; its file stays for fix to replace.
        continue;
      }
      if (!m) continue;
      for (const a of m.actions) if (a.type === 'file') blobs.add(a.digest);
      for (const h of Object.values(m.hooks ?? {})) blobs.add(h.digest);
    }
    const swept = sweepCache(image.paths.cache, manifests, blobs, dryRun);
    if (!dryRun) trimGenerations(image.db, trimmed.map((g) => g.id));
    return { dryRun, keptGenerations: kept.map((g) => g.id), trimmedGenerations: trimmed.length, ...swept };
  });
}
