/**
 * What a catalogue is rendered from, read from any repository backend and
 * verified as a client would: the root metadata and which of its own keys
 * signed it, the catalog, the file index, every manifest (each checked
 * against its digest) and the key rotation records. A repository that cannot
 * be read this way is refused with the error that names what is wrong.
 */
import type { CatalogEntry } from '../core/catalog.js';
import type { Digest } from '../core/digest.js';
import type { Manifest } from '../core/manifest.js';
import type { RepoReader } from '../repo/backend.js';
import { readRecord } from '../repo/content.js';
import { rotationPath } from '../repo/layout.js';
import { MAX_ROOT_BYTES, parseSignedRoot, type RootMetadata } from '../repo/root-metadata.js';
import { readCatalog, readFileIndex, readSignedRoot, type FileIndex } from '../repo/snapshot.js';
import { validSigners } from '../repo/trust/verify.js';

export interface KeyRotation {
  generation: number;
  created: string;
  keys: string[];
  threshold: number;
}

export interface SiteInput {
  location: string;
  root: RootMetadata;
  /** Ids of the repository's own keys whose signatures over root.json verify. */
  validSigners: string[];
  /** Key ids that signed root.json (valid or not). */
  signatureKeys: string[];
  entries: CatalogEntry[];
  files: FileIndex;
  manifests: Map<Digest, Manifest>;
  rotations: KeyRotation[];
}

export interface LoadProgress {
  (phase: string, done: number, total: number): void;
}

const CONCURRENCY = 16;

export async function loadSiteInput(reader: RepoReader, onProgress?: LoadProgress): Promise<SiteInput> {
  const signed = await readSignedRoot(reader);
  const root = signed.signed;
  const entries = await readCatalog(reader, root);
  const files = await readFileIndex(reader, root);
  const digests = [...new Set(entries.map((e) => e.manifest).filter((d): d is Digest => d !== undefined))];
  const manifests = new Map<Digest, Manifest>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < digests.length) {
      const d = digests[next++]!;
      manifests.set(d, (await readRecord(reader, d, 'manifest')).manifest);
      onProgress?.('manifests', manifests.size, digests.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, digests.length) }, worker));
  const rotations: KeyRotation[] = [];
  for (let n = 2; n <= root.keyGeneration; n++) {
    const bytes = await reader.read(rotationPath(n), MAX_ROOT_BYTES);
    if (!bytes) continue;
    const r = parseSignedRoot(bytes, `${reader.location}/${rotationPath(n)}`).signed;
    rotations.push({ generation: n, created: r.created, keys: Object.keys(r.keys), threshold: r.threshold });
  }
  return {
    location: reader.location,
    root,
    validSigners: [...validSigners(signed, root.keys)],
    signatureKeys: [...new Set(signed.signatures.map((s) => s.keyid))],
    entries,
    files,
    manifests,
    rotations,
  };
}
