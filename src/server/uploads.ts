/**
 * What the depot accepts from a publisher, checked before anything is
 * written: a pack must hash to its name and every blob in it to its digest; a
 * record's manifest must hash to its name and validate, and its blob map fit
 * the manifest and point into packs the depot holds; a delta must rebuild
 * such a record from a record the depot holds; a catalog or file index must
 * hash to its name; and `root.json` must be valid root metadata of this
 * format, whose version grows and whose catalog and file index are stored.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { digestOf } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { decompressBounded } from '../repo/compress.js';
import { MAX_RECORD } from '../repo/content.js';
import { catalogPath, fileIndexPath, packPath, parseRepoPath, recordPath, ROOT_FILE } from '../repo/layout.js';
import { checkPackBytes } from '../repo/pack-check.js';
import { applyDelta, decodeRecord, type PackageRecord } from '../repo/record.js';
import { parseRootMetadata, requireCurrentFormat } from '../repo/root-metadata.js';

async function stored(dir: string, path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(join(dir, path));
  } catch {
    return undefined;
  }
}

/** The record's packs must be stored, at the sizes its map says. */
async function checkPacksHeld(dir: string, record: PackageRecord, where: string): Promise<void> {
  for (const p of record.map.packs) {
    const size = await stat(join(dir, packPath(p.digest))).then((s) => s.size, () => undefined);
    if (size !== p.size) throw new ZpkgError('E_REPO_INVALID', `${where}: its blob map names pack ${p.digest} (${p.size} bytes), which the depot ${size === undefined ? 'does not hold' : `holds with ${size} bytes`}`, { hint: 'upload the pack first' });
  }
}

export async function checkUpload(dir: string, path: string, body: Buffer): Promise<void> {
  const where = `upload ${path}`;
  if (path === ROOT_FILE) {
    const root = parseRootMetadata(body, 'uploaded root.json');
    requireCurrentFormat(root, 'uploaded root.json');
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
  if (/^keys\/[0-9]+\.json$/.test(path)) {
    parseRootMetadata(body, where);
    return;
  }
  const p = parseRepoPath(path);
  if (!p || p.kind.startsWith('legacy')) throw new ZpkgError('E_INPUT_INVALID', `\`${path}\` is not a path of a format 3 repository`);
  switch (p.kind) {
    case 'pack':
      checkPackBytes(body, p.digest, where);
      return;
    case 'record': {
      const record = decodeRecord(decompressBounded(body, MAX_RECORD, where), p.digest, where);
      return checkPacksHeld(dir, record, where);
    }
    case 'delta': {
      const base = await stored(dir, recordPath(p.from!));
      if (!base) throw new ZpkgError('E_REPO_INVALID', `${where}: the record it starts from (${p.from}) is not stored`, { hint: 'upload records before deltas' });
      const baseRaw = decompressBounded(base, MAX_RECORD, `${dir}/${recordPath(p.from!)}`);
      const record = decodeRecord(applyDelta(body, baseRaw, where), p.digest, where);
      return checkPacksHeld(dir, record, where);
    }
    default: {
      const actual = digestOf(body);
      if (actual !== p.digest) throw new ZpkgError('E_DIGEST_MISMATCH', `${where} hashes to ${actual}, not ${p.digest}`);
    }
  }
}
