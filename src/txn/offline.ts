/**
 * Fetch now, apply later (dnf `--downloadonly` / `--offline`, OSTree
 * `--pull-only` then `--stage`, apk `cache download`).
 *
 * `--download-only`: the command solves, fetches every manifest and blob its
 * transaction needs into the content cache, checks each fetched blob against
 * its digest (as staging would) and keeps it there — and changes nothing else
 * in the image: no path, no state row, no hook, no service.
 *
 * `--offline`: the same command later applies that transaction from the cache
 * alone. The image is marked offline (image.ts), so no remote reader can be
 * opened and no catalog refreshed; before anything is planned further, every
 * manifest and blob of the target is looked up in the cache and all that is
 * missing is named in one E_OFFLINE_MISSING — the image is not touched.
 */
import type { Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { cachedBlobs, readCachedManifest } from '../image/cache.js';
import type { Image } from '../image/image.js';
import { rmSync } from 'node:fs';
import type { Prepared } from './prepare.js';
import { promoteContent } from './stage.js';
import { stageBatch, type StageJob } from './stage-worker.js';
import type { Target } from './target.js';
import { counted } from '../report/table.js';

/** One thing an offline transaction needs that the cache lacks. */
export interface OfflineMissing {
  package: string;
  version: string;
  what: 'manifest' | 'blob';
  digest: string;
  /** The path (or `hook PHASE`) a missing blob is for. */
  path?: string;
}

/** What of the target's landings the cache lacks: manifests, then the blobs of cached manifests (files, and hooks unless a repair). */
export function missingOffline(image: Image, target: Target): OfflineMissing[] {
  const out: OfflineMissing[] = [];
  const blobs = cachedBlobs(image.paths.cache);
  for (const l of target.land) {
    const id = { package: l.name, version: l.version };
    if (!l.manifest) {
      out.push({ ...id, what: 'manifest', digest: '(a catalog-only repository offers no manifest)' });
      continue;
    }
    let manifest;
    try {
      manifest = readCachedManifest(image.paths.cache, l.manifest);
    } catch {
      manifest = undefined;
    }
    if (!manifest) {
      out.push({ ...id, what: 'manifest', digest: l.manifest });
      continue;
    }
    const seen = new Set<Digest>();
    const need = (digest: Digest, path: string): void => {
      if (seen.has(digest) || blobs.has(digest)) return;
      seen.add(digest);
      out.push({ ...id, what: 'blob', digest, path });
    };
    for (const a of manifest.actions) if (a.type === 'file' && (!l.repair || l.repair.paths.has(a.path))) need(a.digest, a.path);
    if (!l.repair) for (const [phase, h] of Object.entries(manifest.hooks ?? {})) need(h.digest, `hook ${phase}`);
  }
  return out;
}

/** Refuses an offline target the cache cannot fully serve, naming everything missing. */
export function requireCached(image: Image, target: Target): void {
  const missing = missingOffline(image, target);
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((m) => `${m.package} ${m.version}`))];
  const blobs = missing.filter((m) => m.what === 'blob').length;
  const manifests = missing.length - blobs;
  const parts = [manifests ? counted(manifests, 'manifest') : '', blobs ? counted(blobs, 'blob') : ''].filter(Boolean).join(' and ');
  throw new ZpkgError('E_OFFLINE_MISSING', `--offline: the image's cache lacks ${parts} of ${packages.join(', ')}`, {
    hint: 'run the same command with --download-only while the remotes are reachable, then again with --offline; nothing was changed',
    details: { missing },
  });
}

/**
 * Keeps what a `--download-only` prepare fetched: every blob read from the
 * packs fetch left under the cache's tmp/ is decoded and hashed (the staging
 * worker with no output file), then those packs are renamed into the cache.
 * A blob that does not check out deletes its pack and fails with
 * E_DIGEST_MISMATCH; nothing enters the cache from it.
 */
export function keepDownloads(prepared: Prepared): void {
  const plan = prepared.changeset.content;
  if (!plan) return;
  const fetched = new Set(plan.promote.map((p) => p.from));
  const jobs = new Map<string, StageJob>();
  for (const [digest, src] of plan.sources) {
    if (!fetched.has(src.file)) continue;
    const key = `${src.file}\0${src.frame.offset}`;
    let job = jobs.get(key);
    if (!job) jobs.set(key, (job = { file: src.file, frame: src.frame, blobs: [] }));
    job.blobs.push({ digest, offset: src.offset, size: src.size, outs: [] });
  }
  const ordered = [...jobs.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.frame.offset - b.frame.offset));
  for (const job of ordered) job.blobs.sort((a, b) => a.offset - b.offset);
  // No outs: nothing is written, so the batch needs no root or transaction.
  const answer = stageBatch({ jobs: ordered, chown: false, root: '', txid: '', trees: [] });
  if (answer.failure) {
    const job = ordered[answer.failure.job]!;
    for (const p of plan.promote) rmSync(p.from, { force: true });
    throw new ZpkgError('E_DIGEST_MISMATCH', `blob ${answer.failure.digest} fetched into ${job.file} does not check out (${answer.failure.kind}${'reason' in answer.failure && answer.failure.reason ? `: ${answer.failure.reason}` : ''})`, {
      hint: 'the repository is damaged; nothing was kept and nothing changed in the image',
      details: { digest: answer.failure.digest },
    });
  }
  promoteContent(plan);
}
