/** `repo archive`: a whole repository written into one archive file (archive-format.ts). */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { ZpkgError } from '../core/errors.js';
import { tempPathBeside } from '../fs/atomic.js';
import type { RepoReader } from './backend.js';
import { ARCHIVE_FORMAT, ARCHIVE_MAGIC, TRAILER_SIZE, type ArchiveIndex } from './archive-format.js';
import { checkStoredBlob } from './blob-check.js';
import { manifestBlobs } from './copy.js';
import { blobPath, catalogPath, fileIndexPath, manifestPath, ROOT_FILE } from './layout.js';
import { readSnapshot, readVerified } from './snapshot.js';
import { decodeManifest } from '../core/manifest.js';
import type { Digest } from '../core/digest.js';

export interface ArchiveResult {
  file: string;
  packages: number;
  files: number;
  bytes: number;
  repoVersion: number;
}

/**
 * Writes the repository's current state (root metadata, catalog, file index,
 * every manifest and blob they reach), each verified, to a temporary beside
 * `file`, then renames it into place: an interrupted archive leaves nothing.
 */
export async function archiveRepo(src: RepoReader, file: string, onFile?: (bytes: number) => void): Promise<ArchiveResult> {
  const snap = await readSnapshot(src);
  const tmp = tempPathBeside(file);
  const fd = openSync(tmp, 'w', 0o644);
  const files: ArchiveIndex['files'] = {};
  let offset = 0;
  const append = (bytes: Buffer): void => {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    offset += bytes.length;
  };
  const put = (path: string, bytes: Buffer): void => {
    files[path] = [offset, bytes.length];
    append(bytes);
    onFile?.(bytes.length);
  };
  try {
    append(ARCHIVE_MAGIC);
    const root = await src.read(ROOT_FILE);
    if (!root) throw new ZpkgError('E_REPO_INVALID', `${src.location}: root.json vanished while archiving`);
    put(ROOT_FILE, root);
    put(catalogPath(snap.root.catalog.digest), await readVerified(src, catalogPath(snap.root.catalog.digest), snap.root.catalog.digest, 'catalog'));
    if (snap.root.files) put(fileIndexPath(snap.root.files.digest), await readVerified(src, fileIndexPath(snap.root.files.digest), snap.root.files.digest, 'file index'));
    const blobs = new Set<Digest>();
    for (const e of snap.entries) {
      if (!e.manifest || files[manifestPath(e.manifest)]) continue;
      const bytes = await readVerified(src, manifestPath(e.manifest), e.manifest, 'manifest');
      put(manifestPath(e.manifest), bytes);
      for (const d of manifestBlobs(decodeManifest(bytes, e.manifest))) blobs.add(d);
    }
    for (const d of blobs) {
      const stored = await src.read(blobPath(d));
      if (!stored) throw new ZpkgError('E_BLOB_MISSING', `${src.location}: blob ${d} is missing; the archive was not written`);
      checkStoredBlob(stored, d, src.location);
      put(blobPath(d), stored);
    }
    const index = Buffer.from(JSON.stringify({ format: ARCHIVE_FORMAT, files } satisfies ArchiveIndex));
    const trailer = Buffer.alloc(TRAILER_SIZE);
    trailer.writeBigUInt64LE(BigInt(offset), 0);
    trailer.writeBigUInt64LE(BigInt(index.length), 8);
    ARCHIVE_MAGIC.copy(trailer, 16);
    append(index);
    append(trailer);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, file);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(tmp, { force: true });
    throw err;
  }
  return { file, packages: snap.entries.length, files: Object.keys(files).length, bytes: offset, repoVersion: snap.root.version };
}
