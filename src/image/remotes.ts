/**
 * Remotes: repositories an image installs from. Each has a name, a URL and a
 * priority; `refresh` keeps a verified copy of its root metadata and catalog
 * under `var/lib/zpkg/repos/<name>/`, which is what installs read, beside
 * `trust.json`: the keys the image trusts for it and the last root metadata
 * version it accepted (repo/trust/accept.ts decides). A remote is added with
 * a key to trust, or explicitly `insecure` (signatures unchecked; digests
 * still checked).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Candidate } from '../core/catalog.js';
import { digestOf } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import type { RepoReader } from '../repo/backend.js';
import { CatalogRow } from '../core/catalog-table.js';
import { decodeCatalog, decodeCatalogTable } from '../repo/catalog-codec.js';
import { localDirOf } from '../repo/dir-backend.js';
import { openMirroredReader, openRepoReader } from '../repo/open.js';
import { parseRootMetadata, parseSignedRoot, type RootMetadata } from '../repo/root-metadata.js';
import { decodeFileIndex, readCatalogBytes, readVerified, type FileIndex } from '../repo/snapshot.js';
import { fileIndexPath, ROOT_FILE, rotationPath } from '../repo/layout.js';
import { acceptRoot, initialTrust, type TrustState } from '../repo/trust/accept.js';
import type { KeyId } from '../repo/trust/keys.js';
import type { Image } from './image.js';

export interface Remote {
  name: string;
  url: string;
  priority: number;
  addedAt: string;
  /** Other URLs of the same repository, tried in order when a read from `url` fails. */
  mirrors?: string[];
}

const REMOTE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function listRemotes(image: Image): Remote[] {
  const rows = image.db.prepare('SELECT name, url, priority, added_at AS addedAt FROM remotes ORDER BY priority DESC, name').all() as Remote[];
  for (const r of rows) r.mirrors = readMirrors(image, r.name);
  return rows;
}

function mirrorsFile(image: Image, name: string): string {
  return join(image.paths.repos, name, 'mirrors.json');
}

function readMirrors(image: Image, name: string): string[] {
  const path = mirrorsFile(image, name);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as string[]) : [];
}

/** Sets a remote's mirrors (URLs of the same repository, tried in order after its URL). */
export function setMirrors(image: Image, name: string, mirrors: readonly string[]): Remote {
  getRemote(image, name);
  const stored = mirrors.map((m) => {
    const url = localDirOf(m) ?? m;
    openRepoReader(url);
    return url;
  });
  writeFileAtomic(mirrorsFile(image, name), JSON.stringify(stored));
  return getRemote(image, name);
}

export function getRemote(image: Image, name: string): Remote {
  const r = listRemotes(image).find((x) => x.name === name);
  if (!r) throw new ZpkgError('E_REMOTE_UNKNOWN', `no remote named \`${name}\``, { hint: 'list them with `zpkg remote list`' });
  return r;
}

export interface RemoteTrust {
  /** Ids of keys to trust (trust/key-file.ts resolveTrustedKey). */
  keys?: KeyId[];
  /** No key: signatures are not checked. Must be asked for explicitly. */
  insecure?: boolean;
}

/** A remote is added with keys to trust, or explicitly insecure: never neither, never both. */
export function requireTrust(name: string, url: string, trust: RemoteTrust): void {
  const keys = trust.keys ?? [];
  if (keys.length && trust.insecure) throw new ZpkgError('E_USAGE', 'a remote is added either with --key or with --insecure, not both');
  if (!keys.length && !trust.insecure) {
    throw new ZpkgError('E_KEY_REQUIRED', `remote \`${name}\` needs a key to trust: without one, anyone who can change ${url} could change what this image installs`, {
      hint: `\`zpkg remote add ${name} URL --key KEY.pub\` (or the key's fingerprint); or, knowingly, --insecure`,
    });
  }
}

export function addRemote(image: Image, name: string, url: string, priority = 0, trust: RemoteTrust = {}): Remote {
  requireTrust(name, url, trust);
  const keys = trust.keys ?? [];
  if (!REMOTE_NAME.test(name)) throw new ZpkgError('E_USAGE', `remote name \`${name}\` is invalid: use letters, digits, \`_ . -\``);
  if (!Number.isSafeInteger(priority)) throw new ZpkgError('E_USAGE', `priority \`${priority}\` must be an integer`);
  const dir = localDirOf(url);
  const stored = dir ?? url;
  openRepoReader(stored);
  if (listRemotes(image).some((r) => r.name === name)) {
    throw new ZpkgError('E_REMOTE_EXISTS', `a remote named \`${name}\` exists already`, { hint: `remove it first with \`zpkg remote remove ${name}\`` });
  }
  const remote: Remote = { name, url: stored, priority, addedAt: new Date().toISOString() };
  rmSync(cacheDir(image, name), { recursive: true, force: true });
  writeTrust(image, name, initialTrust(keys, Boolean(trust.insecure)));
  image.db.prepare('INSERT INTO remotes (name, url, priority, added_at) VALUES (?, ?, ?, ?)').run(remote.name, remote.url, remote.priority, remote.addedAt);
  return remote;
}

export function removeRemote(image: Image, name: string): Remote {
  const r = getRemote(image, name);
  image.db.prepare('DELETE FROM remotes WHERE name = ?').run(name);
  rmSync(join(image.paths.repos, name), { recursive: true, force: true });
  return r;
}

function cacheDir(image: Image, name: string): string {
  return join(image.paths.repos, name);
}

export interface RefreshResult {
  remote: string;
  status: 'updated' | 'unchanged';
  version: number;
  packages: number;
  bytes: number;
}

/**
 * Fetches a remote's root metadata, accepts it only as trust/accept.ts allows,
 * and fetches the catalog when it names a new one. Refused metadata changes
 * nothing; accepted metadata is stored after the catalog and before the trust
 * state that records it as seen. The root metadata is asked for
 * conditionally (the validator of the last accepted answer is kept beside the
 * cached copy), so a refresh when nothing changed costs one small request
 * answered `304 Not Modified`.
 */
export async function refreshRemote(image: Image, remote: Remote): Promise<RefreshResult> {
  const state = readTrust(image, remote.name);
  if (!state) {
    throw new ZpkgError('E_KEY_REQUIRED', `remote \`${remote.name}\` has no key to trust (it was added before zpkg checked signatures)`, {
      hint: `\`zpkg remote remove ${remote.name}\`, then add it again with --key KEY.pub (or --insecure)`,
    });
  }
  const dir = cacheDir(image, remote.name);
  const cached = readCachedRoot(image, remote.name);
  const validatorPath = join(dir, 'root.validator');
  const cachedCatalog = cached !== undefined && existsSync(join(dir, 'catalog.zst'));
  const reader = remoteReader(image, remote);
  let bytes: Buffer | undefined;
  let validator: string | undefined;
  try {
    // An unchanged answer is only trusted while the cached root it stands for is still valid.
    const ask = cachedCatalog && !expired(cached) && existsSync(validatorPath) ? readFileSync(validatorPath, 'utf8') : undefined;
    const fresh = await reader.readFresh(ROOT_FILE, ask);
    if (fresh.status === 'unchanged') return { remote: remote.name, status: 'unchanged', version: cached!.version, packages: cached!.catalog.packages, bytes: 0 };
    if (fresh.status === 'read') {
      bytes = fresh.bytes;
      validator = fresh.validator;
    }
  } catch (err) {
    if (err instanceof ZpkgError && err.code !== 'E_REPO_INVALID') throw err;
    throw new ZpkgError('E_REMOTE_UNREACHABLE', `remote \`${remote.name}\` (${remote.url}): ${(err as Error).message}`, { cause: err });
  }
  if (!bytes) throw new ZpkgError('E_REMOTE_UNREACHABLE', `remote \`${remote.name}\` (${remote.url}) is not a zpkg repository (no ${ROOT_FILE})`);
  const what = `remote \`${remote.name}\` (${remote.url})`;
  const signedRoot = parseSignedRoot(bytes, what);
  const next = await acceptRoot({
    state,
    root: signedRoot,
    what,
    now: new Date(),
    rotation: async (n) => {
      const b = await reader.read(rotationPath(n));
      return b && parseSignedRoot(b, `${what} ${rotationPath(n)}`);
    },
  });
  const root = signedRoot.signed;
  const keepValidator = (): void => {
    if (validator) writeFileAtomic(validatorPath, validator);
    else rmSync(validatorPath, { force: true });
  };
  const haveCatalog = cached?.catalog.digest === root.catalog.digest && cachedCatalog;
  if (haveCatalog && next.digest === state.digest) {
    keepValidator();
    return { remote: remote.name, status: 'unchanged', version: root.version, packages: root.catalog.packages, bytes: 0 };
  }
  let fetched = 0;
  if (!haveCatalog) {
    const catalog = await readCatalogBytes(reader, root);
    decodeCatalog(catalog, remote.url);
    writeFileAtomic(join(dir, 'catalog.zst'), catalog);
    fetched = catalog.length;
  }
  writeFileAtomic(join(dir, 'root.json'), bytes);
  writeTrust(image, remote.name, next);
  keepValidator();
  return { remote: remote.name, status: 'updated', version: root.version, packages: root.catalog.packages, bytes: fetched };
}

const TRUST_FILE = 'trust.json';

/** What the image trusts for a remote; undefined for a remote added before zpkg signed repositories. */
export function readTrust(image: Image, name: string): TrustState | undefined {
  const path = join(cacheDir(image, name), TRUST_FILE);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as TrustState;
  } catch (err) {
    throw new ZpkgError('E_IMAGE_INVALID', `${path} cannot be read: ${(err as Error).message}`, { hint: `remove the remote and add it again` });
  }
}

function writeTrust(image: Image, name: string, state: TrustState): void {
  writeFileAtomic(join(cacheDir(image, name), TRUST_FILE), `${JSON.stringify(state, null, 2)}\n`, { durable: true });
}

const expired = (root: RootMetadata): boolean => root.expires !== undefined && Date.parse(root.expires) <= Date.now();

function readCachedRoot(image: Image, name: string): RootMetadata | undefined {
  const path = join(cacheDir(image, name), 'root.json');
  if (!existsSync(path)) return undefined;
  return parseRootMetadata(readFileSync(path), path);
}

/**
 * Every package version every remote offers, from the refreshed copies;
 * refreshes a remote never refreshed. The candidates are rows of each
 * catalog's table, read on access: loading makes one small object per package
 * and the solver's pool indexes the tables' columns directly.
 */
export async function loadCandidates(image: Image): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const remote of listRemotes(image)) {
    let root = readCachedRoot(image, remote.name);
    // Expired metadata is not used: refresh, which refuses the remote if it still serves only expired metadata.
    if (!root || expired(root)) {
      await refreshRemote(image, remote);
      root = readCachedRoot(image, remote.name)!;
    }
    const bytes = readFileSync(join(cacheDir(image, remote.name), 'catalog.zst'));
    if (digestOf(bytes) !== root.catalog.digest) {
      throw new ZpkgError('E_DIGEST_MISMATCH', `the cached catalog of remote \`${remote.name}\` is corrupt`, { hint: 'run `zpkg refresh`' });
    }
    // refreshRemote checked these bytes in full before caching them, and they still hash to the digest it cached.
    const table = decodeCatalogTable(bytes, remote.url, { verified: true });
    for (let row = 0; row < table.rows; row++) out.push(new CatalogRow(table, row, remote.name, remote.priority));
  }
  return out;
}

/** The file index of a remote (for `search --file`), fetched on first use and cached by digest. */
export async function loadFileIndex(image: Image, remote: Remote): Promise<FileIndex> {
  const root = readCachedRoot(image, remote.name);
  if (!root?.files) return new Map();
  const path = join(cacheDir(image, remote.name), 'files.zst');
  let bytes: Buffer | undefined = existsSync(path) ? readFileSync(path) : undefined;
  if (!bytes || digestOf(bytes) !== root.files.digest) {
    bytes = await readVerified(remoteReader(image, remote), fileIndexPath(root.files.digest), root.files.digest, 'file index');
    writeFileAtomic(path, bytes);
  }
  return decodeFileIndex(bytes, remote.url);
}

const readers = new Map<string, RepoReader>();

/** The reader of a remote (its URL, then its mirrors), one per process so connections are kept alive across uses. */
export function remoteReader(image: Image, remote: Remote): RepoReader {
  const mirrors = remote.mirrors ?? readMirrors(image, remote.name);
  const key = JSON.stringify([remote.url, ...mirrors]);
  let r = readers.get(key);
  if (!r) {
    r = openMirroredReader(remote.url, mirrors);
    readers.set(key, r);
  }
  return r;
}
