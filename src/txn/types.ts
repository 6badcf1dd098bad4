/** The shapes a transaction passes between its steps (target → prepare → plan paths → stage → apply → commit). */
import type { Arrivals } from './arrivals.js';
import type { Digest } from '../core/digest.js';
import type { FacetSettings } from '../core/facets.js';
import type { DirAction, FileAction, HardlinkAction, LinkAction, Manifest, ServiceDecl } from '../core/manifest.js';
import type { RepoReader } from '../repo/backend.js';
import type { BlobMap } from '../repo/blob-map.js';
import type { CachedBlob } from '../image/cache.js';
import type { DirRow, FileRow, PackageRow } from '../image/state.js';
import type { Landing } from './target.js';

/** A landing with its manifest fetched and verified: what the path plan and the lifecycle read. */
export interface PreparedPackage extends Omit<Landing, 'manifest'> {
  /** The manifest as the image holds it: without the actions its facets leave out (core/facets.ts). */
  manifest: Manifest;
  /** The manifest as published, when facets left actions out: what its blob map is aligned with. */
  shipped?: Manifest;
  digest: Digest;
  /** Bytes of its manifest that came from the repository (0 when cached). */
  manifestBytes: number;
  /** The repository its blobs come from (opened on first use: a fully cached package needs none). */
  blobReader: () => RepoReader;
  /** Where its blobs lie in the repository's packs, when its record was fetched (fetch reads the cached one otherwise). */
  map?: BlobMap;
  /** What the transaction reads of the installed version's manifest, when the package moves from another manifest and the cache holds that one. */
  departing?: Departing;
}

/**
 * What a transaction reads of the manifest a package moves away from: its
 * services and `restart:` files (the lifecycle, hooks/plan.ts) and whether it
 * delivers mediated links (mediate.ts). The manifest is decoded once, in
 * prepare (also the base of its record's delta), and only this is kept: each
 * of those steps decoded it again (~0.15 s apiece for 20,000 paths).
 */
export interface Departing {
  services: ServiceDecl[];
  /** Only its files that declare `restart:`. */
  actions: FileAction[];
  mediated: boolean;
}

/** A non-directory path to put in place. */
export interface PutOp {
  action: FileAction | LinkAction | HardlinkAction;
  package: string;
  uid: number;
  gid: number;
  /** Permission bits (files only). */
  mode: number;
  /** Where the content lands when it is not the action's path (`PATH.zpkg-new` beside a changed config file). */
  dest: string;
  /** Something is at `dest` already (it is backed up before being replaced). */
  existed: boolean;
  /** `revert`: what was at `dest` stays, as `DEST.zpkg-old`, once the transaction committed. */
  keepOld?: true;
  /**
   * The content at the action's path stays the same (checked for zinit
   * service files and `restart:` files only, whose writing restarts services).
   */
  unchanged?: boolean;
}

export interface DirOp {
  path: string;
  package: string;
  mode: number;
  uid: number;
  gid: number;
  /** Missing on disk: created (and removed again if the transaction fails). */
  create: boolean;
  /** Declared by the manifest (attributes applied) rather than implied by a deeper path. */
  declared: boolean;
}

/** Where each blob a transaction writes lies on this machine (fetch's answer), and which fetched packs enter the cache once staged. */
export interface ContentPlan {
  sources: Map<Digest, CachedBlob>;
  /** [file under the cache's tmp/, its path in the cache]: renamed once staging checked the blobs read from them. */
  promote: { from: string; to: string }[];
  /** Packs still downloading (fetch's overlap): staging takes a frame once its bytes are written. */
  arriving?: Arrivals;
}

/** The path plan of a transaction: every path it writes, deletes and keeps. */
export interface Changeset {
  installs: PreparedPackage[];
  removes: PackageRow[];
  put: PutOp[];
  dirs: DirOp[];
  /** Paths to unlink: files of removed packages and paths an upgrade no longer delivers. */
  delete: FileRow[];
  /** Directory rows going away; the directory is removed when no package keeps it and it is empty. */
  dropDirs: DirRow[];
  /** Config files an administrator changed: kept as they are. */
  keptConfig: string[];
  /** New versions of changed config files, written as `PATH.zpkg-new`. */
  newConfig: string[];
  /** Unowned paths already on disk that an install overwrites. */
  adopted: string[];
  /** Resolved owner of every non-directory path the landing packages deliver. */
  owners: Map<string, { uid: number; gid: number }>;
  /** Paths an install takes over from another package through `replaces` (or gives back to the adopted base: `returned`). */
  takenOver: { path: string; from: string; to: string }[];
  /**
   * Paths a landing package delivers that an installed package holds and that one `replaces` it (dpkg's "replaced by files
   * in installed package"): not written, not recorded as the landing package's; they come to it when the holder goes (give-back.ts).
   */
  yielded?: { path: string; package: string; to: string }[];
  /** Links a package drops that go back to the adopted base that held them before it (recorded again as the base's; the disk is left as it is). */
  returned?: FileRow[];
  /** Mediator choices to record in state.db with the commit (`set-mediator`). */
  mediators?: Readonly<Record<string, string>>;
  /** Facet settings to record in state.db with the commit (`change-facet`). */
  facets?: FacetSettings;
  /** Files an upgrade delivers unchanged and the image holds intact: left in place, not written. */
  inPlace: string[];
  /** New trees (new-trees.ts): created directories whose parent stands, each staged under a hidden name and landed by one rename. */
  trees?: string[];
  /** Paths going whose parent `through` is now a link leading out of the image: their records go, the disk is not touched. */
  leftAlone: { path: string; through: string }[];
  /** Dropped directories not to remove: the image holds a link there, or they lie under one leading out. */
  dirsLeftAlone: Set<string>;
  /** Where the blobs to stage lie (set by prepare once fetched). */
  content?: ContentPlan;
}

export type { DirAction };
