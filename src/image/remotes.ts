/**
 * Remotes: repositories an image installs from. Each has a name, a URL (and
 * mirrors of it), a priority and what the image trusts for it: the keys given
 * at `remote add` and the last root metadata it accepted (repo/trust/accept.ts
 * decides), all in state.db (image/remote-store.ts). A remote is added with a
 * key to trust, or explicitly `insecure` (signatures unchecked; digests still
 * checked). `refresh` keeps a verified copy of its root metadata and catalog
 * under `var/lib/zpkg/repos/<name>/`: a cache of bytes that can be fetched
 * again, which is what installs read.
 */
import { lstatSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Candidate } from '../core/catalog.js';
import { digestOf, type Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { readBounded } from '../fs/in-root.js';
import type { RepoReader } from '../repo/backend.js';
import { CatalogRow } from '../core/catalog-table.js';
import { decodeCatalog, decodeCatalogTable } from '../repo/catalog-codec.js';
import { localDirOf } from '../repo/dir-backend.js';
import { openMirroredReader, openRepoReader } from '../repo/open.js';
import { MAX_ROOT_BYTES, parseRootMetadata, parseSignedRoot, requireCurrentFormat, type ContentRef, type RootMetadata } from '../repo/root-metadata.js';
import { decodeFileIndex, readCatalogBytes, readVerified, type FileIndex } from '../repo/snapshot.js';
import { fileIndexPath, REPO_FORMAT, ROOT_FILE, rotationPath } from '../repo/layout.js';
import { acceptRoot, initialTrust, type TrustState } from '../repo/trust/accept.js';
import type { KeyId } from '../repo/trust/keys.js';
import type { Image } from './image.js';
import { configuredLimits } from './limits.js';
import { LIMIT_KEYS } from '../repo/limits.js';
import { REPO_FILE_LIMIT } from '../repo/read-limit.js';
import * as store from './remote-store.js';
import { configuredProxy } from './proxy-config.js';

export type { Remote } from './remote-store.js';
type Remote = store.Remote;

const REMOTE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function listRemotes(image: Image): Remote[] {
  return store.listRemotes(image.db);
}

const unknownRemote = (name: string): ZpkgError => new ZpkgError('E_REMOTE_UNKNOWN', `no remote named \`${name}\``, { hint: 'list them with `zpkg remote list`' });

export function getRemote(image: Image, name: string): Remote {
  const r = store.findRemote(image.db, name);
  if (!r) throw unknownRemote(name);
  return r;
}

/** What the image trusts for a remote; undefined for a remote added before zpkg checked signatures. */
export function readTrust(image: Image, name: string): TrustState | undefined {
  return store.readTrust(image.db, name);
}

/** A remote with what the image trusts for it, as `remote list` shows it. */
export interface RemoteView extends Remote {
  /** `none`: added before zpkg checked signatures (refused until added again). */
  trust: 'signed' | 'insecure' | 'none';
  /** The key set accepted last, else the keys given at `remote add`. */
  keys: KeyId[];
  /** 0 until the first refresh accepts root metadata. */
  threshold: number;
  /** The root metadata version accepted last (0: none yet). */
  version: number;
}

export function remoteViews(image: Image): RemoteView[] {
  return listRemotes(image).map((r) => {
    const t = store.readTrust(image.db, r.name);
    const keys = (t?.keys ? Object.keys(t.keys) : (t?.pinned ?? [])).sort();
    return { ...r, trust: !t ? 'none' : t.insecure ? 'insecure' : 'signed', keys, threshold: t?.threshold ?? 0, version: t?.version ?? 0 };
  });
}

/** A remote to add. */
export interface RemoteSpec {
  name: string;
  /** A directory, an archive file, `file://`, `http(s)://` or `s3://`. */
  url: string;
  /** Higher wins for the same package name (default 0). */
  priority?: number;
  /** Ids of keys to trust (trust/key-file.ts resolveTrustedKey). */
  keys?: KeyId[];
  /** No key: signatures are not checked. Must be asked for explicitly. */
  insecure?: boolean;
  /** Other URLs of the same repository, tried in order after `url`. */
  mirrors?: string[];
}

/** A remote as it will be stored, and the trust it starts with. */
export interface CheckedRemote {
  remote: Omit<Remote, 'addedAt'>;
  trust: TrustState;
}

/**
 * Everything `addRemote` refuses that does not depend on the image: the name,
 * the priority, the trust (keys or explicitly insecure, never neither, never
 * both) and every URL. It touches nothing, so a caller can check before it
 * creates an image.
 */
/** A URL as the backend will open it (a local path made absolute), opened once so a bad one is refused before anything is stored. */
function storedUrl(u: string): string {
  const local = localDirOf(u) ?? u;
  openRepoReader(local);
  return local;
}

export function checkRemote(spec: RemoteSpec): CheckedRemote {
  const { name, url } = spec;
  const keys = spec.keys ?? [];
  const priority = spec.priority ?? 0;
  if (!REMOTE_NAME.test(name)) throw new ZpkgError('E_NAME_INVALID', `remote name \`${name}\` is invalid: use letters, digits, \`_ . -\``);
  if (!Number.isSafeInteger(priority)) throw new ZpkgError('E_INPUT_INVALID', `priority \`${priority}\` must be an integer`);
  if (keys.length && spec.insecure) throw new ZpkgError('E_INPUT_INVALID', `remote \`${name}\` is added either with keys to trust or insecure, not both`);
  if (!keys.length && !spec.insecure) {
    throw new ZpkgError('E_KEY_REQUIRED', `remote \`${name}\` needs a key to trust: without one, anyone who can change ${url} could change what this image installs`, {
      hint: `\`zpkg remote add ${name} URL --key KEY.pub\` (or the key's fingerprint); or, knowingly, --insecure`,
    });
  }
  return {
    remote: { name, url: storedUrl(url), priority, mirrors: (spec.mirrors ?? []).map(storedUrl) },
    trust: initialTrust(keys, Boolean(spec.insecure)),
  };
}

/** Adds a remote, its mirrors and its trust as one transaction of state.db. */
export function addRemote(image: Image, spec: RemoteSpec): Remote {
  const { remote, trust } = checkRemote(spec);
  const added: Remote = { ...remote, addedAt: new Date().toISOString() };
  // Bytes cached under this name by a remote removed before are not this remote's.
  if (!store.findRemote(image.db, spec.name)) rmSync(cacheDir(image, spec.name), { recursive: true, force: true });
  store.insertRemote(image.db, added, trust);
  return added;
}

/**
 * Points a remote elsewhere or reorders it (pkg's `set-publisher -O`,
 * `--add-mirror`): its URL, priority or mirrors change in one transaction of
 * state.db, and what the image trusts for it stays — its keys and the root
 * metadata version last accepted, so a move to another copy of the same
 * repository cannot roll the image back to older metadata. The cached
 * catalog stays too: the next refresh checks the new location against it.
 */
export function setRemote(image: Image, name: string, change: store.RemoteChange): Remote {
  if (change.priority !== undefined && !Number.isSafeInteger(change.priority)) throw new ZpkgError('E_INPUT_INVALID', `priority \`${change.priority}\` must be an integer`);
  const checked: store.RemoteChange = {
    ...(change.url !== undefined ? { url: storedUrl(change.url) } : {}),
    ...(change.priority !== undefined ? { priority: change.priority } : {}),
    ...(change.mirrors !== undefined ? { mirrors: change.mirrors.map(storedUrl) } : {}),
  };
  const r = store.updateRemote(image.db, name, checked);
  if (!r) throw unknownRemote(name);
  return r;
}

/** Removes a remote and its trust (one transaction), then its cached bytes. */
export function removeRemote(image: Image, name: string): Remote {
  const r = store.deleteRemote(image.db, name);
  if (!r) throw unknownRemote(name);
  rmSync(cacheDir(image, name), { recursive: true, force: true });
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
  const state = store.readTrust(image.db, remote.name);
  if (!state) {
    throw new ZpkgError('E_KEY_REQUIRED', `remote \`${remote.name}\` has no key to trust (it was added before zpkg checked signatures)`, {
      hint: `\`zpkg remote remove ${remote.name}\`, then add it again with --key KEY.pub (or --insecure)`,
    });
  }
  // Read first, so a bad `limits:` is refused even when nothing changed.
  const limits = configuredLimits(image.paths.root);
  const dir = cacheDir(image, remote.name);
  const cached = readCachedRoot(image, remote.name);
  const validatorPath = join(dir, 'root.validator');
  const cachedCatalog = cached !== undefined && isCachedFile(join(dir, 'catalog.zst'));
  const reader = remoteReader(image, remote);
  let bytes: Buffer | undefined;
  let validator: string | undefined;
  try {
    // An unchanged answer is only trusted while the cached root it stands for is still valid.
    const ask = cachedCatalog && !expired(cached) ? readCached(validatorPath, VALIDATOR_LIMIT)?.toString('utf8') : undefined;
    const fresh = await reader.readFresh(ROOT_FILE, ask, MAX_ROOT_BYTES);
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
  requireCurrentFormat(signedRoot.signed, remote.url);
  const next = await acceptRoot({
    state,
    root: signedRoot,
    what,
    now: new Date(),
    rotation: async (n) => {
      const b = await reader.read(rotationPath(n), MAX_ROOT_BYTES);
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
    // The signed count is checked before the catalog is fetched, and the catalog must hold what it says.
    if (root.catalog.packages > limits.catalogPackages) {
      throw new ZpkgError('E_REPO_INVALID', `${what}: its catalog holds ${root.catalog.packages} package versions, more than the limit of ${limits.catalogPackages}`, {
        hint: `raise \`limits.${LIMIT_KEYS.catalogPackages}\` in etc/zpkg/zpkg.yaml if the repository is that large on purpose`,
      });
    }
    const catalog = await readCatalogBytes(reader, root);
    const rows = decodeCatalog(catalog, remote.url, { maxBytes: limits.catalogBytes, maxPackages: limits.catalogPackages }).length;
    if (rows !== root.catalog.packages) throw new ZpkgError('E_REPO_INVALID', `${what}: its catalog holds ${rows} package versions, but its root metadata says ${root.catalog.packages}`, { hint: 'the repository is damaged or hostile' });
    writeFileAtomic(join(dir, 'catalog.zst'), catalog);
    fetched = catalog.length;
  }
  writeFileAtomic(join(dir, 'root.json'), bytes);
  store.writeTrust(image.db, remote.name, next);
  keepValidator();
  fetched += await prefetchFileIndex(image, remote, root);
  return { remote: remote.name, status: 'updated', version: root.version, packages: root.catalog.packages, bytes: fetched };
}

/**
 * The new root metadata's file index, fetched with its catalog: every solve
 * reads it (overlapping paths), so an install after a refresh asks the remote
 * for nothing but its packages, and an install offline still sees overlaps.
 * Best effort, returning the bytes fetched: an index that cannot be fetched
 * now is fetched — and its failure reported — when a solve first needs it
 * (loadFileIndex). Here it is only checked against its digest; it is decoded,
 * within its limit, where it is used.
 */
async function prefetchFileIndex(image: Image, remote: Remote, root: RootMetadata): Promise<number> {
  if (!root.files) return 0;
  try {
    return (await fileIndexBytes(image, remote, root.files)).fetched;
  } catch {
    return 0;
  }
}

/** The file index named `digest`: the cached copy when it still hashes to it, else fetched, checked and cached. */
async function fileIndexBytes(image: Image, remote: Remote, ref: ContentRef): Promise<{ bytes: Buffer; fetched: number }> {
  const path = join(cacheDir(image, remote.name), 'files.zst');
  const cached = readCached(path, REPO_FILE_LIMIT);
  if (cached && digestOf(cached) === ref.digest) return { bytes: cached, fetched: 0 };
  const bytes = await readVerified(remoteReader(image, remote), fileIndexPath(ref.digest), ref, 'file index');
  writeFileAtomic(path, bytes);
  return { bytes, fetched: bytes.length };
}

export interface RefreshOptions {
  /** Told about each remote whose signatures are not checked. */
  warn?: (message: string) => void;
}

/**
 * Refreshes every remote in priority order. Remotes are independent: one
 * that cannot be reached or is refused (its error kept, its cached copy as it
 * was) does not keep the others stale, as `apt update` goes on past a failed
 * source; the caller decides what the failures mean.
 */
export async function refreshRemotes(image: Image, options: RefreshOptions = {}): Promise<{ refreshed: RefreshResult[]; failed: { remote: string; error: ZpkgError }[] }> {
  const refreshed: RefreshResult[] = [];
  const failed: { remote: string; error: ZpkgError }[] = [];
  for (const r of listRemotes(image)) {
    if (store.readTrust(image.db, r.name)?.insecure) options.warn?.(`remote ${r.name} is insecure: its root metadata's signatures are not checked (digests are)`);
    try {
      refreshed.push(await refreshRemote(image, r));
    } catch (err) {
      if (!(err instanceof ZpkgError) || err.code === 'E_INTERNAL') throw err;
      failed.push({ remote: r.name, error: err });
    }
  }
  return { refreshed, failed };
}

/** An entity tag or date: what a server sends as a validator is far smaller. */
const VALIDATOR_LIMIT = 64 << 10;

/**
 * A remote's cached copy (root.json, root.validator, catalog.zst, files.zst)
 * as refresh wrote it: a regular file of at most `maxBytes` (what refresh
 * would fetch). Anything else there — a link (never followed), a FIFO, a
 * file too big — is no copy: undefined, as when it is missing, so refresh
 * fetches it again and replaces the entry.
 */
function readCached(path: string, maxBytes: number): Buffer | undefined {
  try {
    return readBounded(path, { maxBytes, noFollow: true });
  } catch (err) {
    if (err instanceof ZpkgError) return undefined;
    throw err;
  }
}

function isCachedFile(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false })?.isFile() === true;
}

const expired = (root: RootMetadata): boolean => root.expires !== undefined && Date.parse(root.expires) <= Date.now();

function readCachedRoot(image: Image, name: string): RootMetadata | undefined {
  const path = join(cacheDir(image, name), 'root.json');
  const bytes = readCached(path, MAX_ROOT_BYTES);
  if (bytes === undefined) return undefined;
  const root = parseRootMetadata(bytes, path);
  // Root metadata cached from a repository in an older format is not used: refresh fetches the current one.
  return root.format === REPO_FORMAT ? root : undefined;
}

export interface LoadOptions {
  /**
   * Answer without a remote that cannot be refreshed now (never refreshed,
   * or its metadata expired), telling this instead of failing: for questions
   * (`search`, `info`). A change (`install`, `update`) must not: a remote
   * left out may hold the version that should win.
   */
  leaveOut?: (remote: string, err: Error) => void;
}

/**
 * Every package version every remote offers, from the refreshed copies;
 * refreshes a remote never refreshed. The candidates are rows of each
 * catalog's table, read on access: loading makes one small object per package
 * and the solver's pool indexes the tables' columns directly.
 */
export async function loadCandidates(image: Image, options: LoadOptions = {}): Promise<Candidate[]> {
  const out: Candidate[] = [];
  const remotes = listRemotes(image);
  const skipped: unknown[] = [];
  for (const remote of remotes) {
    let root = readCachedRoot(image, remote.name);
    if (image.offline) requireOfflineRoot(remote, root);
    // Expired metadata is not used: refresh, which refuses the remote if it still serves only expired metadata.
    if (!root || expired(root)) {
      try {
        await refreshRemote(image, remote);
      } catch (err) {
        if (!options.leaveOut) throw err;
        // A question (search, info) is answered from the remotes that can answer; every one failing is the first failure.
        skipped.push(err);
        if (skipped.length === remotes.length) throw skipped[0];
        options.leaveOut(remote.name, err as Error);
        continue;
      }
      root = readCachedRoot(image, remote.name)!;
    }
    const bytes = readCached(join(cacheDir(image, remote.name), 'catalog.zst'), REPO_FILE_LIMIT);
    if (bytes === undefined || digestOf(bytes) !== root.catalog.digest) {
      throw new ZpkgError('E_DIGEST_MISMATCH', `the cached catalog of remote \`${remote.name}\` is missing or corrupt`, { hint: 'run `zpkg refresh`' });
    }
    // refreshRemote checked these bytes in full before caching them, and they still hash to the digest it cached.
    const limits = configuredLimits(image.paths.root);
    const table = decodeCatalogTable(bytes, remote.url, { verified: true, maxBytes: limits.catalogBytes, maxPackages: limits.catalogPackages });
    for (let row = 0; row < table.rows; row++) out.push(new CatalogRow(table, row, remote.name, remote.priority));
  }
  return out;
}

/** The file index of a remote (the solver's overlapping paths, `search --file`): fetched by refresh, else on first use; cached by digest. */
export async function loadFileIndex(image: Image, remote: Remote): Promise<FileIndex> {
  const root = readCachedRoot(image, remote.name);
  if (!root?.files) return new Map();
  const { bytes } = await fileIndexBytes(image, remote, root.files);
  return decodeFileIndex(bytes, remote.url, configuredLimits(image.paths.root).fileIndexBytes);
}

/**
 * Offline, a remote's catalog must be in the cache and its root metadata
 * still valid: an expired one is refused as online (E_EXPIRED), since
 * nothing can refresh it — the freeze-attack bound holds offline too.
 */
function requireOfflineRoot(remote: Remote, root: RootMetadata | undefined): void {
  if (!root) {
    throw new ZpkgError('E_OFFLINE_MISSING', `remote \`${remote.name}\` has no catalog in the image's cache, and --offline reads no remote`, {
      hint: 'run `zpkg refresh` (or the same command with --download-only) while the remote is reachable',
      details: { missing: [{ remote: remote.name, what: 'catalog' }] },
    });
  }
  if (expired(root)) {
    throw new ZpkgError('E_EXPIRED', `remote \`${remote.name}\`: the cached root metadata (version ${root.version}) expired at ${root.expires}, and --offline cannot refresh it`, {
      hint: 'refresh while the remote is reachable; an air-gapped node installs from an archive made with `zpkg repo archive --expires D` (see "Offline media" in the README)',
    });
  }
}

const readers = new Map<string, RepoReader>();

/** The reader of a remote (its URL, then its mirrors), one per process so connections are kept alive across uses; never for an offline image. */
export function remoteReader(image: Image, remote: Remote): RepoReader {
  if (image.offline) {
    throw new ZpkgError('E_OFFLINE_MISSING', `remote \`${remote.name}\` (${remote.url}) would have to be read, and this transaction is --offline`, {
      hint: 'run the same command with --download-only while the remote is reachable',
    });
  }
  const proxy = configuredProxy(image.paths.root);
  const key = JSON.stringify([remote.url, ...remote.mirrors, proxy ?? null]);
  let r = readers.get(key);
  if (!r) {
    r = openMirroredReader(remote.url, remote.mirrors, proxy ? { proxy } : {});
    readers.set(key, r);
  }
  return r;
}
