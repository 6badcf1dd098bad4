/**
 * What the bundle (packaging/dist.mjs) and the npm package's app
 * (packaging/app.mjs) are made from, for the digests that let a build be
 * reused: the sources by content, the add-ons npm built by where they are.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

const requireHere = createRequire(import.meta.url);

/** Every file under `dir`, relative, sorted. */
export function filesUnder(dir, base = dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p, base));
    else out.push(relative(base, p));
  }
  return out;
}

/** The directory of the npm package `pkg` as the checkout at `repoRoot` resolves it. */
export function packageDir(repoRoot, pkg) {
  return dirname(requireHere.resolve(`${pkg}/package.json`, { paths: [repoRoot] }));
}

/** The add-on file of `a` (an entry of ADDONS, packaging/lib/js.mjs) that npm built. */
export function addonSource(repoRoot, a) {
  return join(packageDir(repoRoot, a.pkg), a.file);
}

/** Feeds `hash` with src/ and packaging/ (each file's path and content) and the lock file. */
export function hashSources(hash, repoRoot) {
  for (const top of ['src', 'packaging']) for (const f of filesUnder(join(repoRoot, top))) hash.update(`${top}/${f}\0`).update(readFileSync(join(repoRoot, top, f)));
  hash.update(readFileSync(join(repoRoot, 'package-lock.json')));
}

/** Feeds `hash` with each file's path, size and modification time: binaries of this machine, by identity. */
export function hashIdentities(hash, files) {
  for (const f of files) {
    const s = statSync(f);
    hash.update(`${f}\0${s.size}\0${s.mtimeMs}\0`);
  }
}
