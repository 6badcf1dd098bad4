/**
 * The bundle's entry (`app/zpkg.js`, started by the launcher): compiles the
 * bundled zpkg (`app/main.js`, one CommonJS file) with the V8 code cache that
 * `npm run dist` made for this very node (`app/main.js.cache`), so start-up
 * deserializes compiled code instead of parsing a megabyte of JavaScript. A
 * cache V8 rejects (another node, other flags) only costs the parse.
 *
 * `load(file, parent)` is exported for the dependencies bundled apart
 * (`app/lazy/*.js`, see packaging/lib/js.mjs): their `app/node_modules/NAME`
 * stub requires this module — the main module, so the same instance — and
 * loads them the same way, each with its own cache, when a command first
 * needs them.
 *
 * main.js is read whole at start-up: a zpkg that replaces its own files
 * (self-update) keeps running on the code it started with. (A lazy file is
 * read when first required; the self-update runs the new version for what
 * follows the commit.)
 *
 * `ZPKG_CODE_CACHE=write` (used by the build) writes, when the command ends,
 * the cache of every file this process loaded that has none yet (or one V8
 * refused), covering every function that ran. `ZPKG_CODE_CACHE=check` says on
 * stderr, per file loaded, whether its cache was `accepted`, `rejected` (V8
 * checks the version, the flags and the source; the file is then compiled
 * from source, nothing else changes), `damaged` or `absent`
 * (test/code-cache.test.ts).
 *
 * A cache file is the SHA-256 of the cache, then the cache: V8 in release
 * builds does not checksum a code cache, and deserializing damaged bytes
 * aborts the process (`Fatal error … unreachable code`), so a cache whose
 * digest does not match is never given to V8.
 */
'use strict';
const { existsSync, readFileSync, writeFileSync, renameSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');
const { createHash } = require('node:crypto');
const Module = require('node:module');

const WRITE = process.env.ZPKG_CODE_CACHE === 'write';
const CHECK = process.env.ZPKG_CODE_CACHE === 'check';
/** Scripts compiled without a cache, to write theirs at exit (write mode only). */
const uncached = [];

const DIGEST_BYTES = 32;

/** The cache in `cacheFile` when its digest matches; else why there is none. */
function readCache(cacheFile) {
  let raw;
  try {
    raw = readFileSync(cacheFile);
  } catch {
    return { cachedData: undefined, state: 'absent' };
  }
  const cachedData = raw.subarray(DIGEST_BYTES);
  if (raw.length <= DIGEST_BYTES || !createHash('sha256').update(cachedData).digest().equals(raw.subarray(0, DIGEST_BYTES))) return { cachedData: undefined, state: 'damaged' };
  return { cachedData, state: 'present' };
}

/** The cache file's bytes for `data` (readCache's format). */
function cacheFileBytes(data) {
  return Buffer.concat([createHash('sha256').update(data).digest(), data]);
}

/** Compiles and runs one bundled CommonJS file with its code cache; returns its exports. */
function load(file, parent) {
  // The bundled files are ASCII (esbuild's default charset): utf8 decodes them on its fast path.
  const source = readFileSync(file, 'utf8');
  const cacheFile = `${file}.cache`;
  const { cachedData, state } = readCache(cacheFile);
  const script = new Script(Module.wrap(source), { filename: file, cachedData });
  const said = cachedData === undefined ? state : script.cachedDataRejected === true ? 'rejected' : 'accepted';
  if (CHECK) process.stderr.write(`zpkg code cache: ${file}: ${said}\n`);
  if (WRITE && said !== 'accepted') uncached.push({ script, cacheFile, replace: said !== 'absent' });
  const mod = new Module(file, parent);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(dirname(file));
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, dirname(file));
  mod.loaded = true;
  return mod.exports;
}

module.exports = { load, cacheFileBytes };

/**
 * The version this bundle was built as (`npm run dist` writes it here), so
 * that `zpkg --version` alone answers without compiling main.js: the start-up
 * of everything else is main.js's. Any other argument list goes to main.js,
 * whose commander prints the same line for `--version` before a command.
 */
const VERSION = null;

function versionOnly(args) {
  return typeof VERSION === 'string' && args.length === 1 && (args[0] === '--version' || args[0] === '-V');
}

if (require.main === module && versionOnly(process.argv.slice(2))) {
  process.stdout.write(`${VERSION}\n`);
} else if (require.main === module) {
  if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = '8';
  load(join(__dirname, 'main.js'), module)
    .run(process.argv.slice(2))
    .then((code) => {
      process.exitCode = code;
      for (const { script, cacheFile, replace } of uncached) {
        if (existsSync(cacheFile) && !replace) continue;
        writeFileSync(`${cacheFile}.tmp`, cacheFileBytes(script.createCachedData()));
        renameSync(`${cacheFile}.tmp`, cacheFile);
      }
    });
}
