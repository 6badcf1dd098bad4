/**
 * What the depot accepts from a publisher, checked before anything is
 * written: a content-addressed file must hash to the digest its path names
 * (blobs: their decompressed content; manifests must also be valid
 * manifests), and `root.json` must be valid root metadata whose version grows
 * and whose catalog and file index are already stored with those digests.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digestOf } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { decodeManifest } from '../core/manifest.js';
import { checkStoredBlob } from '../repo/blob-check.js';
import { catalogPath, digestFromPath, fileIndexPath, ROOT_FILE } from '../repo/layout.js';
import { parseRootMetadata } from '../repo/root-metadata.js';

async function stored(dir: string, path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(join(dir, path));
  } catch {
    return undefined;
  }
}

export async function checkUpload(dir: string, path: string, body: Buffer): Promise<void> {
  if (path === ROOT_FILE) {
    const root = parseRootMetadata(body, 'uploaded root.json');
    const current = await stored(dir, ROOT_FILE);
    if (current) {
      const old = parseRootMetadata(current, dir);
      if (root.version <= old.version) {
        throw new ZpkgError('E_REPO_INVALID', `uploaded root.json has version ${root.version}, not above the depot's ${old.version}`, { hint: 'another publish went first: publish again' });
      }
    }
    for (const [p, d] of [[catalogPath(root.catalog.digest), root.catalog.digest], ...(root.files ? [[fileIndexPath(root.files.digest), root.files.digest]] : [])] as const) {
      const bytes = await stored(dir, p);
      if (!bytes || digestOf(bytes) !== d) throw new ZpkgError('E_REPO_INVALID', `uploaded root.json names ${p}, which the depot does not hold`, { hint: 'upload the catalog and file index first' });
    }
    return;
  }
  const digest = digestFromPath(path)!;
  if (path.startsWith('blobs/')) return checkStoredBlob(body, digest, `upload ${path}`);
  const actual = digestOf(body);
  if (actual !== digest) throw new ZpkgError('E_DIGEST_MISMATCH', `upload ${path} hashes to ${actual}, not ${digest}`);
  if (path.startsWith('manifests/')) decodeManifest(body, digest);
}
