/**
 * `repo verify`: every digest of a repository checks out — the catalog and file
 * index against root metadata, each record's manifest against the catalog and
 * its blob map against the manifest, each pack against its name, and every
 * blob each pack holds (decompressed) against its digest; and every blob a
 * manifest names is where its blob map says.
 */
import { createHash } from 'node:crypto';
import type { Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import type { RepoReader } from './backend.js';
import type { PackRef } from './blob-map.js';
import { placesOf, readPackIndex, readRecord, readSpan } from './content.js';
import { bufferSource, FrameDecoder } from './frame-decoder.js';
import { checkFrame, type FrameBlobCheck } from './frame-check.js';
import { packPath, recordPath, rotationPath } from './layout.js';
import { findBlob, type FrameRef } from './pack-format.js';
import { MAX_ROOT_BYTES, parseSignedRoot, type SignedRoot } from './root-metadata.js';
import { readCatalog, readFileIndex, readSignedRoot } from './snapshot.js';
import { requireSignatures } from './trust/verify.js';

export interface RepoProblem {
  path: string;
  problem: string;
}

export interface RepoVerifyResult {
  packages: number;
  manifests: number;
  blobs: number;
  problems: RepoProblem[];
}

/**
 * The repository's own signatures: root.json signed by its threshold of its
 * keys and not expired, and each key rotation record signed by the keys before
 * it and by its own (what a client that trusted any earlier key set checks).
 */
async function signatureProblems(reader: RepoReader, root: SignedRoot, now: Date): Promise<RepoProblem[]> {
  const problems: RepoProblem[] = [];
  const s = root.signed;
  if (s.threshold === 0) return problems;
  const check = (path: string, r: SignedRoot, keys: SignedRoot['signed']['keys'], threshold: number, what: string): void => {
    try {
      requireSignatures(r, keys, threshold, what);
    } catch (err) {
      if (!(err instanceof ZpkgError)) throw err;
      problems.push({ path, problem: err.message });
    }
  };
  check('root.json', root, s.keys, s.threshold, 'root metadata');
  if (s.expires !== undefined && Date.parse(s.expires) <= now.getTime()) problems.push({ path: 'root.json', problem: `expired at ${s.expires}: re-sign it with \`zpkg repo sign\`` });
  let previous: SignedRoot | undefined;
  for (let n = 2; n <= s.keyGeneration; n++) {
    const path = rotationPath(n);
    const bytes = await reader.read(path, MAX_ROOT_BYTES);
    if (!bytes) {
      problems.push({ path, problem: `the key rotation to generation ${n} is missing: clients that trust older keys cannot follow it` });
      previous = undefined;
      continue;
    }
    const r = parseSignedRoot(bytes, `${reader.location} ${path}`);
    if (previous) check(path, r, previous.signed.keys, previous.signed.threshold, `the rotation to generation ${n}, by the keys before it,`);
    check(path, r, r.signed.keys, r.signed.threshold, `the rotation to generation ${n}, by its own keys,`);
    previous = r;
  }
  return problems;
}

/** The blobs each pack frame must hold, as the records' blob maps say. */
interface Expected {
  pack: PackRef;
  /** Map frame offset → the blobs placed in it (digest → offset in content, size, who needs it). */
  frames: Map<number, { frame: FrameRef; blobs: Map<Digest, { offset: number; size: number; by: string }> }>;
}

export async function verifyRepo(reader: RepoReader, onBlob?: () => void): Promise<RepoVerifyResult> {
  const signedRoot = await readSignedRoot(reader);
  const root = signedRoot.signed;
  const entries = await readCatalog(reader, root);
  await readFileIndex(reader, root);
  const problems: RepoProblem[] = await signatureProblems(reader, signedRoot, new Date());
  const packs = new Map<Digest, Expected>();
  const blobs = new Set<Digest>();
  let manifests = 0;
  for (const e of entries) {
    if (!e.manifest) continue;
    const path = recordPath(e.manifest);
    let record;
    try {
      record = await readRecord(reader, e.manifest, `${e.name} ${e.version}`);
    } catch (err) {
      if (!(err instanceof ZpkgError)) throw err;
      problems.push({ path, problem: err.code === 'E_MANIFEST_MISSING' ? `manifest of ${e.name} ${e.version} is missing` : err.message });
      continue;
    }
    const m = record.manifest;
    if (m.name !== e.name || m.version !== e.version) problems.push({ path, problem: `manifest names ${m.name} ${m.version}, the catalog ${e.name} ${e.version}` });
    manifests += 1;
    for (const [digest, place] of placesOf(record)) {
      blobs.add(digest);
      let p = packs.get(place.pack.digest);
      if (!p) packs.set(place.pack.digest, (p = { pack: place.pack, frames: new Map() }));
      let f = p.frames.get(place.frame.offset);
      if (!f) p.frames.set(place.frame.offset, (f = { frame: place.frame, blobs: new Map() }));
      f.blobs.set(digest, { offset: place.offset, size: place.size, by: `${e.name} ${e.version}` });
    }
  }
  const decoder = new FrameDecoder();
  for (const { pack, frames } of packs.values()) {
    const path = packPath(pack.digest);
    let index;
    try {
      index = await readPackIndex(reader, pack);
    } catch (err) {
      if (!(err instanceof ZpkgError)) throw err;
      problems.push({ path, problem: `${err.message} (needed by ${[...new Set([...frames.values()].flatMap((f) => [...f.blobs.values()].map((b) => b.by)))].join(', ')})` });
      continue;
    }
    // The pack is its name: every byte, frames and index, hashes to it.
    const hash = createHash('sha256');
    await reader.readRanges(path, [{ start: 0, length: pack.size }], (c) => void hash.update(c));
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== pack.digest) problems.push({ path, problem: `the pack hashes to ${actual}` });
    const byOffset = new Map(index.frames.map((f, i) => [f.offset, i]));
    for (const { frame, blobs: wanted } of frames.values()) {
      const i = byOffset.get(frame.offset);
      const own = i === undefined ? undefined : index.frames[i]!;
      if (!own || own.length !== frame.length || own.size !== frame.size) {
        problems.push({ path, problem: `the blob map of ${[...new Set([...wanted.values()].map((b) => b.by))].join(', ')} names a frame at ${frame.offset} the pack does not have` });
        continue;
      }
      for (const [digest, b] of wanted) {
        const listed = findBlob(index, digest);
        if (!listed || listed.frame !== i || listed.offset !== b.offset) problems.push({ path, problem: `blob ${digest} (${b.by}) is not where its blob map says` });
      }
    }
    // Every blob the pack holds is checked, through its own index.
    const inFrame = new Map<number, FrameBlobCheck[]>();
    for (const b of index.blobs) inFrame.set(b.frame, [...(inFrame.get(b.frame) ?? []), { digest: b.digest, offset: b.offset, size: b.size }]);
    for (const [i, list] of inFrame) {
      const frame = index.frames[i]!;
      const stored = await readSpan(reader, path, frame.offset, frame.length);
      const found = stored ? checkFrame(decoder, bufferSource(stored, frame.offset), frame, list) : { undecodable: 'it cannot be read', corrupt: [] };
      if (found.undecodable) problems.push({ path, problem: `frame ${i} (${frame.length} bytes at ${frame.offset}): ${found.undecodable}` });
      for (const c of found.corrupt) problems.push({ path, problem: `blob ${c.digest} content hashes to ${c.actual}` });
      for (let k = 0; k < list.length; k++) onBlob?.();
    }
  }
  return { packages: entries.length, manifests, blobs: blobs.size, problems };
}
