/**
 * Where an exported package comes from: a repository (published) or an image
 * (installed). Either way the manifest is checked against its digest and
 * every blob's content against the digest its manifest names before a byte of
 * it becomes a block; owner and group names become ids through the image's
 * account files (plus the accounts the package itself declares with ids), as
 * installing the package there would.
 */
import { existsSync, lstatSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { CatalogEntry } from '../core/catalog.js';
import { digestOf, type Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import type { Manifest } from '../core/manifest.js';
import { readBounded } from '../fs/in-root.js';
import { compareVersions } from '../core/version.js';
import { imageIds, type Ids } from '../image/accounts.js';
import { cachedBlobs, readCachedManifest } from '../image/cache.js';
import { readCachedBlob } from '../image/cache-packs.js';
import { openImage } from '../image/image.js';
import { getPackage } from '../image/state.js';
import { placesOf, readBlob, readRecord } from '../repo/content.js';
import { openRepoReader } from '../repo/open.js';
import { readCatalog, readRoot } from '../repo/snapshot.js';

export interface PackageSource {
  manifest: Manifest;
  digest: Digest;
  /** Where it was read from, for messages. */
  origin: string;
  ids: Ids;
  /** A blob's content, verified against its digest. */
  content(digest: Digest): Promise<Buffer>;
  close(): Promise<void>;
}

/** `NAME` or `NAME=VERSION`. */
export function parsePackageSpec(spec: string): { name: string; version?: string } {
  const m = /^([^=@\s]+)(?:[=@](\S+))?$/.exec(spec.trim());
  if (!m) throw new ZpkgError('E_INPUT_INVALID', `\`${spec}\` names no package: write NAME or NAME=VERSION`);
  return { name: m[1]!, ...(m[2] !== undefined ? { version: m[2] } : {}) };
}

function idsFor(manifest: Manifest, root: string): Ids {
  const groups: { name: string; gid: number }[] = [];
  const users: { name: string; uid: number }[] = [];
  for (const a of manifest.actions) {
    if (a.type === 'group' && a.gid !== undefined) groups.push({ name: a.name, gid: a.gid });
    if (a.type === 'user' && a.uid !== undefined) users.push({ name: a.name, uid: a.uid });
  }
  return imageIds(root, { groups, users });
}

function checked(content: Buffer, digest: Digest, what: string): Buffer {
  const actual = digestOf(content);
  if (actual !== digest) throw new ZpkgError('E_DIGEST_MISMATCH', `${what}: the content hashes to ${actual}, not ${digest}`);
  return content;
}

/** A package of the repository at `url`: the version asked for, else its newest. `root` is the image whose accounts give ids. */
export async function publishedPackage(url: string, spec: string, root: string): Promise<PackageSource> {
  const { name, version } = parsePackageSpec(spec);
  const reader = openRepoReader(url);
  try {
    const entries = (await readCatalog(reader, await readRoot(reader))).filter((e) => e.name === name);
    if (entries.length === 0) throw new ZpkgError('E_PACKAGE_UNKNOWN', `${url} has no package \`${name}\``);
    let entry: CatalogEntry | undefined;
    if (version === undefined) entry = entries.reduce((a, b) => (compareVersions(b.version, a.version) > 0 ? b : a));
    else entry = entries.find((e) => compareVersions(e.version, version) === 0);
    if (!entry) throw new ZpkgError('E_VERSION_UNKNOWN', `${url} has no ${name} ${version}`, { hint: `available: ${entries.map((e) => e.version).join(', ')}` });
    if (entry.manifest === undefined) throw new ZpkgError('E_MANIFEST_MISSING', `${url}: ${name} ${entry.version} has no manifest (a catalog-only repository)`);
    const digest = entry.manifest;
    // The record is the manifest (checked against its digest) and where each blob lies in the repository's packs.
    const record = await readRecord(reader, digest, `${name} ${entry.version}`);
    const manifest = record.manifest;
    const places = placesOf(record);
    return {
      manifest,
      digest,
      origin: url,
      ids: idsFor(manifest, root),
      async content(d: Digest): Promise<Buffer> {
        const place = places.get(d);
        if (place === undefined) throw new ZpkgError('E_BLOB_MISSING', `${url}: blob ${d} is not one of ${name} ${manifest.version}'s`);
        return readBlob(reader, d, place, `${name} ${manifest.version}`);
      },
      close: async () => reader.close?.(),
    };
  } catch (err) {
    await reader.close?.();
    throw err;
  }
}

/** A package installed in the image at `root`: its files as installed when they still match, else the image's cached blobs. */
export function installedPackage(root: string, spec: string): PackageSource {
  const { name, version } = parsePackageSpec(spec);
  const image = openImage(root);
  try {
    const row = getPackage(image.db, name);
    if (!row) throw new ZpkgError('E_NOT_INSTALLED', `${name} is not installed in ${image.paths.root}`, { hint: 'to export a published package, name its repository with --repo' });
    if (version !== undefined && compareVersions(row.version, version) !== 0) {
      throw new ZpkgError('E_VERSION_UNKNOWN', `${name} ${version} is not installed in ${image.paths.root} (${row.version} is)`);
    }
    const manifest = readCachedManifest(image.paths.cache, row.manifest);
    if (!manifest) throw new ZpkgError('E_MANIFEST_MISSING', `the manifest of ${name} ${row.version} is not in the image's cache`, { hint: `\`zpkg --root ${root} fix ${name}\` fetches it again` });
    const paths = new Map<Digest, string[]>();
    const sizes = new Map<Digest, number>();
    for (const a of manifest.actions) {
      if (a.type !== 'file') continue;
      paths.set(a.digest, [...(paths.get(a.digest) ?? []), a.path]);
      sizes.set(a.digest, a.size);
    }
    const cache = image.paths.cache;
    // What the export may ask the cache for: the files' blobs and the hooks'.
    const wanted = new Set<Digest>([...paths.keys(), ...Object.values(manifest.hooks ?? {}).map((r) => r!.digest)]);
    let inCache: ReturnType<typeof cachedBlobs> | undefined;
    const imageRoot = image.paths.root;
    const realRoot = realpathSync(imageRoot);
    /** The installed file at an image path, unless it is not a regular file or lies outside the image (a parent symlink leading out). */
    const installedFile = (p: string): string | undefined => {
      const abs = join(imageRoot, p);
      if (!existsSync(abs) || !lstatSync(abs).isFile()) return undefined;
      const real = realpathSync(abs);
      return real.startsWith(`${realRoot}/`) ? real : undefined;
    };
    return {
      manifest,
      digest: row.manifest,
      origin: `${name} ${row.version} installed in ${imageRoot}`,
      ids: idsFor(manifest, imageRoot),
      async content(d: Digest): Promise<Buffer> {
        for (const p of paths.get(d) ?? []) {
          const file = installedFile(p);
          if (file === undefined) continue;
          let data: Buffer | undefined;
          try {
            // At most the manifest's size (a file that grew is refused), and a link swapped in is not followed.
            data = readBounded(file, { maxBytes: sizes.get(d)!, noFollow: true });
          } catch {
            continue;
          }
          if (data !== undefined && digestOf(data) === d) return data;
        }
        const cached = (wanted.has(d) ? (inCache ??= cachedBlobs(cache, wanted)) : cachedBlobs(cache, new Set([d]))).get(d);
        if (cached !== undefined) return checked(readCachedBlob(cached), d, `the image's cached blob in ${cached.file}`);
        throw new ZpkgError('E_BLOB_MISSING', `blob ${d} of ${name} ${row.version}: no installed file holds it any more and the image's cache lacks it`, { hint: `\`zpkg --root ${root} fix ${name}\` restores it` });
      },
      close: async () => undefined,
    };
  } finally {
    image.close();
  }
}
