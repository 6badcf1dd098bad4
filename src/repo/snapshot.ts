/**
 * Reading and committing the whole published state of a repository: root
 * metadata, catalog and file index. Every content-addressed file is verified
 * against the digest that names it before it is parsed.
 */
import type { Candidate, CatalogEntry } from '../core/catalog.js';
import { digestOf, type Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { checkShape, own, v } from '../core/shape.js';
import type { RepoReader, RepoWriter } from './backend.js';
import { decodeCatalog, decodeCatalogTable, encodeCatalog } from './catalog-codec.js';
import { compress, decompressBounded } from './compress.js';
import { DEFAULT_LIMITS } from './limits.js';
import { catalogPath, fileIndexPath, notARepository, ROOT_FILE, rotationPath } from './layout.js';
import { MAX_ROOT_BYTES, parseSignedRoot, requireCurrentFormat, type ContentRef, type RootMetadata, type SignedRoot } from './root-metadata.js';
import { signRoot, type RootDraft } from './trust/sign.js';

/** `name@version` → image paths the package delivers. */
export type FileIndex = Map<string, string[]>;

/** The root metadata as stored, its shape checked; signatures are checked by the client (trust/accept.ts). */
export async function readSignedRoot(reader: RepoReader): Promise<SignedRoot> {
  const bytes = await reader.read(ROOT_FILE, MAX_ROOT_BYTES);
  if (!bytes) throw notARepository(reader.location);
  const root = parseSignedRoot(bytes, reader.location);
  requireCurrentFormat(root.signed, reader.location);
  return root;
}

export async function readRoot(reader: RepoReader): Promise<RootMetadata> {
  return (await readSignedRoot(reader)).signed;
}

/** Reads a content-addressed file and checks it hashes to `digest`. */
/** A file named by its digest, of the size the signed root metadata declares (more is not read). */
export async function readVerified(reader: RepoReader, path: string, ref: ContentRef, what: string): Promise<Buffer> {
  const { digest, size } = ref;
  const bytes = await reader.read(path, size);
  if (!bytes) throw new ZpkgError('E_REPO_INVALID', `${reader.location}: the ${what} ${digest} is missing (${path})`);
  const actual = digestOf(bytes);
  if (actual !== digest) {
    throw new ZpkgError('E_DIGEST_MISMATCH', `${reader.location}: the ${what} ${path} is corrupt: it hashes to ${actual}, not ${digest}`);
  }
  return bytes;
}

export async function readCatalogBytes(reader: RepoReader, root: RootMetadata): Promise<Buffer> {
  return readVerified(reader, catalogPath(root.catalog.digest), root.catalog, 'catalog');
}

export async function readCatalog(reader: RepoReader, root: RootMetadata): Promise<CatalogEntry[]> {
  return decodeCatalog(await readCatalogBytes(reader, root), reader.location);
}

/** The catalog as the candidates one remote offers (`remote`, default the repository's location): rows of its table, made once, never copied. */
export async function readCandidates(reader: RepoReader, root: RootMetadata, remote = reader.location, priority = 0): Promise<Candidate[]> {
  return decodeCatalogTable(await readCatalogBytes(reader, root), reader.location).views(remote, priority);
}

/**
 * The file index's shape: `{packages: {<name>: [path, …]}}`, own keys only. The
 * per-package lists are checked on the own-key copy, not with valibot's record,
 * which skips a package named `constructor` or `__proto__` without a word.
 */
const FILE_LIST = v.array(v.string());
const FILE_INDEX = own(
  v.object({
    packages: own(
      v.pipe(
        v.custom<Record<string, unknown>>(() => true),
        v.check((packages) => Object.values(packages).every((files) => v.is(FILE_LIST, files)), 'each package must list its files as strings'),
      ),
      'packages must be an object of package → files',
    ),
  }),
  'not an object',
);

/** The file index; it may decompress to at most `maxBytes` (limits.ts). */
export function decodeFileIndex(stored: Uint8Array, location: string, maxBytes: number = DEFAULT_LIMITS.fileIndexBytes): FileIndex {
  const raw = decompressBounded(stored, maxBytes, `${location}: the file index`);
  let doc: unknown;
  try {
    doc = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new ZpkgError('E_REPO_INVALID', `${location}: the file index cannot be read: ${(err as Error).message}`);
  }
  const { packages } = checkShape(FILE_INDEX, doc, 'E_REPO_INVALID', `${location}: the file index`);
  return new Map(Object.entries(packages as Record<string, string[]>));
}

export async function readFileIndex(reader: RepoReader, root: RootMetadata): Promise<FileIndex> {
  if (!root.files) return new Map();
  return decodeFileIndex(await readVerified(reader, fileIndexPath(root.files.digest), root.files, 'file index'), reader.location);
}

export interface Snapshot {
  root: RootMetadata;
  entries: CatalogEntry[];
  files: FileIndex;
}

export async function readSnapshot(reader: RepoReader): Promise<Snapshot> {
  const root = await readRoot(reader);
  return { root, entries: await readCatalog(reader, root), files: await readFileIndex(reader, root) };
}

/**
 * Publishes a new state: the catalog and file index first (content-addressed,
 * invisible until named), a syncfs, then the signed `root.json` by atomic
 * rename. `draft` (trust/sign.ts prepareRoot) was checked before anything was
 * written, so a publisher without the keys has changed nothing.
 */
export async function commitSnapshot(writer: RepoWriter, draft: RootDraft, entries: readonly CatalogEntry[], files: FileIndex): Promise<RootMetadata> {
  const catalog = encodeCatalog(entries);
  const catalogDigest = digestOf(catalog);
  await writer.write(catalogPath(catalogDigest), catalog);
  const index = compress(Buffer.from(JSON.stringify({ format: 1, packages: Object.fromEntries([...files].sort()) })), 9);
  const indexDigest = digestOf(index);
  await writer.write(fileIndexPath(indexDigest), index);
  await writer.sync();
  return commitRoot(writer, draft, {
    catalog: { digest: catalogDigest, size: catalog.length, packages: entries.length },
    files: { digest: indexDigest, size: index.length },
  });
}

/** Signs and writes root metadata naming content already durable; a key rotation is also kept as `keys/<n>.json`. */
export async function commitRoot(writer: RepoWriter, draft: RootDraft, content: Pick<RootMetadata, 'catalog' | 'files'>): Promise<RootMetadata> {
  const { root, bytes } = signRoot(draft, content);
  if (draft.rotates) await writer.write(rotationPath(root.keyGeneration), bytes, { durable: true });
  await writer.write(ROOT_FILE, bytes, { durable: true });
  return root;
}
