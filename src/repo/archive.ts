/** `repo archive`: a whole repository written into one archive file (archive-format.ts). */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { ZpkgError } from '../core/errors.js';
import { tempPathBeside } from '../fs/atomic.js';
import type { RepoReader } from './backend.js';
import { ARCHIVE_FORMAT, ARCHIVE_MAGIC, TRAILER_SIZE, type ArchiveIndex } from './archive-format.js';
import { createHash } from 'node:crypto';
import type { PackRef } from './blob-map.js';
import { readRecord } from './content.js';
import { catalogPath, fileIndexPath, packPath, recordPath, ROOT_FILE } from './layout.js';
import { MAX_ROOT_BYTES } from './root-metadata.js';
import { compressRecord } from './record.js';
import { readSnapshot, readVerified } from './snapshot.js';
import type { Digest } from '../core/digest.js';
import { prepareRoot, signRoot, type Signer } from './trust/sign.js';

export interface ArchiveResult {
  file: string;
  packages: number;
  files: number;
  bytes: number;
  /** The version of the root metadata in the archive (the source's, or the next one when re-signed). */
  repoVersion: number;
  /** When the archive's root metadata expires (null: an unsigned repository, which never does). */
  expires: string | null;
  /** The archive holds its own copy of the root metadata, re-signed with `--expires`. */
  resigned: boolean;
}

export interface ArchiveOptions {
  onFile?: (bytes: number) => void;
  /**
   * Re-sign the archive's copy of the root metadata with the repository's
   * keys and this signer's expiry (`repo archive --expires`), so offline
   * media outlive the source's 30 days. The copy is the next root version,
   * same content; the source repository is not changed.
   */
  resign?: Signer;
}

/**
 * Writes the repository's current state (root metadata, catalog, file index,
 * every record and every pack they reach), each verified, to a temporary
 * beside `file`, then renames it into place: an interrupted archive leaves
 * nothing. Deltas are left out: an archive is read in place, whole.
 */
export async function archiveRepo(src: RepoReader, file: string, options: ArchiveOptions = {}): Promise<ArchiveResult> {
  const { onFile } = options;
  const snap = await readSnapshot(src);
  // Checked before a byte is written: the signer must hold the repository's threshold of keys.
  const draft = options.resign ? prepareRoot(src.location, snap.root, options.resign) : undefined;
  if (draft && draft.keySet.threshold === 0) {
    throw new ZpkgError('E_KEY_REQUIRED', `${src.location} is an unsigned repository: its root metadata never expires, so --expires has nothing to sign`, {
      hint: `make it signed with \`zpkg repo rotate ${src.location} --new-key KEY\``,
    });
  }
  const signed = draft ? signRoot(draft, { catalog: snap.root.catalog, ...(snap.root.files ? { files: snap.root.files } : {}) }) : undefined;
  const tmp = tempPathBeside(file);
  const fd = openSync(tmp, 'w', 0o644);
  const files: ArchiveIndex['files'] = {};
  let offset = 0;
  const append = (bytes: Uint8Array): void => {
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
    const root = signed?.bytes ?? (await src.read(ROOT_FILE, MAX_ROOT_BYTES));
    if (!root) throw new ZpkgError('E_REPO_INVALID', `${src.location}: root.json vanished while archiving`);
    put(ROOT_FILE, root);
    put(catalogPath(snap.root.catalog.digest), await readVerified(src, catalogPath(snap.root.catalog.digest), snap.root.catalog, 'catalog'));
    if (snap.root.files) put(fileIndexPath(snap.root.files.digest), await readVerified(src, fileIndexPath(snap.root.files.digest), snap.root.files, 'file index'));
    const packs = new Map<Digest, PackRef>();
    for (const e of snap.entries) {
      if (!e.manifest || files[recordPath(e.manifest)]) continue;
      const record = await readRecord(src, e.manifest, `${e.name} ${e.version}`);
      put(recordPath(e.manifest), compressRecord(record.raw));
      for (const p of record.map.packs) packs.set(p.digest, p);
    }
    // A pack is copied whole and must hash to its name: the bytes an image reads from the archive are the publisher's.
    for (const pack of packs.values()) {
      const path = packPath(pack.digest);
      const at = offset;
      const hash = createHash('sha256');
      const found = await src.readRanges(path, [{ start: 0, length: pack.size }], (chunk) => {
        hash.update(chunk);
        append(chunk);
      });
      if (!found) throw new ZpkgError('E_BLOB_MISSING', `${src.location}: pack ${pack.digest} is missing; the archive was not written`);
      const actual = `sha256:${hash.digest('hex')}`;
      if (actual !== pack.digest) throw new ZpkgError('E_DIGEST_MISMATCH', `${src.location}: pack ${path} hashes to ${actual}; the archive was not written`);
      files[path] = [at, pack.size];
      onFile?.(pack.size);
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
  const archived = signed?.root ?? snap.root;
  return { file, packages: snap.entries.length, files: Object.keys(files).length, bytes: offset, repoVersion: archived.version, expires: archived.expires ?? null, resigned: signed !== undefined };
}
