/**
 * The hook store, `<root>/var/lib/zpkg/hooks/<hex>`: every hook of an
 * installed or landing package, one executable per content digest, verified
 * against that digest when written. Content-addressed, so it needs no journal:
 * a landing package's hooks are put here before its pre-hooks run, a removed
 * package's stay until its post-remove hook ran, and whatever no installed
 * package names is swept afterwards.
 */
import { chmodSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { digestHex, digestOf, type Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import type { Manifest } from '../core/manifest.js';
import { STATE_DIR } from '../core/paths.js';
import { dirInRoot, readBounded, readInRoot, resolveInRoot, writeInRoot } from '../fs/in-root.js';
import { compressedBound, decompressBounded } from '../repo/compress.js';

export const HOOKS_DIR = `${STATE_DIR}/hooks`;

/** The most bytes a stored hook may hold when zpkg reads it back (to check its digest). */
export const HOOK_LIMIT = 256 * 1024 * 1024;

/** The hook's path relative to the image root (what a chrooted hook is run as, with a leading `/`). */
export function hookImagePath(digest: Digest): string {
  return `${HOOKS_DIR}/${digestHex(digest)}`;
}

/**
 * Puts a hook in the store from a compressed blob of the content cache,
 * verified; a no-op when it is there and intact. The blob is decompressed to
 * at most its declared `size` (+ 1 byte, which refuses it).
 */
export function storeHook(root: string, digest: Digest, size: number, compressedBlob: string, what: string): string {
  const rel = hookImagePath(digest);
  const limits = { maxBytes: HOOK_LIMIT, what: `the stored hook ${rel}` };
  const stored = resolveInRoot(root, rel, limits);
  if (stored.stat?.isFile() && digestOf(readInRoot(root, rel, limits) ?? Buffer.alloc(0)) === digest) return stored.path;
  let compressed: Buffer | undefined;
  try {
    // What keepHooks (txn/fetch.ts) wrote: one frame of at most zstd's bound for `size` bytes, a
    // regular file of the cache (a link is not followed); anything bigger is refused unread.
    compressed = readBounded(compressedBlob, { maxBytes: compressedBound(size), noFollow: true, code: 'E_REPO_INVALID', what: `${what}: its blob ${digest} (${compressedBlob})` });
  } catch (err) {
    if (err instanceof ZpkgError) throw err;
    throw new ZpkgError('E_BLOB_MISSING', `${what}: cannot read its blob ${digest}: ${(err as Error).message}`);
  }
  if (compressed === undefined) throw new ZpkgError('E_BLOB_MISSING', `${what}: its blob ${digest} is not in the cache (${compressedBlob})`);
  const content = decompressBounded(compressed, size, `${what}: its blob ${digest}`);
  if (content.length !== size) throw new ZpkgError('E_DIGEST_MISMATCH', `${what}: its blob ${digest} decompresses to ${content.length} bytes, not the declared ${size}`, { details: { digest } });
  const actual = digestOf(content);
  if (actual !== digest) throw new ZpkgError('E_DIGEST_MISMATCH', `${what}: its content hashes to ${actual}, not ${digest}`, { details: { digest } });
  if (stored.stat !== undefined && !stored.stat.isFile()) rmSync(stored.path, { recursive: true, force: true });
  const path = writeInRoot(root, rel, content, { ...limits, mode: 0o755 });
  chmodSync(path, 0o755);
  return path;
}

/**
 * Removes hooks no manifest of `keep` names; returns how many went. `keep` is
 * asked for only when the store holds a hook: the installed manifests are
 * each read and decoded for it, which on an image of 100,000 files cost a
 * one-file install 0.6 s when no package had a hook at all.
 */
export function sweepHooks(root: string, keep: () => readonly Manifest[]): number {
  let dir: string;
  let names: string[];
  try {
    dir = dirInRoot(root, HOOKS_DIR);
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  if (names.length === 0) return 0;
  const wanted = new Set<string>();
  for (const m of keep()) for (const ref of Object.values(m.hooks ?? {})) wanted.add(digestHex(ref.digest));
  let swept = 0;
  for (const name of names) {
    if (wanted.has(name)) continue;
    rmSync(join(dir, name), { force: true });
    swept += 1;
  }
  return swept;
}
