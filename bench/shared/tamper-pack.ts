/**
 * What a compromised mirror could serve, made from a directory repository
 * (for the tamper tests and the install benchmark): the pack holding a blob
 * is rebuilt with that blob's content changed — valid zstd, a valid index,
 * saved under the new pack's own sha256 — and every record whose blob map
 * points into the old pack is rewritten to point into the new one. Only the
 * manifests are left as they were, so their digests no longer match the
 * content: what zpkg must catch.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Digest } from '../../src/core/digest.js';
import { decodeManifest } from '../../src/core/manifest.js';
import { readLocalPackIndex } from '../../src/image/cache-packs.js';
import { buildBlobMap, decodeBlobMap, encodeBlobMap, packageBlobs } from '../../src/repo/blob-map.js';
import { compress, decompress } from '../../src/repo/compress.js';
import { packPath, parseRepoPath } from '../../src/repo/layout.js';
import type { PackIndex } from '../../src/repo/pack-format.js';
import { PackWriter } from '../../src/repo/pack-writer.js';
import { compressRecord, encodeRecord, inflateRecord, recordManifestBytes } from '../../src/repo/record.js';

function walk(dir: string, out: string[] = [], rel = ''): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) walk(join(dir, e.name), out, `${rel}${e.name}/`);
    else out.push(`${rel}${e.name}`);
  }
  return out;
}

/** Writes a new file (a repository copied with hard links must not see the change through a shared inode). */
function replaceFile(path: string, bytes: Uint8Array): void {
  rmSync(path, { force: true });
  writeFileSync(path, bytes);
}

/** The pack of a directory repository that holds `digest`, with its index. */
export function packHolding(repo: string, digest: Digest): { path: string; digest: Digest; index: PackIndex } | undefined {
  for (const rel of walk(join(repo, 'packs'), [], 'packs/')) {
    const p = parseRepoPath(rel);
    if (p?.kind !== 'pack') continue;
    const index = readLocalPackIndex(join(repo, rel));
    if (index.blobs.some((b) => b.digest === digest)) return { path: join(repo, rel), digest: p.digest, index };
  }
  return undefined;
}

/** Rewrites `repo` so that blob `digest` holds `mutate(content)`; returns the new pack's path. */
export function tamperBlob(repo: string, digest: Digest, mutate: (content: Buffer) => Buffer): string {
  const old = packHolding(repo, digest);
  if (!old) throw new Error(`no pack of ${repo} holds ${digest}`);
  const bytes = readFileSync(old.path);
  const tmp = join(repo, `tampered-${process.pid}.pack`);
  const writer = new PackWriter(tmp);
  old.index.frames.forEach((f, i) => {
    const content = decompress(bytes.subarray(f.offset, f.offset + f.length));
    const inside = old.index.blobs.filter((b) => b.frame === i).sort((x, y) => x.offset - y.offset);
    const parts: Buffer[] = [];
    const placed: { digest: Digest; offset: number; size: number }[] = [];
    let at = 0;
    let size = 0;
    for (const b of inside) {
      if (b.offset > at) {
        parts.push(content.subarray(at, b.offset));
        size += b.offset - at;
      }
      const blob = content.subarray(b.offset, b.offset + b.size);
      const next = b.digest === digest ? mutate(Buffer.from(blob)) : blob;
      placed.push({ digest: b.digest, offset: size, size: next.length });
      parts.push(next);
      size += next.length;
      at = b.offset + b.size;
    }
    if (at < content.length) parts.push(content.subarray(at));
    const whole = Buffer.concat(parts);
    writer.addFrame(compress(whole), whole.length, placed);
  });
  const pack = writer.finish();
  const index = readLocalPackIndex(tmp);
  const dest = join(repo, packPath(pack.digest));
  rmSync(old.path);
  mkdirSync(dirname(dest), { recursive: true });
  replaceFile(dest, readFileSync(tmp));
  rmSync(tmp);
  // Every record pointing into the old pack now points into the new one.
  for (const rel of walk(join(repo, 'manifests'), [], 'manifests/')) {
    const p = parseRepoPath(rel);
    if (p?.kind !== 'record') continue;
    const raw = inflateRecord(readFileSync(join(repo, rel)), rel);
    const { manifestBytes, mapBytes } = recordManifestBytes(raw, p.digest, rel);
    const manifest = decodeManifest(manifestBytes, p.digest);
    const map = decodeBlobMap(mapBytes, manifest, rel);
    if (!map.packs.some((x) => x.digest === old.digest)) continue;
    const blobs = packageBlobs(manifest);
    const next = buildBlobMap(manifest, (d) => {
      const i = blobs.findIndex((b) => b.digest === d);
      const at = map.blobs[i]!;
      const f = map.frames[at.frame]!;
      if (map.packs[f.pack]!.digest !== old.digest) return { pack: map.packs[f.pack]!, frame: f, offset: at.offset };
      const e = index.blobs.find((b) => b.digest === d)!;
      return { pack: { digest: pack.digest, size: pack.size }, frame: index.frames[e.frame]!, offset: e.offset };
    });
    replaceFile(join(repo, rel), compressRecord(encodeRecord(manifestBytes, encodeBlobMap(next))));
  }
  rmSync(join(repo, 'deltas'), { recursive: true, force: true });
  return dest;
}

/** The single-blob compression of `content`, for tests that store a blob by hand. */
export function storedBlob(content: Buffer): Buffer {
  return compress(content);
}
