#!/usr/bin/env node
/**
 * The npm package's app (`dist/app/`): zpkg as the bundle runs it — one
 * CommonJS main.js, its workers and lazy dependencies (packaging/lib/js.mjs),
 * compiled through the loader with V8 code caches (packaging/loader.cjs) — for
 * `bin/zpkg.js` to start instead of the ES modules under `dist/src/`. Node 20
 * has no code cache for ES modules and resolves, reads and compiles each of
 * the 100–350 a command loads at every start: the app starts a command in
 * about half the CPU (README "The npm package's app").
 *
 *   node packaging/app.mjs      (`npm run build`, `npm install`, the test suite's set-up)
 *
 * The add-ons are the ones npm built (copied beside main.js, as the bundle's).
 * A build whose inputs (src/, packaging/, the lock file, node, the add-ons)
 * are unchanged is reused. Either way the stamp `dist/app/.inputs` is written
 * last: `bin/zpkg.js` takes the app only while the stamp is at least as new as
 * tsc's `dist/.tsbuildinfo`, so sources compiled after the app was built run
 * from dist/src/ until the app is built again, never a stale app.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADDONS, writeApp } from './lib/js.mjs';
import { warmCodeCaches } from './lib/warm-up.mjs';
import { addonSource, hashIdentities, hashSources } from './lib/inputs.mjs';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const APP_DIR = join(REPO_ROOT, 'dist/app');
export const APP_STAMP = join(APP_DIR, '.inputs');

/** What the app is made from: sources by content, node and the add-ons by identity. */
function inputsDigest(version) {
  const h = createHash('sha256');
  h.update(`${version}\0${process.version}\0`);
  hashSources(h, REPO_ROOT);
  hashIdentities(h, [process.execPath, ...ADDONS.map((a) => addonSource(REPO_ROOT, a))]);
  return h.digest('hex');
}

/** Builds `dist/app/` (or finds it up to date); returns whether it was built now. */
export async function buildApp({ log = (m) => process.stderr.write(`app: ${m}\n`) } = {}) {
  const version = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version;
  const digest = inputsDigest(version);
  if (existsSync(APP_STAMP) && readFileSync(APP_STAMP, 'utf8') === digest) {
    writeStamp(digest);
    return false;
  }
  // Built beside and renamed over: a zpkg started meanwhile runs the old app or dist/src, never half of one.
  const next = `${APP_DIR}.next`;
  rmSync(next, { recursive: true, force: true });
  mkdirSync(join(next, 'addons'), { recursive: true });
  log('bundling the JavaScript (esbuild)');
  await writeApp({ repoRoot: REPO_ROOT, outDir: next, version });
  for (const a of ADDONS) copyFileSync(addonSource(REPO_ROOT, a), join(next, 'addons', a.name));
  rmSync(APP_DIR, { recursive: true, force: true });
  renameSync(next, APP_DIR);
  // The caches are written by bin/zpkg.js itself, which sets the same V8 flags at every start; it takes the app once stamped.
  log('the V8 code caches (warm-up runs of bin/zpkg.js)');
  writeStamp('warming up\n');
  await warmCodeCaches({ command: [process.execPath, join(REPO_ROOT, 'bin/zpkg.js')], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}) } }, join(REPO_ROOT, 'dist/.app-warm'));
  writeStamp(digest);
  return true;
}

/** Writes the stamp now (its mtime is what bin/zpkg.js compares). */
function writeStamp(text) {
  writeFileSync(`${APP_STAMP}.tmp`, text);
  renameSync(`${APP_STAMP}.tmp`, APP_STAMP);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const built = await buildApp();
    process.stderr.write(built ? `app: built ${APP_DIR}\n` : `app: ${APP_DIR} is up to date\n`);
  } catch (err) {
    process.stderr.write(`app: ${err.message}\n`);
    process.exitCode = 1;
  }
}
