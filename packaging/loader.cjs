/**
 * The bundle's entry (`app/zpkg.js`, started by the launcher): compiles the
 * bundled zpkg (`app/main.js`, one CommonJS file) with the V8 code cache that
 * `npm run dist` made for this very node (`app/main.js.cache`), so start-up
 * deserializes compiled code instead of parsing a megabyte of JavaScript. A
 * cache V8 rejects (another node, other flags) only costs the parse. The npm
 * package's app (`dist/app/zpkg.js`, packaging/app.mjs) is the same file,
 * required by `bin/zpkg.js`, which calls `start`.
 *
 * `load(file, parent)` is exported for the dependencies bundled apart
 * (`app/lazy/*.js`, see packaging/lib/js.mjs): their `app/node_modules/NAME`
 * stub requires this module — the main module (in the app, the one bin/zpkg.js
 * required), so the same instance — and
 * loads them the same way, each with its own cache, when a command first
 * needs them.
 *
 * main.js is read whole at start-up: a zpkg that replaces its own files
 * (self-update) keeps running on the code it started with. (A lazy file is
 * read when first required; the self-update runs the new version for what
 * follows the commit.)
 *
 * A command may have a cache of its own, `app/main.js.COMMAND.cache`, used
 * instead of `app/main.js.cache` when present: V8 deserializes a whole cache
 * at start-up, so one covering every command would slow each (measured: a
 * cache covering `list`, `refresh` and `install -n` costs `list` 8 ms more
 * than its own), while a function missing from a cache is compiled at every
 * run. The build writes them for the commands whose start-up is measured
 * (packaging/lib/warm-up.mjs). COMMAND is the first argument that is neither
 * a global option nor its value; an own cache missing or damaged leaves the
 * common one.
 *
 * `ZPKG_CODE_CACHE=write` (used by the build) writes, when the command ends,
 * the cache of every file this process loaded that has none yet (or one V8
 * refused), covering every function that ran; `ZPKG_CODE_CACHE=write-command`
 * compiles main.js from source and writes the command's own cache.
 * `ZPKG_CODE_CACHE=check` says on stderr, per file loaded, whether its cache
 * (and which cache file) was `accepted`, `rejected` (V8 checks the version,
 * the flags and the source; the file is then compiled from source, nothing
 * else changes), `damaged` or `absent` (test/code-cache.test.ts).
 *
 * A cache file is the CRC-32 of the cache (4 bytes, big-endian), then the
 * cache: V8 in release builds does not checksum a code cache, and
 * deserializing damaged bytes aborts the process (`Fatal error … unreachable
 * code`), so a cache whose checksum does not match is never given to V8. The
 * check is against damage (a torn write, a bad sector), not an attacker: one
 * who can write the cache can write main.js beside it. CRC-32 rather than
 * SHA-256 because node:zlib is cheaper to load than node:crypto, which
 * `list` and `refresh` otherwise never load (packaging/lib/js.mjs defers it).
 *
 * main.js is read as latin1: the build guarantees it is ASCII
 * (packaging/lib/js.mjs), and a one-byte string is what V8 keeps anyway,
 * made without UTF-8 decoding (a UTF-8 read of a file with one non-ASCII
 * byte builds a two-byte string: twice the memory, measurably slower).
 */
'use strict';
const { existsSync, readFileSync, writeFileSync, renameSync } = require('node:fs');
const { basename, dirname, join } = require('node:path');
const { Script } = require('node:vm');
const { crc32 } = require('node:zlib');
const Module = require('node:module');

const WRITE = process.env.ZPKG_CODE_CACHE === 'write';
const WRITE_COMMAND = process.env.ZPKG_CODE_CACHE === 'write-command';
const CHECK = process.env.ZPKG_CODE_CACHE === 'check';
/** Scripts compiled without a cache, to write theirs at exit (write modes only). */
const uncached = [];

/** zpkg's global options that take a value (src/cli/main.ts), skipped when looking for the command. */
const VALUE_OPTIONS = new Set(['-r', '--root', '--state-dir', '--cache-dir', '--progress']);

/** The command word of an argument list, when it has one that can name a file. */
function commandOf(args) {
  for (let i = 0; i < args.length; i++) {
    if (VALUE_OPTIONS.has(args[i])) i++;
    else if (!args[i].startsWith('-')) return /^[a-z][a-z0-9-]{0,31}$/.test(args[i]) ? args[i] : undefined;
  }
  return undefined;
}

const DIGEST_BYTES = 4;

/** The cache in `cacheFile` when its digest matches; else why there is none. */
function readCache(cacheFile) {
  let raw;
  try {
    raw = readFileSync(cacheFile);
  } catch {
    return { cachedData: undefined, state: 'absent' };
  }
  const cachedData = raw.subarray(DIGEST_BYTES);
  if (raw.length <= DIGEST_BYTES || crc32(cachedData) !== raw.readUInt32BE(0)) return { cachedData: undefined, state: 'damaged' };
  return { cachedData, state: 'present' };
}

/** The cache file's bytes for `data` (readCache's format). */
function cacheFileBytes(data) {
  const head = Buffer.alloc(DIGEST_BYTES);
  head.writeUInt32BE(crc32(data), 0);
  return Buffer.concat([head, data]);
}

/**
 * Compiles and runs one bundled CommonJS file with its code cache (`command`:
 * the command's own, when it has one); returns its exports.
 */
function load(file, parent, command) {
  // ASCII by construction (packaging/lib/js.mjs): latin1 is its exact decoding, and the cheapest.
  const source = readFileSync(file, 'latin1');
  const own = command === undefined ? undefined : `${file}.${command}.cache`;
  let cacheFile = `${file}.cache`;
  let cache = { cachedData: undefined, state: 'absent' };
  if (WRITE_COMMAND && own) cacheFile = own;
  else {
    // A command's own cache that is missing or damaged: the common one.
    const mine = own === undefined ? undefined : readCache(own);
    if (mine?.state === 'present') [cache, cacheFile] = [mine, own];
    else cache = readCache(cacheFile);
  }
  const { cachedData, state } = cache;
  const script = new Script(Module.wrap(source), { filename: file, cachedData });
  const said = cachedData === undefined ? state : script.cachedDataRejected === true ? 'rejected' : 'accepted';
  if (CHECK) process.stderr.write(`zpkg code cache: ${file}: ${said} (${basename(cacheFile)})\n`);
  if ((WRITE || WRITE_COMMAND) && said !== 'accepted') uncached.push({ script, cacheFile, replace: said !== 'absent' || WRITE_COMMAND });
  const mod = new Module(file, parent);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(dirname(file));
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, dirname(file));
  mod.loaded = true;
  return mod.exports;
}

module.exports = { load, cacheFileBytes };

/**
 * The version this bundle was built as (`npm run dist` and packaging/app.mjs write it here), so
 * that `zpkg --version` alone answers without compiling main.js: the start-up
 * of everything else is main.js's. Any other argument list goes to main.js,
 * whose commander prints the same line for `--version` before a command.
 */
const VERSION = null;

function versionOnly(args) {
  return typeof VERSION === 'string' && args.length === 1 && (args[0] === '--version' || args[0] === '-V');
}

/**
 * Runs the command line `args` with main.js (the command's own cache when it
 * has one) and resolves with its exit status; in a write mode, the caches
 * this process lacked are written once the command has ended. The launcher
 * starts it below; the npm package's `bin/zpkg.js` requires this file and
 * calls it (README "The npm package's app").
 */
function start(args) {
  if (versionOnly(args)) {
    process.stdout.write(`${VERSION}\n`);
    return Promise.resolve(0);
  }
  if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = '8';
  return load(join(__dirname, 'main.js'), module, commandOf(args))
    .run(args)
    .then((code) => {
      for (const { script, cacheFile, replace } of uncached) {
        if (existsSync(cacheFile) && !replace) continue;
        writeFileSync(`${cacheFile}.tmp`, cacheFileBytes(script.createCachedData()));
        renameSync(`${cacheFile}.tmp`, cacheFile);
      }
      return code;
    });
}

module.exports.start = start;

if (require.main === module) {
  start(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
