/**
 * `gc`: keeps the last few generations restorable and drops the rest — older
 * generations lose their package sets (rollback can no longer reach them), and
 * cached manifests and blobs that no kept generation needs are deleted.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Digest } from '../core/digest.js';
import type { Image } from '../image/image.js';
import { currentGeneration, listHistory } from '../image/state.js';
import type { Report } from '../report/report.js';
import { cachedBlobPath } from './fetch.js';
import { withImageLock } from './install.js';
import { cachedManifest } from './manifests.js';

export interface ImageGcResult {
  keptGenerations: number[];
  trimmedGenerations: number;
  removedBlobs: number;
  removedManifests: number;
  bytesFreed: number;
}

export async function gcImage(image: Image, keep: number, options: { report: Report; noWait?: boolean }): Promise<ImageGcResult> {
  return withImageLock(image, options, async () => {
    const gens = listHistory(image.db).filter((h) => h.packages);
    const kept = gens.slice(Math.max(0, gens.length - keep));
    const trimmed = gens.slice(0, Math.max(0, gens.length - keep));
    const manifests = new Set<Digest>();
    for (const p of currentGeneration(image.db)) manifests.add(p.manifest);
    for (const g of kept) for (const p of g.packages!) manifests.add(p.manifest);
    const blobs = new Set<string>();
    for (const digest of manifests) {
      const m = cachedManifest(image, digest);
      if (!m) continue;
      for (const a of m.actions) if (a.type === 'file') blobs.add(cachedBlobPath(image.paths.cache, a.digest));
      for (const h of Object.values(m.hooks ?? {})) blobs.add(cachedBlobPath(image.paths.cache, h.digest));
    }
    const result: ImageGcResult = { keptGenerations: kept.map((g) => g.id), trimmedGenerations: trimmed.length, removedBlobs: 0, removedManifests: 0, bytesFreed: 0 };
    const sweep = (dir: string, keepPath: (abs: string) => boolean, count: 'removedBlobs' | 'removedManifests'): void => {
      let entries: string[];
      try {
        entries = readdirSync(dir, { recursive: true }) as string[];
      } catch {
        return;
      }
      for (const rel of entries) {
        const abs = join(dir, rel);
        const st = statSync(abs);
        if (!st.isFile() || keepPath(abs)) continue;
        rmSync(abs, { force: true });
        result[count] += 1;
        result.bytesFreed += st.size;
      }
    };
    const keptManifestFiles = new Set([...manifests].map((d) => `${d.slice(7)}.json`));
    sweep(join(image.paths.cache, 'blobs'), (abs) => blobs.has(abs), 'removedBlobs');
    sweep(join(image.paths.cache, 'manifests'), (abs) => keptManifestFiles.has(abs.slice(abs.lastIndexOf('/') + 1)), 'removedManifests');
    const clear = image.db.prepare('UPDATE history SET packages = NULL WHERE id = ?');
    image.db.transaction(() => {
      for (const g of trimmed) clear.run(g.id);
    })();
    return result;
  });
}
