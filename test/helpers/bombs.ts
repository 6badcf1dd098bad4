/**
 * Decompression bombs and lying sizes for the hostile corpus (issue 16 §3):
 * packs whose frames declare less than they hold, catalogs and file indexes
 * that expand past a limit, root metadata whose counts disagree with its
 * catalog. Everything is signed with the test key, so only the content lies.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { digestOf, type Digest } from '../../src/core/digest.js';
import { encodeManifest, type Manifest } from '../../src/core/manifest.js';
import { buildBlobMap, encodeBlobMap } from '../../src/repo/blob-map.js';
import { entryFromManifest } from '../../src/repo/catalog-codec.js';
import { DirBackend } from '../../src/repo/dir-backend.js';
import { catalogPath, fileIndexPath, packPath, recordPath } from '../../src/repo/layout.js';
import { findBlob } from '../../src/repo/pack-format.js';
import { PackWriter } from '../../src/repo/pack-writer.js';
import { compressRecord, encodeRecord } from '../../src/repo/record.js';
import type { RootMetadata } from '../../src/repo/root-metadata.js';
import { commitRoot, commitSnapshot, readRoot, readSnapshot } from '../../src/repo/snapshot.js';
import { readSigningKey } from '../../src/repo/trust/key-file.js';
import { prepareRoot } from '../../src/repo/trust/sign.js';
import { TEST_KEY } from './zpkg.js';

/** `n` zero bytes as one zstd frame, made by the zstd tool from a stream (so its header declares no size): a few KB for hundreds of MiB. */
export function zstdZeros(n: number): Buffer {
  const r = spawnSync('/bin/sh', ['-c', `head -c ${n} /dev/zero | zstd -q -1 -c`], { maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr}`);
  return r.stdout;
}

/** A frame of a pack as stored: its bytes, the content size the index declares, and the blobs it says it holds. */
export interface CraftedFrame {
  stored: Buffer;
  size: number;
  blobs: { digest: Digest; offset: number; size: number }[];
}

/** Publishes a hand-made manifest whose pack holds exactly the frames given, true or not. */
export async function craftFrames(repoDir: string, manifest: Record<string, unknown>, frames: CraftedFrame[]): Promise<Digest> {
  const repo = new DirBackend(repoDir);
  const snap = await readSnapshot(repo);
  const tmp = join(repoDir, `craft-${process.pid}.pack`);
  const w = new PackWriter(tmp);
  for (const f of frames) w.addFrame(f.stored, f.size, f.blobs);
  const pack = w.finish();
  await repo.writeFile(packPath(pack.digest), tmp);
  const m = manifest as unknown as Manifest;
  const { bytes, digest } = encodeManifest(m);
  const map = buildBlobMap(m, (d) => {
    const e = findBlob(pack.index, d)!;
    return { pack: { digest: pack.digest, size: pack.size }, frame: pack.index.frames[e.frame]!, offset: e.offset };
  });
  await repo.write(recordPath(digest), compressRecord(encodeRecord(bytes, encodeBlobMap(map))));
  await commitSnapshot(repo, draft(repoDir, snap.root), [...snap.entries, entryFromManifest(m, digest, 0, 0)], snap.files);
  return digest;
}

const draft = (repoDir: string, previous: RootMetadata) => prepareRoot(repoDir, previous, { keys: [readSigningKey(TEST_KEY)] });

/**
 * Publishes `stored` as the repository's catalog (and `files` as its file
 * index), with root metadata declaring `packages` versions — whatever the
 * catalog holds. Returns the catalog's digest.
 */
export async function publishCatalogBytes(repoDir: string, stored: Buffer, packages: number, files?: Buffer): Promise<Digest> {
  const repo = new DirBackend(repoDir);
  // Only the root metadata is read: the catalog in place may be a hostile one already.
  const root = await readRoot(repo);
  const digest = digestOf(stored);
  await repo.write(catalogPath(digest), stored);
  let filesRef = root.files;
  if (files) {
    await repo.write(fileIndexPath(digestOf(files)), files);
    filesRef = { digest: digestOf(files), size: files.length };
  }
  await commitRoot(repo, draft(repoDir, root), { catalog: { digest, size: stored.length, packages }, ...(filesRef ? { files: filesRef } : {}) });
  return digest;
}

/** Runs `argv` under GNU time and returns its exit status, output and peak resident memory in KiB. */
export function peakRss(argv: string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; stdout: string; stderr: string; maxKiB: number } {
  const r = spawnSync('/usr/bin/time', ['-f', 'zpkg-peak-rss %M', ...argv], { encoding: 'utf8', env, maxBuffer: 64 << 20, timeout: 600_000 });
  const m = /zpkg-peak-rss (\d+)/.exec(r.stderr);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, maxKiB: m ? Number(m[1]) : Number.NaN };
}
