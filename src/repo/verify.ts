/**
 * `repo verify`: every digest of a repository checks out — the catalog and file
 * index against root metadata, each manifest against the catalog, each blob
 * (decompressed) against the manifests that name it.
 */
import { digestOf, type Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { decodeManifest } from '../core/manifest.js';
import type { RepoReader } from './backend.js';
import { decompress } from './compress.js';
import { blobPath, manifestPath, rotationPath } from './layout.js';
import { parseSignedRoot, type SignedRoot } from './root-metadata.js';
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
    const bytes = await reader.read(path);
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

export async function verifyRepo(reader: RepoReader, onBlob?: () => void): Promise<RepoVerifyResult> {
  const signedRoot = await readSignedRoot(reader);
  const root = signedRoot.signed;
  const entries = await readCatalog(reader, root);
  await readFileIndex(reader, root);
  const problems: RepoProblem[] = await signatureProblems(reader, signedRoot, new Date());
  const blobs = new Map<Digest, { size: number; by: string }>();
  let manifests = 0;
  for (const e of entries) {
    if (!e.manifest) continue;
    const path = manifestPath(e.manifest);
    const bytes = await reader.read(path);
    if (!bytes) {
      problems.push({ path, problem: `manifest of ${e.name} ${e.version} is missing` });
      continue;
    }
    try {
      const m = decodeManifest(bytes, e.manifest);
      if (m.name !== e.name || m.version !== e.version) problems.push({ path, problem: `manifest names ${m.name} ${m.version}, the catalog ${e.name} ${e.version}` });
      manifests += 1;
      for (const a of m.actions) if (a.type === 'file') blobs.set(a.digest, { size: a.size, by: `${e.name} ${e.version}: ${a.path}` });
      for (const [phase, h] of Object.entries(m.hooks ?? {})) blobs.set(h.digest, { size: h.size, by: `${e.name} ${e.version}: hook ${phase}` });
    } catch (err) {
      if (!(err instanceof ZpkgError)) throw err;
      problems.push({ path, problem: err.message });
    }
  }
  for (const [digest, { size, by }] of blobs) {
    const path = blobPath(digest);
    const stored = await reader.read(path);
    onBlob?.();
    if (!stored) {
      problems.push({ path, problem: `blob is missing (${by})` });
      continue;
    }
    let content: Buffer;
    try {
      content = decompress(stored);
    } catch (err) {
      problems.push({ path, problem: `blob does not decompress: ${(err as Error).message} (${by})` });
      continue;
    }
    const actual = digestOf(content);
    if (actual !== digest) problems.push({ path, problem: `blob content hashes to ${actual} (${by})` });
    else if (content.length !== size) problems.push({ path, problem: `blob is ${content.length} bytes, the manifest says ${size} (${by})` });
  }
  return { packages: entries.length, manifests, blobs: blobs.size, problems };
}
