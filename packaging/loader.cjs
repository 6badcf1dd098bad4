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
 * the cache of every file this process loaded that has none yet, covering
 * every function that ran.
 */
'use strict';
const { existsSync, readFileSync, writeFileSync, renameSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');
const Module = require('node:module');

const WRITE = process.env.ZPKG_CODE_CACHE === 'write';
/** Scripts compiled without a cache, to write theirs at exit (write mode only). */
const uncached = [];

/** Compiles and runs one bundled CommonJS file with its code cache; returns its exports. */
function load(file, parent) {
  // The bundled files are ASCII (esbuild's default charset): utf8 decodes them on its fast path.
  const source = readFileSync(file, 'utf8');
  const cacheFile = `${file}.cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new Script(Module.wrap(source), { filename: file, cachedData });
  if (WRITE && !cachedData) uncached.push({ script, cacheFile });
  const mod = new Module(file, parent);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(dirname(file));
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, dirname(file));
  mod.loaded = true;
  return mod.exports;
}

module.exports = { load };

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
      for (const { script, cacheFile } of uncached) {
        if (existsSync(cacheFile)) continue;
        writeFileSync(`${cacheFile}.tmp`, script.createCachedData());
        renameSync(`${cacheFile}.tmp`, cacheFile);
      }
    });
}
