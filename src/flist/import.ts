/**
 * `zpkg import-flist`: flists (files, or http(s) URLs to them) turned into
 * packages and, given a repository, published together in one repository
 * version — with a release set pinning them when `set` names one (a hub tag:
 * a named list of flists). Everything is read, fetched and checked before
 * anything is published, so one bad flist, one missing or damaged block
 * publishes nothing. Contents live in one temporary directory of the import,
 * removed when it ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { encodeManifest, MANIFEST_FORMAT, type Manifest } from '../core/manifest.js';
import { isPackageName } from '../core/relation.js';
import { parseVersion } from '../core/version.js';
import type { Report } from '../report/report.js';
import type { RepoWriter } from '../repo/backend.js';
import { publishPackages, type BuiltPackage, type PublishOutcome, type PublishResult } from '../repo/publish.js';
import type { Signer } from '../repo/trust/sign.js';
import { fetchContents, type Fetched } from './fetch.js';
import type { Flist } from './format.js';
import { localFlist } from './input.js';
import { flistStem, packageIdentity } from './names.js';
import { readFlist } from './read.js';
import { BlockRouter } from './router.js';
import { parseStoreSpec, type StoreSpec } from './stores/open.js';
import { flistToPackage, type FlistPackage } from './to-package.js';
import { decodeZpkgTag, ZPKG_TAG } from './zpkg-tag.js';

export interface ImportFlistOptions {
  /** Where to publish; without it the flists are converted and checked only. */
  repo?: RepoWriter;
  signer?: Signer;
  replace?: boolean;
  /** zstd level of the blobs written. */
  level?: number;
  /** Package name and version (one flist only); default: the flist's `zpkg` tag, else its file name NAME-VERSION. */
  name?: string;
  version?: string;
  /** Package arch of a plain flist (default `all`). */
  arch?: string;
  /** Derive so:/file: relations from ELF files and scripts (default true). */
  derive?: boolean;
  /** Stores to read blocks from instead of each flist's routes (`[XX-YY=]URL`). */
  stores?: string[];
  /** `NAME=VERSION`: also publish a release set pinning every imported package. */
  set?: string;
  report: Report;
}

export interface ImportedFlist {
  source: string;
  name: string;
  version: string;
  manifest: Digest;
  inodes: number;
  files: number;
  blocks: number;
  bytes: number;
  depends: string[];
  provides: string[];
  /** The manifest came from the flist's `zpkg` tag (an flist zpkg exported). */
  fromTag: boolean;
  warnings: string[];
  status?: PublishOutcome['status'];
}

export interface ImportFlistResult {
  packages: ImportedFlist[];
  set?: { name: string; version: string; manifest: Digest; depends: string[]; status?: PublishOutcome['status'] };
  publish?: PublishResult;
}

/** The release set `NAME=VERSION` pinning each package at its exact version. */
function releaseSet(spec: string, pkgs: readonly FlistPackage[], sources: readonly string[]): BuiltPackage {
  const m = /^([^=@\s]+)[=@](\S+)$/.exec(spec.trim());
  if (!m) throw new ZpkgError('E_INPUT_INVALID', `\`${spec}\` is not a release set: write NAME=VERSION`);
  const [, name, version] = m as unknown as [string, string, string];
  if (!isPackageName(name)) throw new ZpkgError('E_NAME_INVALID', `release set name \`${name}\` is not a valid package name`);
  parseVersion(version);
  const byName = new Map<string, FlistPackage>();
  for (const p of pkgs) {
    const twin = byName.get(p.manifest.name);
    if (twin) throw new ZpkgError('E_SET_INVALID', `the release set ${name} ${version} would pin ${p.manifest.name} twice (${twin.manifest.version} and ${p.manifest.version})`);
    if (p.manifest.name === name) throw new ZpkgError('E_SET_INVALID', `the release set ${name} cannot pin a package of its own name`);
    byName.set(p.manifest.name, p);
  }
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    name,
    version,
    arch: 'all',
    summary: `release set ${name} ${version}: ${pkgs.length} packages`,
    description: `A release set (a hub tag): it pins ${pkgs.map((p) => `${p.manifest.name} ${p.manifest.version}`).join(', ')}. Made by zpkg import-flist from ${sources.join(', ')}.`,
    license: '',
    depends: pkgs.map((p) => `${p.manifest.name} (= ${p.manifest.version})`),
    conflicts: [],
    provides: [],
    replaces: [],
    actions: [],
  };
  const { bytes, digest } = encodeManifest(manifest);
  return { manifest, bytes, digest, blobs: new Map() };
}

async function convert(input: string, path: string, o: ImportFlistOptions, work: string): Promise<{ fl: Flist; pkg: FlistPackage }> {
  const fl = readFlist(path, input);
  const tagValue = fl.tags.get(ZPKG_TAG);
  const tag = tagValue === undefined ? undefined : decodeZpkgTag(tagValue, input);
  const identity = tag
    ? packageIdentity(input, { name: o.name ?? tag.manifest.name, version: o.version ?? tag.manifest.version })
    : packageIdentity(input, { name: o.name, version: o.version });
  const specs: StoreSpec[] = o.stores?.length ? o.stores.map(parseStoreSpec) : fl.routes;
  const router = new BlockRouter(specs, o.stores?.length ? '--store' : input);
  const files = fl.inodes.filter((i) => i.kind === 'file');
  const blocks = files.reduce((n, i) => n + i.blocks.length, 0) + [...(tag?.hooks.values() ?? [])].reduce((n, b) => n + b.length, 0);
  const progress = o.report.progress(`fetch ${flistStem(input)}`, blocks);
  try {
    const fetched = await fetchContents(
      files.map((i) => ({ where: `${input}: ${i.path}`, size: i.size, blocks: i.blocks })),
      router,
      work,
      { onBlock: (n) => progress.tick(1, n) },
    );
    const contents = new Map<number, Fetched>(files.map((i, k) => [i.ino, fetched[k]!]));
    const hooks = new Map<Digest, Fetched>();
    if (tag) {
      const refs = [...tag.hooks.entries()];
      const sizes = new Map(Object.values(tag.manifest.hooks ?? {}).map((r) => [r!.digest, r!.size]));
      const got = await fetchContents(refs.map(([d, b]) => ({ where: `${input}: hook blob ${d}`, size: sizes.get(d) ?? 0, blocks: b })), router, work, { onBlock: (n) => progress.tick(1, n) });
      refs.forEach(([d], k) => hooks.set(d, got[k]!));
    }
    progress.done(`${files.length} files, ${blocks} blocks`);
    return { fl, pkg: flistToPackage(fl, contents, tag, hooks, { ...identity, arch: o.arch, derive: o.derive }) };
  } finally {
    await router.close();
  }
}

export async function importFlists(inputs: readonly string[], o: ImportFlistOptions): Promise<ImportFlistResult> {
  if (inputs.length > 1 && (o.name !== undefined || o.version !== undefined)) {
    throw new ZpkgError('E_INPUT_INVALID', '--name and --version name one package: give them with one flist only');
  }
  const work = mkdtempSync(join(tmpdir(), 'zpkg-import-flist-'));
  try {
    const converted: { input: string; fl: Flist; pkg: FlistPackage }[] = [];
    for (const [i, input] of inputs.entries()) {
      const local = await localFlist(input, work, i);
      const { fl, pkg } = await convert(input, local, o, join(work, 'blobs'));
      for (const w of pkg.warnings) o.report.warn(w);
      const twin = converted.find((c) => c.pkg.manifest.name === pkg.manifest.name && c.pkg.manifest.version === pkg.manifest.version);
      if (twin) throw new ZpkgError('E_INPUT_INVALID', `${twin.input} and ${input} both make ${pkg.manifest.name} ${pkg.manifest.version}`);
      converted.push({ input, fl, pkg });
    }
    const set = o.set === undefined ? undefined : releaseSet(o.set, converted.map((c) => c.pkg), inputs);
    const describe = (c: (typeof converted)[number], status?: PublishOutcome['status']): ImportedFlist => ({
      source: c.input,
      name: c.pkg.manifest.name,
      version: c.pkg.manifest.version,
      manifest: c.pkg.digest,
      inodes: c.fl.inodes.length,
      files: c.pkg.files,
      blocks: c.pkg.blocks,
      bytes: c.pkg.contentBytes,
      depends: c.pkg.manifest.depends,
      provides: c.pkg.manifest.provides,
      fromTag: c.pkg.fromTag,
      warnings: c.pkg.warnings,
      ...(status ? { status } : {}),
    });
    const setInfo = (status?: PublishOutcome['status']) =>
      set ? { set: { name: set.manifest.name, version: set.manifest.version, manifest: set.digest, depends: set.manifest.depends, ...(status ? { status } : {}) } } : {};
    if (!o.repo) return { packages: converted.map((c) => describe(c)), ...setInfo() };
    const all: BuiltPackage[] = [...converted.map((c) => c.pkg), ...(set ? [set] : [])];
    const pub = o.report.progress('publish', all.reduce((n, p) => n + p.blobs.size, 0));
    const published = await publishPackages(o.repo, all, { replace: o.replace, level: o.level, signer: o.signer, onBlob: (n) => pub.tick(1, n) });
    pub.done(`${published.blobsWritten} blobs written, ${published.blobsReused} already there`);
    return {
      packages: converted.map((c, i) => describe(c, published.packages[i]!.status)),
      ...setInfo(set ? published.packages[converted.length]!.status : undefined),
      publish: published,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
