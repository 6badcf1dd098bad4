/**
 * Describing a base: what an image holds outside zpkg's packages (a zos
 * initramfs: libc, the loader, busybox, zinit) as the manifest of a package —
 * every path under the given image paths that no installed package owns, with
 * its owner by the image's own account names, and the `so:`/`file:` provides
 * derived from its ELF files and command directories exactly as the builder
 * derives them (deps/derive.ts). Its own needs are not kept: a base is what
 * it is. The manifest says `essential: true`: images never remove it without
 * being told to.
 *
 * The walk stays on the image root's filesystem (like `find -xdev`: /proc,
 * /sys and a mounted /dev are not the base), never enters zpkg's state
 * directory and skips devices, sockets and fifos (packages deliver none).
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { digestOf, type Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { encodeManifest, formatMode, isPathAction, MANIFEST_FORMAT, sortActions, validateManifest, type Action, type Manifest } from '../core/manifest.js';
import { STATE_DIR, toImagePath } from '../core/paths.js';
import { readAccounts } from '../image/accounts.js';
import { machineArch } from '../image/arch.js';
import { deriveRelations } from './deps/index.js';

export interface BaseInput {
  root: string;
  name: string;
  version: string;
  /** Image paths to describe (each with everything below it); empty: the whole image. */
  paths: readonly string[];
  /** Paths installed packages own already (directories are shared and never count as owned). */
  owned: (path: string) => boolean;
}

export interface DescribedBase {
  manifest: Manifest;
  bytes: Buffer;
  digest: Digest;
  files: number;
  contentBytes: number;
  /** Paths left out, and why (a device node, another filesystem). */
  skipped: { path: string; why: string }[];
}


export function describeBase(input: BaseInput): DescribedBase {
  const { root } = input;
  const rootDev = lstatSync(root).dev;
  const accounts = readAccounts(root);
  const userOf = (st: Stats): string => accounts.userNames.get(st.uid) ?? String(st.uid);
  const groupOf = (st: Stats): string => accounts.groupNames.get(st.gid) ?? String(st.gid);
  const actions: Action[] = [];
  const blobs = new Map<Digest, string>();
  const seen = new Set<string>();
  const inodes = new Map<string, string>();
  const skipped: DescribedBase['skipped'] = [];
  let files = 0;
  let contentBytes = 0;

  const visit = (path: string): void => {
    if (seen.has(path) || path === STATE_DIR || path.startsWith(`${STATE_DIR}/`)) return;
    seen.add(path);
    const abs = join(root, path);
    let st: Stats;
    try {
      st = lstatSync(abs);
    } catch {
      throw new ZpkgError('E_NOT_FOUND', `\`/${path}\` does not exist in the image ${root}`);
    }
    if (st.isDirectory()) {
      actions.push({ type: 'dir', path, mode: formatMode(st.mode), owner: userOf(st), group: groupOf(st) });
      if (st.dev !== rootDev) {
        skipped.push({ path, why: 'another filesystem is mounted there' });
        return;
      }
      for (const name of readdirSync(abs).sort()) visit(`${path}/${name}`);
      return;
    }
    if (input.owned(path)) return;
    if (st.isSymbolicLink()) {
      actions.push({ type: 'link', path, target: readlinkSync(abs), owner: userOf(st), group: groupOf(st) });
    } else if (st.isFile()) {
      const inode = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? inodes.get(inode) : undefined;
      if (first !== undefined) {
        actions.push({ type: 'hardlink', path, target: first });
        return;
      }
      if (st.nlink > 1) inodes.set(inode, path);
      const content = readFileSync(abs);
      const digest = digestOf(content);
      blobs.set(digest, abs);
      files += 1;
      contentBytes += content.length;
      actions.push({ type: 'file', path, mode: formatMode(st.mode), owner: userOf(st), group: groupOf(st), size: content.length, digest });
    } else skipped.push({ path, why: 'a device, socket or fifo' });
  };

  const starts = input.paths.length ? input.paths.map(toImagePath) : readdirSync(root).sort();
  for (const start of starts) {
    if (start === '') {
      for (const name of readdirSync(root).sort()) visit(name);
      continue;
    }
    // The directories above a given path are part of the base too (shared, like every directory).
    const parts = start.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (seen.has(dir)) continue;
      const st = lstatSync(join(root, dir));
      if (!st.isDirectory()) throw new ZpkgError('E_PATH_UNSAFE', `\`/${start}\` lies under \`/${dir}\`, which is not a directory`);
      seen.add(dir);
      actions.push({ type: 'dir', path: dir, mode: formatMode(st.mode), owner: userOf(st), group: groupOf(st) });
    }
    visit(start);
  }
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    name: input.name,
    version: input.version,
    arch: machineArch(),
    summary: 'the base image as zpkg found it (adopted)',
    description: `Adopted by \`zpkg adopt\` from ${input.paths.length ? input.paths.map((p) => `/${toImagePath(p)}`).join(', ') : 'the whole image'}: its files are owned, and its capabilities known to the solver.`,
    license: '',
    depends: [],
    conflicts: [],
    provides: [],
    replaces: [],
    actions: sortActions(actions),
    essential: true,
  };
  manifest.provides = deriveRelations(manifest.actions.filter(isPathAction), blobs).provides;
  validateManifest(JSON.parse(JSON.stringify(manifest)));
  const { bytes, digest } = encodeManifest(manifest);
  return { manifest, bytes, digest, files, contentBytes, skipped };
}
