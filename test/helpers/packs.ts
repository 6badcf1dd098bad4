/**
 * Repositories made or damaged by hand, below the builder's checks: a
 * package published from a hand-written manifest, a record rewritten with
 * other manifest bytes or another blob map, a frame overwritten in place, a
 * repository of the previous format.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CatalogEntry } from '../../src/core/catalog.js';
import { digestOf, type Digest } from '../../src/core/digest.js';
import { decodeManifest, encodeManifest, type Manifest } from '../../src/core/manifest.js';
import { buildBlobMap, decodeBlobMap, encodeBlobMap, packageBlobs, type BlobMap } from '../../src/repo/blob-map.js';
import { entryFromManifest } from '../../src/repo/catalog-codec.js';
import { compress } from '../../src/repo/compress.js';
import { DirBackend } from '../../src/repo/dir-backend.js';
import { placesOf, readBlob, readRecord } from '../../src/repo/content.js';
import { legacyBlobPath, legacyManifestPath, packPath, recordPath } from '../../src/repo/layout.js';
import { openRepoReader } from '../../src/repo/open.js';
import { canonicalRootBytes, encodeSignedRoot } from '../../src/repo/root-metadata.js';
import { findBlob } from '../../src/repo/pack-format.js';
import { PackWriter } from '../../src/repo/pack-writer.js';
import { compressRecord, encodeRecord, inflateRecord, recordManifestBytes } from '../../src/repo/record.js';
import { commitSnapshot, readSnapshot } from '../../src/repo/snapshot.js';
import { readSigningKey } from '../../src/repo/trust/key-file.js';
import { signBytes } from '../../src/repo/trust/keys.js';
import { prepareRoot } from '../../src/repo/trust/sign.js';
import { packHolding } from '../../bench/shared/tamper-pack.js';
import { TEST_KEY } from './zpkg.js';

/**
 * Publishes a hand-made manifest (valid or not) with its blobs in a pack of
 * their own, bypassing the builder's checks; `entry` may change its catalog
 * entry (a catalog that disagrees with the manifest).
 */
export async function craft(repoDir: string, manifest: Record<string, unknown>, blobs: Buffer[], entry: (e: CatalogEntry) => CatalogEntry = (e) => e): Promise<Digest> {
  const repo = new DirBackend(repoDir);
  const snap = await readSnapshot(repo);
  const tmp = join(repoDir, `craft-${process.pid}.pack`);
  const w = new PackWriter(tmp);
  for (const b of blobs) w.addFrame(compress(b), b.length, [{ digest: digestOf(b), offset: 0, size: b.length }]);
  const pack = w.finish();
  await repo.writeFile(packPath(pack.digest), tmp);
  const m = manifest as unknown as Manifest;
  const { bytes, digest } = encodeManifest(m);
  const map = buildBlobMap(m, (d) => {
    const e = findBlob(pack.index, d)!;
    return { pack: { digest: pack.digest, size: pack.size }, frame: pack.index.frames[e.frame]!, offset: e.offset };
  });
  await repo.write(recordPath(digest), compressRecord(encodeRecord(bytes, encodeBlobMap(map))));
  const made = entry(entryFromManifest(m, digest, 0, 0));
  await commitSnapshot(repo, prepareRoot(repoDir, snap.root, { keys: [readSigningKey(TEST_KEY)] }), [...snap.entries, made], snap.files);
  return digest;
}

/** A record of `repo` as it is stored: its manifest bytes and blob map. */
export function readRecordParts(repo: string, digest: Digest): { manifestBytes: Buffer; manifest: Manifest; map: BlobMap } {
  const path = join(repo, recordPath(digest));
  const raw = inflateRecord(readFileSync(path), path);
  const { manifestBytes, mapBytes } = recordManifestBytes(raw, digest, path);
  const manifest = decodeManifest(manifestBytes, digest);
  return { manifestBytes, manifest, map: decodeBlobMap(mapBytes, manifest, path) };
}

/** Rewrites a record with other manifest bytes and/or another (encoded) blob map, keeping its name. */
export function rewriteRecord(repo: string, digest: Digest, change: { manifestBytes?: Buffer; mapBytes?: Buffer }): void {
  const parts = readRecordParts(repo, digest);
  const path = join(repo, recordPath(digest));
  rmSync(path);
  writeFileSync(path, compressRecord(encodeRecord(change.manifestBytes ?? parts.manifestBytes, change.mapBytes ?? encodeBlobMap(parts.map))));
}

/** Overwrites, in place, the stored bytes of the frame holding `digest` with `fill` (same length: every offset stays valid). */
export function garbleFrame(repo: string, digest: Digest, fill = 0x78): void {
  const pack = packHolding(repo, digest)!;
  const e = findBlob(pack.index, digest)!;
  const frame = pack.index.frames[e.frame]!;
  const bytes = readFileSync(pack.path);
  bytes.fill(fill, frame.offset, frame.offset + frame.length);
  rmSync(pack.path);
  writeFileSync(pack.path, bytes);
}

/** Removes the pack holding `digest`. */
export function removePack(repo: string, digest: Digest): void {
  rmSync(packHolding(repo, digest)!.path);
}

/**
 * Rewrites a format 3 repository as format 2 wrote it (README, "Repository
 * layout" before packs; `git show 3daa4e1:src/repo/layout.ts`): one zstd file
 * per blob under `blobs/<hh>/<hex>.zst`, plain manifests under
 * `manifests/<hh>/<hex>.json`, no packs, records or deltas, and root metadata
 * of format 2 signed again with the test key. The catalog and file index stay
 * (their encoding did not change between the formats).
 */
export async function toFormatTwo(repoDir: string): Promise<void> {
  const reader = openRepoReader(repoDir);
  const snap = await readSnapshot(reader);
  for (const e of snap.entries) {
    if (!e.manifest) continue;
    const record = await readRecord(reader, e.manifest, `${e.name} ${e.version}`);
    const { manifestBytes } = readRecordParts(repoDir, e.manifest);
    const places = placesOf(record);
    for (const b of packageBlobs(record.manifest)) {
      const path = join(repoDir, legacyBlobPath(b.digest));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, compress(await readBlob(reader, b.digest, places.get(b.digest)!, e.name)));
    }
    writeFileSync(join(repoDir, legacyManifestPath(e.manifest)), manifestBytes);
  }
  for (const e of snap.entries) if (e.manifest) rmSync(join(repoDir, recordPath(e.manifest)));
  rmSync(join(repoDir, 'packs'), { recursive: true, force: true });
  rmSync(join(repoDir, 'deltas'), { recursive: true, force: true });
  const signed = { ...snap.root, format: 2 };
  const key = readSigningKey(TEST_KEY);
  writeFileSync(join(repoDir, 'root.json'), encodeSignedRoot({ signed, signatures: [{ keyid: key.id, sig: signBytes(key, canonicalRootBytes(signed)) }] }));
}

/** What a call throws, as `CODE: message`, or `accepted` when it returns. */
export function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return `${(err as { code?: string }).code}: ${(err as Error).message}`;
  }
  return 'accepted';
}
