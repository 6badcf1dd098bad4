#!/usr/bin/env node
// The threadpool serves decompression, hashing and file writes during installs;
// its size is fixed at the first asynchronous call, so it is set before anything loads.
if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = '8';
// V8 lets a heap grow up to 4× what its last full collection kept before collecting
// again; installing 300,000 files then peaked at 750 MB with 200 MB live. At 2× it
// peaked at 540 MB in the same time. Set before anything allocates; V8 reads it at
// each collection. The bundle's launcher passes the same flag (packaging/launcher.c).
const v8 = await import('node:v8');
v8.setFlagsFromString('--heap-growing-percent=100');
const { statSync } = await import('node:fs');
const args = process.argv.slice(2);

/**
 * The app (`dist/app/`, packaging/app.mjs): the same zpkg as one CommonJS file
 * with V8 code caches, which starts a command in about half the CPU of the ES
 * modules under dist/src/. Taken while its stamp is at least as new as tsc's
 * last build, so sources compiled since run from dist/src/ until the app is
 * built again; ZPKG_ESM=1 always runs dist/src/.
 */
function appIsCurrent() {
  if (process.env.ZPKG_ESM === '1') return false;
  const stamp = statSync(new URL('../dist/app/.inputs', import.meta.url), { throwIfNoEntry: false });
  const compiled = statSync(new URL('../dist/.tsbuildinfo', import.meta.url), { throwIfNoEntry: false });
  return stamp !== undefined && (compiled === undefined || stamp.mtimeMs >= compiled.mtimeMs);
}

if (appIsCurrent()) {
  const { createRequire } = await import('node:module');
  const { start } = createRequire(import.meta.url)('../dist/app/zpkg.js');
  process.exitCode = await start(args);
} else {
  const { main } = await import('../dist/src/cli/main.js');
  process.exitCode = await main(args);
}
